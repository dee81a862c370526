"""The bad-file corpus: every file gets its exact error, and the database is untouched."""
from __future__ import annotations

import shutil

import duckdb
import polars as pl
import pytest

from workbench import cli
from workbench.builder import build, load

from helpers import CORPUS, ROOT, file_sha


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    """A database built from data/ plus the test source 'ssb'."""
    folder = tmp_path_factory.mktemp("base")
    db = folder / "warehouse.duckdb"
    build(ROOT / "data", db)
    load(CORPUS / "ok_sources_ssb.csv", "sources", db=db, data=folder, keep=False)
    return db


@pytest.fixture
def db(base_db, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(base_db, path)
    return path


def run_load(db, name, dataset, capsys, *extra):
    code = cli.main(["load", str(CORPUS / name), "--dataset", dataset, "--db", str(db),
                     "--data", str(db.parent), "--no-keep", *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


BAD = [
    ("wrong_delimiter.csv", "kommune_indicators",
     ["wrong_delimiter.csv:1: the header has a single column "
      "'kommunenummer|year|indicator|value|source_id': wrong delimiter? Use comma or "
      "semicolon, or pass --delimiter"]),
    ("decimal_comma_amount.csv", "budget_lines",
     ['decimal_comma_amount.csv:2: amount_nok: "56,7" is not a whole number of kroner: '
      "it has decimals"]),
    ("units_suffix.csv", "budget_lines",
     ['units_suffix.csv:2: amount_nok: "56,7 mill. kr" is not a whole number of kroner: '
      "units and suffixes such as 'kr', 'mill.' or 'mrd.' are not read (write 56700000, "
      "not 56,7 mill. kr)"]),
    ("dot_thousands.csv", "budget_lines",
     ['dot_thousands.csv:2: amount_nok: "56.700.000" is not a whole number of kroner: '
      "'.' and ',' are not accepted as thousands separators (ambiguous with decimals); "
      "use a space or none"]),
    ("non_numeric_amount.csv", "budget_lines",
     ['non_numeric_amount.csv:2: amount_nok: "ukjent" is not a whole number of kroner']),
    ("negative_amount.csv", "budget_lines",
     ['negative_amount.csv:2: amount_nok: "-5000" must not be negative']),
    ("unknown_source.csv", "budget_lines",
     ['unknown_source.csv:2: source_id: "nope-2099" is not a known sources.source_id']),
    ("duplicate_key.csv", "kommune_indicators",
     ["duplicate_key.csv:4: kommunenummer, year, indicator: duplicate key (kommunenummer, "
      "year, indicator) = (0301, 2024, innbyggere), first seen on line 2"]),
    ("kommunenummer_301.csv", "kommune_indicators",
     ['kommunenummer_301.csv:3: kommunenummer: "301" is not a 4-digit kommunenummer '
      "(leading zeros matter: 0301, not 301)"]),
    ("missing_column.csv", "kommune_indicators",
     ["missing_column.csv:1: missing column 'indicator' (expected columns: kommunenummer, "
      "year, indicator, value, source_id)"]),
    ("unexpected_column.csv", "kommune_indicators",
     ["unexpected_column.csv:1: unexpected column 'comment' (expected columns: "
      "kommunenummer, year, indicator, value, source_id)"]),
    ("empty.csv", "kommune_indicators",
     ["empty.csv: the file is empty (expected a header line and data rows)"]),
    ("header_only.csv", "kommune_indicators",
     ["header_only.csv: has a header but no data rows"]),
    ("ragged_row.csv", "kommune_indicators",
     ["ragged_row.csv:3: expected 5 fields (as in the header), found 6"]),
    ("several_problems.csv", "kommune_indicators",
     ['several_problems.csv:2: kommunenummer: "301" is not a 4-digit kommunenummer '
      "(leading zeros matter: 0301, not 301)",
      'several_problems.csv:3: year: "20x4" is not a whole number',
      "several_problems.csv:4: indicator: is missing (required)",
      "several_problems.csv:4: source_id: is missing (required)"]),
]


@pytest.mark.parametrize("name,dataset,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_file_exact_error_and_database_unchanged(db, capsys, name, dataset, expected):
    before = file_sha(db)
    code, out, err = run_load(db, name, dataset, capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[:-1] == expected
    assert lines[-1] == f"workbench: {len(expected)} problem(s) found; nothing was changed."
    assert "Traceback" not in err
    assert file_sha(db) == before
    assert not list(db.parent.glob(".*.tmp"))


def rows(db, sql, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_semicolon_and_decimal_comma(db, capsys):
    code, out, err = run_load(db, "ok_semicolon_decimal_comma.csv", "kommune_indicators",
                              capsys)
    assert (code, err) == (0, "")
    assert rows(db, "SELECT kommunenummer, value FROM kommune_indicators ORDER BY 1") == [
        ("0301", 3.4), ("4601", 12.25)]


def test_thousands_separated_by_spaces(db, capsys):
    code, _, err = run_load(db, "ok_thousands_space.csv", "kommune_indicators", capsys)
    assert (code, err) == (0, "")
    assert rows(db, "SELECT kommunenummer, value FROM kommune_indicators ORDER BY 1") == [
        ("0301", 717710.0), ("4601", 291189.0), ("5001", 214565.0)]


def test_windows_1252_text_is_read_intact(db, capsys):
    code, _, err = run_load(db, "ok_windows1252.csv", "budget_lines", capsys)
    assert (code, err) == (0, "")
    assert rows(db, "SELECT label, amount_nok FROM budget_lines WHERE line_id = ?",
                ["test-line-2026"]) == [("Bærum – tilskudd til økt samhandling", 56700000)]


def test_bom_is_not_part_of_the_first_column(db, capsys):
    code, _, err = run_load(db, "ok_bom.csv", "kommune_indicators", capsys)
    assert (code, err) == (0, "")
    assert rows(db, "SELECT kommunenummer FROM kommune_indicators") == [("0301",)]


def test_leading_zero_kept_from_excel_and_parquet(db, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["kommunenummer", "year", "indicator", "value", "source_id"])
    ws.append(["0301", 2024, "innbyggere", 717710, "ssb"])
    ws.append(["0101", 2024, "innbyggere", "1 234,5", "ssb"])
    xlsx = tmp_path / "indikatorer.xlsx"
    wb.save(xlsx)
    load(xlsx, "kommune_indicators", db=db, data=tmp_path, keep=False)
    pq = tmp_path / "indikatorer.parquet"
    pl.DataFrame({"kommunenummer": ["1103"], "year": [2023], "indicator": ["x"],
                  "value": [2.5], "source_id": ["ssb"]}).write_parquet(pq)
    load(pq, "kommune_indicators", db=db, data=tmp_path, keep=False)
    assert rows(db, "SELECT kommunenummer, year, value FROM kommune_indicators "
                    "ORDER BY 1") == [("0101", 2024, 1234.5), ("0301", 2024, 717710.0),
                                      ("1103", 2023, 2.5)]


def test_excel_errors_name_the_sheet_row(db, tmp_path, capsys):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["kommunenummer", "year", "indicator", "value", "source_id"])
    ws.append([301, 2024, "innbyggere", 717710, "ssb"])
    xlsx = tmp_path / "bad.xlsx"
    wb.save(xlsx)
    before = file_sha(db)
    code = cli.main(["load", str(xlsx), "--dataset", "kommune_indicators", "--db", str(db),
                     "--no-keep"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[0] == ('bad.xlsx:2: kommunenummer: "301" is not a 4-digit '
                                   "kommunenummer (leading zeros matter: 0301, not 301)")
    assert file_sha(db) == before


def test_unknown_dataset_is_a_one_line_error(db, capsys):
    code, _, err = run_load(db, "ok_indicators.csv", "nonsense", capsys)
    assert code == 2
    assert err.startswith("workbench: unknown dataset 'nonsense'; known datasets: sources,")


def test_unknown_dataset_is_a_workbench_error_from_the_api(db):
    import workbench as wb
    from workbench.errors import UnknownDataset

    with pytest.raises(UnknownDataset, match="unknown dataset 'nonsense'"):
        wb.load(CORPUS / "ok_indicators.csv", dataset="nonsense", db=db, keep=False)
    assert issubclass(UnknownDataset, wb.WorkbenchError)


def test_a_bug_is_not_reported_as_a_user_error(db, monkeypatch):
    """A KeyError from a bug keeps its traceback: cli.main does not catch it."""
    from workbench import builder

    def buggy(*args, **kwargs):
        return {}["missing"]

    monkeypatch.setattr(builder, "load", buggy)
    with pytest.raises(KeyError, match="missing"):
        cli.main(["load", str(CORPUS / "ok_indicators.csv"), "--dataset",
                  "kommune_indicators", "--db", str(db), "--no-keep"])
