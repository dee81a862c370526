"""Pin the key curated figures in vft_recipients, adoption_counts, municipal_counts and
survey_results, so that an accidental edit of data/ fails loudly.

Figures come from the seed documents: hdir-strategi (Helsedirektoratet strategy page),
ehs-2021-12-* (Nasjonalt e-helsestyre 9.12.2021), ehr-2025-10-* (Nasjonalt e-helseråd
16.10.2025, OCR text) and nufa-2024-04-* (NUFA april 2024).
"""
from __future__ import annotations

import pytest


def _one(db, sql, params=()):
    rows = db.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, f"expected exactly one row, got {rows!r}"
    return rows[0]


def _count_value(db, table, indicator_id, group_name, year):
    return _one(
        db,
        f'SELECT value FROM "{table}" WHERE indicator_id = ? AND group_name = ? '
        "AND year = ?",
        (indicator_id, group_name, year),
    )[0]


def _survey_value(db, survey_id, question, group_name, statistic):
    return _one(
        db,
        "SELECT value FROM survey_results WHERE survey_id = ? AND question = ? "
        "AND group_name = ? AND statistic = ?",
        (survey_id, question, group_name, statistic),
    )[0]


# --- velferdsteknologi recipients --------------------------------------------------

def test_vft_recipients_all_years(curated_db):
    rows = curated_db.execute(
        "SELECT year, recipients FROM vft_recipients WHERE technology = 'Alle' "
        "ORDER BY year"
    ).fetchall()
    # The source gives only the first and last year of the series.
    assert rows == [(2017, 95718), (2024, 133731)]


def test_vft_recipients_source(curated_db):
    sources = curated_db.execute(
        "SELECT DISTINCT source_id FROM vft_recipients"
    ).fetchall()
    assert sources == [("hdir-strategi",)]


# --- adoption counts -------------------------------------------------------------

def test_vkp_kommuner(curated_db):
    value, unit, source = _one(
        curated_db,
        "SELECT value, unit, source_id FROM adoption_counts "
        "WHERE indicator_id = 'vkp-kommuner-i-daglig-bruk'",
    )
    assert (value, unit, source) == (66, "kommuner", "hdir-strategi")


def test_kjernejournal_epj_systems(curated_db):
    value, denominator, unit = _one(
        curated_db,
        "SELECT value, denominator, unit FROM adoption_counts "
        "WHERE indicator_id = 'kjernejournal-epj-systemer-integrert-eller-planlagt' "
        "AND year = 2023",
    )
    assert (value, denominator, unit) == (32, 41, "systemer")


# --- municipal counts ------------------------------------------------------------

def test_over_67_kommuner(curated_db):
    rows = curated_db.execute(
        "SELECT year, value FROM municipal_counts "
        "WHERE indicator_id = 'kommuner-kvart-av-innbyggerne-over-67' ORDER BY year"
    ).fetchall()
    assert rows == [(2018, 14), (2035, 196)]


COLLABORATIONS = {
    "Helgeland": 17,
    "Helseplattformen": 34,
    "Nordhordland": 15,
    "Værnesregionen m.fl.": 22,
    "Nordfjord og Sunnfjord": 13,
    "Innlandet": 44,
    "Bergensregionen": 10,
    "Kongsberg og Hallingdalen": 18,
    "Lillestrøm": 25,
    "Stavanger og Rogaland": 27,
    "Agder": 25,
    "Telemark og Vestfold": 19,
}


def test_collaboration_kommune_counts(curated_db):
    rows = curated_db.execute(
        "SELECT group_name, value FROM municipal_counts "
        "WHERE indicator_id = 'journalanskaffelse-samarbeid-kommuner' AND year = 2025"
    ).fetchall()
    assert dict(rows) == COLLABORATIONS
    # Not a stated total (the slide gives none); pinned to catch a silent edit.
    assert sum(v for _, v in rows) == 269


def test_uncertain_collaborations_are_flagged(curated_db):
    rows = dict(curated_db.execute(
        "SELECT group_name, confidence FROM municipal_counts "
        "WHERE indicator_id = 'journalanskaffelse-samarbeid-kommuner'"
    ).fetchall())
    assert rows["Lillestrøm"] == "low"  # the slide itself writes «25 kommuner??»
    assert rows["Bergensregionen"] == "medium"


def test_portfolio_2022_parts_add_up(curated_db):
    total = _count_value(curated_db, "municipal_counts",
                         "nasjonal-ehelseportefolje-tiltak", "Alle", 2022)
    parts = curated_db.execute(
        "SELECT sum(value) FROM municipal_counts "
        "WHERE indicator_id = 'nasjonal-ehelseportefolje-tiltak' AND year = 2022 "
        "AND group_name <> 'Alle'"
    ).fetchone()[0]
    assert total == 35
    assert parts == 35
    assert _count_value(curated_db, "municipal_counts",
                        "nasjonal-ehelseportefolje-tiltak", "Aktive tiltak", 2021) == 36


def test_ehealth_cost_projection(curated_db):
    rows = dict(curated_db.execute(
        "SELECT group_name || ':' || year, value FROM municipal_counts "
        "WHERE indicator_id = 'ehelse-kostnader-kommuner-framskrevet'"
    ).fetchall())
    assert rows == {
        "Alle:2021": 4_538_000_000,
        "Lav vekst:2050": 5_847_000_000,
        "Middels vekst:2050": 9_472_000_000,
        "Høy vekst:2050": 19_151_000_000,
    }


# --- surveys ---------------------------------------------------------------------

KS_FOU = "ks-fou-224004-gevinster-helseteknologi"


def test_ks_fou_respondents(curated_db):
    assert _survey_value(curated_db, KS_FOU, "Respondenter", "Alle", "n") == 115


@pytest.mark.parametrize(
    ("group_name", "question", "expected"),
    [
        ("Velferdsteknologi", "Reduserte kostnader", 2.98),
        ("Velferdsteknologi", "Redusert tidsbruk", 3.46),
        ("Velferdsteknologi", "Økt kvalitet", 3.84),
        ("Nasjonale e-helseløsninger", "Reduserte kostnader", 2.45),
        ("Nasjonale e-helseløsninger", "Redusert tidsbruk", 3.07),
        ("Nasjonale e-helseløsninger", "Økt kvalitet", 3.6),
    ],
)
def test_ks_fou_mean_scores(curated_db, group_name, question, expected):
    value = _survey_value(curated_db, KS_FOU, question, group_name, "mean")
    assert value == pytest.approx(expected)


def test_ks_fou_means_are_on_1_to_5_scale(curated_db):
    rows = curated_db.execute(
        "SELECT DISTINCT scale_min, scale_max FROM survey_results "
        "WHERE survey_id = ? AND statistic = 'mean'", [KS_FOU]
    ).fetchall()
    assert rows == [(1, 5)]


def test_benefit_realisation_hard_share(curated_db):
    value = _one(
        curated_db,
        "SELECT value FROM survey_results WHERE survey_id = 'ks-arbeidsgivermonitor-2023' "
        "AND statistic = 'share'",
    )[0]
    assert value == pytest.approx(0.80)


def test_journal_procurement_survey_kommuner(curated_db):
    value = _survey_value(curated_db, "ks-kartlegging-journalanskaffelser-2025",
                          "Kommuner representert i registrerte svar", "Alle", "count")
    assert value == 154


def test_supplier_poll_means(curated_db):
    rows = dict(curated_db.execute(
        "SELECT question, value FROM survey_results "
        "WHERE survey_id = 'fkj-dialogmote-leverandorer-2021-11-29' "
        "AND statistic = 'mean'"
    ).fetchall())
    assert rows == pytest.approx({
        "Sannsynlighet for å realisere løsningen i dagens marked": 5.9,
        "Bidrag til innovativ næringsutvikling": 7.7,
        "Effekt for egen virksomhet": 7.2,
    })


# --- provenance across the four datasets -----------------------------------------

@pytest.mark.parametrize(
    "table", ["vft_recipients", "adoption_counts", "municipal_counts", "survey_results"]
)
def test_every_source_id_is_registered(curated_db, table):
    missing = curated_db.execute(
        f'SELECT DISTINCT t.source_id FROM "{table}" t '
        "LEFT JOIN sources s USING (source_id) WHERE s.source_id IS NULL"
    ).fetchall()
    assert missing == []


@pytest.mark.parametrize("table", ["adoption_counts", "municipal_counts"])
def test_count_keys_unique(curated_db, table):
    dupes = curated_db.execute(
        f'SELECT indicator_id, group_name, year, count(*) FROM "{table}" '
        "GROUP BY ALL HAVING count(*) > 1"
    ).fetchall()
    assert dupes == []
