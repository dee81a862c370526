"""Pins the curated budget lines (data/budget_lines.csv) to the figures in the sources.

An accidental edit of the data file should make one of these tests fail. The figures come
from Nasjonalt e-helseråd 14.12.2023 (sak 31/23 and 37/23), NUFA 24.04.2024 (sak 14/24)
and Nasjonalt e-helseråd 16.10.2025 (sak 23/25, «Statsbudsjett og planer for 2026»).
"""
from __future__ import annotations

import pytest

MILL = 1_000_000
MRD = 1_000_000_000


def rows(db, sql, params=None):
    return db.execute(sql, params or []).fetchall()


def line(db, line_id):
    res = rows(
        db,
        "SELECT line_key, parent_id, budget_year, kind, amount_nok, chapter, post, "
        "period_start, period_end, source_id, confidence, derived "
        "FROM budget_lines WHERE line_id = ?",
        [line_id],
    )
    assert len(res) == 1, f"expected exactly one row for {line_id}, got {len(res)}"
    keys = ("line_key", "parent_id", "budget_year", "kind", "amount_nok", "chapter",
            "post", "period_start", "period_end", "source_id", "confidence", "derived")
    return dict(zip(keys, res[0], strict=True))


# --- key figures --------------------------------------------------------------------

# line_id: (budget_year, kind, amount_nok, parent_id, source_id)
KEY_FIGURES = {
    # HOD budsjettforslag 2026 (sak 23/25)
    "hod-2026": (2026, "proposal", 305_300 * MILL, None, "ehr-2025-10-s23"),
    "hod-sentral-helseforvaltning-2026": (2026, "proposal", 5_400 * MILL, "hod-2026",
                                          "ehr-2025-10-s23"),
    "hod-ikt-2026": (2026, "proposal", 600 * MILL, "hod-2026", "ehr-2025-10-s23"),
    "hod-beredskap-internasjonalt-2026": (2026, "proposal", 400 * MILL, "hod-2026",
                                          "ehr-2025-10-s23"),
    "hod-andre-tilskudd-2026": (2026, "proposal", 13_600 * MILL, "hod-2026",
                                "ehr-2025-10-s23"),
    "hod-kommunale-helse-omsorg-2026": (2026, "proposal", 7_000 * MILL,
                                        "hod-andre-tilskudd-2026", "ehr-2025-10-s23"),
    "hod-psykisk-helse-rus-2026": (2026, "proposal", 2_800 * MILL,
                                   "hod-andre-tilskudd-2026", "ehr-2025-10-s23"),
    "hod-folkehelse-vaksiner-2026": (2026, "proposal", 1_500 * MILL,
                                     "hod-andre-tilskudd-2026", "ehr-2025-10-s23"),
    "hod-forskning-kompetanse-2026": (2026, "proposal", 900 * MILL,
                                      "hod-andre-tilskudd-2026", "ehr-2025-10-s23"),
    "hod-tannhelsetjenester-2026": (2026, "proposal", 500 * MILL,
                                    "hod-andre-tilskudd-2026", "ehr-2025-10-s23"),
    "hod-helserefusjoner-2026": (2026, "proposal", 47_900 * MILL, "hod-2026",
                                 "ehr-2025-10-s23"),
    "hod-legemidler-bla-resept-2026": (2026, "proposal", 15_600 * MILL,
                                       "hod-helserefusjoner-2026", "ehr-2025-10-s23"),
    "hod-egenandelstak-2026": (2026, "proposal", 8_700 * MILL, "hod-helserefusjoner-2026",
                               "ehr-2025-10-s23"),
    "hod-allmennlegehjelp-2026": (2026, "proposal", 7_900 * MILL,
                                  "hod-helserefusjoner-2026", "ehr-2025-10-s23"),
    "hod-spesialisthjelp-2026": (2026, "proposal", 3_300 * MILL,
                                 "hod-helserefusjoner-2026", "ehr-2025-10-s23"),
    "hod-tannbehandling-2026": (2026, "proposal", 3_200 * MILL,
                                "hod-helserefusjoner-2026", "ehr-2025-10-s23"),
    "hod-medisinsk-forbruksmateriell-2026": (2026, "proposal", 2_600 * MILL,
                                             "hod-helserefusjoner-2026",
                                             "ehr-2025-10-s23"),
    "hod-fysioterapi-2026": (2026, "proposal", 1_900 * MILL, "hod-helserefusjoner-2026",
                             "ehr-2025-10-s23"),
    # Kap. 701 and other 2026 lines (sak 23/25)
    "digital-samhandling-2026": (2026, "proposal", 187 * MILL, None, "ehr-2025-10-s23"),
    "helsekort-gravide-2026": (2026, "proposal", 26 * MILL, None, "ehr-2025-10-s23"),
    "kommunal-nettlege-2026": (2026, "proposal", 65 * MILL, None, "ehr-2025-10-s23"),
    # Helseteknologiordningen 2026 (sak 23/25)
    "hto-2026": (2026, "proposal", 179_100_000, None, "ehr-2025-10-s23"),
    "hto-teknologi-kommunene-2026": (2026, "proposal", 72_600_000, "hto-2026",
                                     "ehr-2025-10-s23"),
    "hto-nettverk-ks-2026": (2026, "proposal", 45_400_000, "hto-2026", "ehr-2025-10-s23"),
    "hto-samhandling-2026": (2026, "proposal", 30 * MILL, "hto-2026", "ehr-2025-10-s23"),
    "hto-veiledning-standardisering-2026": (2026, "proposal", 21_700_000, "hto-2026",
                                            "ehr-2025-10-s23"),
    "hto-oppfolging-2026": (2026, "proposal", 8_400_000, "hto-2026", "ehr-2025-10-s23"),
    "hto-standardiseringsorganisasjoner-2026": (2026, "proposal", 1 * MILL, "hto-2026",
                                                "ehr-2025-10-s23"),
    # 2024 (sak 31/23, sak 37/23, NUFA sak 14/24)
    "hto-2024": (2024, "appropriation", 150 * MILL, None, "ehr-2023-12-s31"),
    "hto-teknologi-kommunene-2024": (2024, "allocation", 56_700_000, "hto-2024",
                                     "ehr-2023-12-s37"),
    "hto-nettverk-ks-2024": (2024, "allocation", 43_200_000, "hto-2024",
                             "ehr-2023-12-s37"),
    "hto-samhandling-2024": (2024, "allocation", 20 * MILL, "hto-2024", "ehr-2023-12-s37"),
    "hto-ikt-eldre-2024": (2024, "allocation", 4 * MILL, "hto-2024", "nufa-2024-04-s14"),
    "digital-samhandling-2024": (2024, "appropriation", 267_100_000, None,
                                 "ehr-2023-12-s31"),
    "helsekort-gravide-2024": (2024, "appropriation", 26 * MILL, None, "ehr-2023-12-s31"),
    "digital-samhandling-steg2-2024-2029": (2024, "envelope", 1_250 * MILL, None,
                                            "ehr-2023-12-s31"),
}


@pytest.mark.parametrize("line_id", sorted(KEY_FIGURES))
def test_key_figure(curated_db, line_id):
    year, kind, amount, parent, source = KEY_FIGURES[line_id]
    row = line(curated_db, line_id)
    assert row["budget_year"] == year
    assert row["kind"] == kind
    assert row["amount_nok"] == amount
    assert row["parent_id"] == parent
    assert row["source_id"] == source


def test_row_count(curated_db):
    # Every row is pinned above; adding or removing a line must be deliberate.
    (n,), = rows(curated_db, "SELECT count(*) FROM budget_lines")
    assert n == len(KEY_FIGURES) == 36


def test_hod_2026_total_in_mrd(curated_db):
    assert line(curated_db, "hod-2026")["amount_nok"] == 305_300_000_000


def test_hto_2026_sub_lines_add_up_to_stated_total(curated_db):
    (total,), = rows(curated_db, "SELECT amount_nok FROM budget_lines WHERE line_id = ?",
                     ["hto-2026"])
    (children, n), = rows(
        curated_db,
        "SELECT sum(amount_nok), count(*) FROM budget_lines WHERE parent_id = ?",
        ["hto-2026"],
    )
    assert n == 6
    assert children == total == 179_100_000


def test_hto_2024_sub_lines_kept_as_stated(curated_db):
    # The stated sub-lines do not add up to the 150 mill. total; the gap is reported by
    # reconciliation, not papered over with a computed row.
    (children, n), = rows(
        curated_db,
        "SELECT sum(amount_nok), count(*) FROM budget_lines WHERE parent_id = ?",
        ["hto-2024"],
    )
    assert n == 4
    assert children == 123_900_000
    assert line(curated_db, "hto-2024")["amount_nok"] - children == 26_100_000


def test_hod_breakdown_structure(curated_db):
    direct = {r[0] for r in rows(
        curated_db, "SELECT line_id FROM budget_lines WHERE parent_id = 'hod-2026'")}
    assert direct == {
        "hod-sentral-helseforvaltning-2026", "hod-ikt-2026",
        "hod-beredskap-internasjonalt-2026", "hod-andre-tilskudd-2026",
        "hod-helserefusjoner-2026",
    }
    (n_refusjon,), = rows(
        curated_db,
        "SELECT count(*) FROM budget_lines WHERE parent_id = 'hod-helserefusjoner-2026'")
    (n_andre,), = rows(
        curated_db,
        "SELECT count(*) FROM budget_lines WHERE parent_id = 'hod-andre-tilskudd-2026'")
    assert (n_refusjon, n_andre) == (7, 5)


def test_envelope_period(curated_db):
    row = line(curated_db, "digital-samhandling-steg2-2024-2029")
    assert (row["period_start"], row["period_end"]) == (2024, 2029)
    assert row["kind"] == "envelope"


def test_kap_701_post_21(curated_db):
    for line_id in ("digital-samhandling-2026", "helsekort-gravide-2026"):
        row = line(curated_db, line_id)
        assert (row["chapter"], row["post"]) == (701, 21)
    hto = line(curated_db, "hto-2026")
    assert (hto["chapter"], hto["post"]) == (701, None)


@pytest.mark.parametrize("line_key", [
    "hto", "hto-teknologi-kommunene", "hto-nettverk-ks", "hto-samhandling",
    "digital-samhandling", "helsekort-gravide",
])
def test_line_key_spans_2024_and_2026(curated_db, line_key):
    years = {r[0] for r in rows(
        curated_db, "SELECT budget_year FROM budget_lines WHERE line_key = ?", [line_key])}
    assert years == {2024, 2026}


def test_year_over_year_hto(curated_db):
    got = dict(rows(
        curated_db,
        "SELECT budget_year, amount_nok FROM budget_lines WHERE line_key = 'hto'"))
    assert got == {2024: 150_000_000, 2026: 179_100_000}


# --- structure ----------------------------------------------------------------------

def test_line_ids_unique(curated_db):
    dups = rows(curated_db, "SELECT line_id FROM budget_lines GROUP BY line_id "
                            "HAVING count(*) > 1")
    assert dups == []


def test_line_key_unique_per_year_and_kind(curated_db):
    dups = rows(curated_db, "SELECT line_key, budget_year, kind FROM budget_lines "
                            "GROUP BY ALL HAVING count(*) > 1")
    assert dups == []


def test_every_parent_exists(curated_db):
    orphans = rows(
        curated_db,
        "SELECT line_id, parent_id FROM budget_lines WHERE parent_id IS NOT NULL "
        "AND parent_id NOT IN (SELECT line_id FROM budget_lines)",
    )
    assert orphans == []


def test_parent_is_same_year(curated_db):
    bad = rows(
        curated_db,
        "SELECT c.line_id FROM budget_lines c JOIN budget_lines p "
        "ON c.parent_id = p.line_id WHERE c.budget_year <> p.budget_year",
    )
    assert bad == []


def test_no_child_exceeds_parent(curated_db):
    bad = rows(
        curated_db,
        "SELECT c.line_id FROM budget_lines c JOIN budget_lines p "
        "ON c.parent_id = p.line_id WHERE c.amount_nok > p.amount_nok",
    )
    assert bad == []


def test_every_source_id_registered(curated_db):
    missing = rows(
        curated_db,
        "SELECT line_id, source_id FROM budget_lines "
        "WHERE source_id NOT IN (SELECT source_id FROM sources)",
    )
    assert missing == []


def test_nothing_derived(curated_db):
    # All amounts are stated in the sources; no computed remainder rows.
    assert rows(curated_db, "SELECT line_id FROM budget_lines WHERE derived") == []


def test_envelopes_have_periods(curated_db):
    bad = rows(
        curated_db,
        "SELECT line_id FROM budget_lines WHERE kind = 'envelope' "
        "AND (period_start IS NULL OR period_end IS NULL OR period_start > period_end)",
    )
    assert bad == []


def test_medium_confidence_rows_explain_themselves(curated_db):
    bad = rows(
        curated_db,
        "SELECT line_id FROM budget_lines WHERE confidence <> 'high' "
        "AND (note IS NULL OR length(note) < 40)",
    )
    assert bad == []
