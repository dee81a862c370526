"""The column-type registry: both read paths agree, and a new type is one entry."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from workbench import catalog, database, describe
from workbench import column_types as types
from workbench.catalog import Column, Dataset
from workbench.errors import ValidationError
from workbench.validate import land

# Plain machine text (what the fast path converts) and the value both paths must give.
PLAIN = {
    "int": [("2024", 2024), ("-3", -3)],
    "money": [("56700000", 56_700_000)],
    "decimal": [("3.5", 3.5), ("-0.25", -0.25)],
    "date": [("2024-04-24", dt.date(2024, 4, 24))],
    "bool": [("true", True), ("0", False)],
    "text": [("  kept as written ", "  kept as written ")],
    "kommunenummer": [("0301", "0301")],
}


def _one_column(type_name: str, **kw) -> Dataset:
    return Dataset("t", "T", "A test table.",
                   (Column("v", type_name, "value", **kw),
                    Column("note", "text", "free text", required=False)), key=("v",))


def _land(tmp_path, ds: Dataset, cells: list[str], name: str = "f.csv",
          encoding: str = "utf-8", note: str = ""):
    path = tmp_path / name
    path.write_bytes(("v,note\n" + "".join(f'"{c}",{note}\n' for c in cells))
                     .encode(encoding))
    con = duckdb.connect()
    database.create_table(con, ds)
    landed = land(con, path, ds, "t")
    return landed, [r[0] for r in con.execute("SELECT v FROM t ORDER BY rowid").fetchall()]


def test_every_type_is_registered_with_storage_and_description():
    assert set(PLAIN) == set(types.TYPES)
    for t in types.TYPES.values():
        assert t.duckdb and t.description
        duckdb.sql(f"SELECT CAST(NULL AS {t.duckdb})")  # a real DuckDB type


@pytest.mark.parametrize("type_name", sorted(PLAIN))
def test_fast_and_precise_paths_give_the_same_values(type_name, tmp_path):
    ds = _one_column(type_name)
    cells = [text for text, _ in PLAIN[type_name]]
    expected = [value for _, value in PLAIN[type_name]]
    fast, fast_rows = _land(tmp_path, ds, cells)
    assert fast.fast and fast_rows == expected
    # Windows-1252 always takes the precise path: the same cells, another encoding.
    precise, precise_rows = _land(tmp_path, ds, cells, "cp.csv", "cp1252", "blåbær")
    assert not precise.fast and precise_rows == expected


@pytest.mark.parametrize("type_name,norwegian", [
    ("int", "2\u00a0024"), ("money", "56 700 000"), ("decimal", "3,5"),
    ("date", "24.04.2024"), ("bool", "ja")])
def test_norwegian_formats_are_read_by_the_precise_path(type_name, norwegian, tmp_path):
    landed, rows = _land(tmp_path, _one_column(type_name), [norwegian])
    assert not landed.fast and rows == [PLAIN[type_name][0][1]]


def test_a_value_that_fails_is_explained_by_its_type(tmp_path):
    for type_name, bad, words in [("money", "56,7 mill. kr", "units and suffixes"),
                                  ("int", "1.000", "thousands separators"),
                                  ("int", "2,5", "it has decimals"),
                                  ("decimal", "tre", "is not a number"),
                                  ("date", "2024/04/24", "is not a date"),
                                  ("bool", "kanskje", "is not true/false")]:
        with pytest.raises(ValidationError) as exc:
            _land(tmp_path, _one_column(type_name), [bad])
        (problem,) = exc.value.problems
        assert problem.value == bad and words in problem.message, (type_name, problem)


def test_kommunenummer_pattern_comes_from_the_type(tmp_path):
    col = Column("k", "kommunenummer", "k")
    assert col.effective_pattern == r"^[0-9]{4}$"
    assert "leading zeros matter" in col.pattern_message
    with pytest.raises(ValidationError, match="leading zeros matter"):
        _land(tmp_path, _one_column("kommunenummer"), ["301"])


def test_an_unknown_type_fails_when_declared():
    with pytest.raises(ValueError, match="unknown column type 'prosent'"):
        Column("x", "prosent", "x")


def test_a_new_type_is_one_registry_entry(tmp_path, monkeypatch):
    """Registering a type is all it takes: DDL, both read paths, messages and docs."""
    percent = types.ColumnType(
        "percent", "DECIMAL(5,2)", pl.Float64, "percentage 0–100 (e.g. 12,5)",
        "regexp_full_match({c}, '[0-9]{{1,3}}(\\.[0-9]{{1,2}})?')",
        lambda raw: raw.str.strip_chars().str.replace(",", ".").str.strip_suffix("%")
        .str.strip_chars().cast(pl.Float64, strict=False),
        lambda v: "is not a percentage (write 12,5 or 12.5)")
    monkeypatch.setitem(types.TYPES, "percent", percent)
    ds = _one_column("percent", max=100)
    con = duckdb.connect()
    database.create_table(con, ds)
    assert con.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = 't' "
                       "AND column_name = 'v'"
                       ).fetchall() == [("DECIMAL(5,2)",)]
    fast, rows = _land(tmp_path, ds, ["12.5", "100"])
    assert fast.fast and [float(r) for r in rows] == [12.5, 100.0]
    precise, rows = _land(tmp_path, ds, ["12,5 %"], "p.csv")
    assert not precise.fast and [float(r) for r in rows] == [12.5]
    with pytest.raises(ValidationError) as exc:
        _land(tmp_path, ds, ["mye", "101"], "bad.csv")
    assert [str(p) for p in exc.value.problems] == [
        'bad.csv:2: v: "mye" is not a percentage (write 12,5 or 12.5)',
        'bad.csv:3: v: "101.0" is above the maximum 100']
    monkeypatch.setitem(catalog.DATASETS, "t", ds)
    assert "| `v` | percentage 0–100 (e.g. 12,5) | yes | ≤ 100 | value |" in \
        describe.markdown()
