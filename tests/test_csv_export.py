"""Exported CSV cannot carry spreadsheet formulas (OWASP CSV injection)."""

from __future__ import annotations

import io
import shutil

import duckdb
import polars as pl
import pytest

from workbench import cli, csv_export, queries
from workbench.builder import load
from workbench.embed import download

from helpers import project_with_ssb

HOSTILE = ['=HYPERLINK("http://evil.example","klikk")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0",
           "-2+3", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_gets_a_leading_apostrophe(text):
    assert csv_export.neutralise_text(text) == "'" + text


@pytest.mark.parametrize("text", ["-1500", "+12", "-12,5", "-1 234,5", "Helse Nord",
                                  "e-helse", "", None, "3 = 3", "a@b.no"])
def test_plain_numbers_and_ordinary_text_are_left_alone(text):
    assert csv_export.neutralise_text(text) == text


def test_numbers_stay_numbers_and_text_is_neutralised_in_a_frame():
    df = pl.DataFrame({"label": HOSTILE + ["-1500", "vanlig"],
                       "amount": [-5, -1, 0, 1, 2, 3, -1500, 7],
                       "share": [-0.5] * 8})
    out = csv_export.neutralise(df)
    assert out["amount"].to_list() == df["amount"].to_list()
    assert out["share"].to_list() == df["share"].to_list()
    assert out["label"].to_list() == ["'" + t for t in HOSTILE] + ["-1500", "vanlig"]
    text = csv_export.to_csv(df, separator=";", decimal_comma=True)
    assert ";-1500;-0,5" in text  # negative numbers written as numbers
    back = pl.read_csv(io.StringIO(text), separator=";", decimal_comma=True)
    assert all(not str(v).startswith(csv_export.FORMULA_START)
               for v in back["label"].to_list() if v not in ("-1500",))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A database holding hostile cells, loaded from a file as read (not changed)."""
    folder = tmp_path_factory.mktemp("formulas")
    db = project_with_ssb(folder)
    rows = ["kommunenummer;year;indicator;value;source_id"]
    rows += [f'0301;{2000 + i};"{t.replace(chr(34), chr(34) * 2)}";-{i},5;ssb'
             for i, t in enumerate(HOSTILE)]
    path = folder / "formler.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    load(path, "kommune_indicators", db=db, data=folder / "data", keep=False)
    return db


def test_the_data_is_stored_as_read(loaded):
    with duckdb.connect(str(loaded), read_only=True) as con:
        stored = [r[0] for r in con.execute("SELECT indicator FROM kommune_indicators "
                                            "ORDER BY year").fetchall()]
    assert stored == HOSTILE


def test_the_dashboard_download_neutralises_formulas(loaded):
    with duckdb.connect(str(loaded), read_only=True) as con:
        df = con.sql("SELECT * FROM kommune_indicators ORDER BY year").pl()
    button = download(df, "formler.csv")
    sent = []
    button.send = lambda content, buffers=None: sent.append(buffers[0])
    button._on_message(button, {"event": "download"}, [])
    text = sent[0].decode("utf-8-sig")
    got = pl.read_csv(io.StringIO(text), separator=";", decimal_comma=True,
                      schema_overrides={"kommunenummer": pl.String})
    assert got["indicator"].to_list() == ["'" + t for t in HOSTILE]
    assert got["value"].to_list() == [-0.5, -1.5, -2.5, -3.5, -4.5, -5.5]  # still numbers


def test_query_csv_output_neutralises_formulas(loaded, tmp_path, capsys):
    path = tmp_path / "kilde.csv"
    path.write_text("source_id,organ,title,meeting,date,sak,sak_title,document,note\n"
                    '"formel","=HYPERLINK(""http://evil.example"")","@SUM(A1)",,,,,'
                    '"-2+3",\n', encoding="utf-8")
    db = tmp_path / "w.duckdb"
    shutil.copy(loaded, db)
    load(path, "sources", db=db, keep=False)
    assert cli.main(["query", "sources", "--format", "csv", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    row = next(r for r in pl.read_csv(io.StringIO(out)).iter_rows(named=True)
               if r["source_id"] == "formel")
    assert row["organ"] == "'=HYPERLINK(\"http://evil.example\")"
    assert (row["title"], row["document"]) == ("'@SUM(A1)", "'-2+3")
    assert out == csv_export.to_csv(queries.run("sources", {}, db=db))
