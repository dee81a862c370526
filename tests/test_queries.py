"""Named queries on the curated data: expected rows, parameter errors, injection."""
from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from workbench import cli, queries
from workbench.builder import build
from workbench.queries import QueryError
from workbench.sql import scalar

from helpers import ROOT


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "warehouse.duckdb"
    build(ROOT / "data", path)
    return path


def q(db, name, **params):
    return queries.run(name, params, db=db)


def test_every_query_has_a_description_and_runs_with_defaults(db):
    found = queries.catalog()
    assert list(found) == [
        "adoption", "budget_breakdown", "budget_comparison", "budget_parents",
        "budget_years", "grant_projects", "grant_rounds", "helsefellesskap", "key_figures",
        "kommuner", "municipal_counts", "provenance", "reconciliation_gaps", "source_usage",
        "sources",
        "survey_scores", "surveys", "vft_growth", "vft_technologies"]
    for name, query in found.items():
        assert query.description, name
        df = q(db, name)
        assert df.height > 0, f"{name} returned no rows with its defaults"


def test_budget_breakdown_shows_unspecified_remainder(db):
    df = q(db, "budget_breakdown", year=2024, parent="hto-2024")
    rows = dict(zip(df["label"], df["amount_nok"], strict=True))
    assert rows["Ikke spesifisert"] == 26_100_000
    assert sum(df["amount_nok"]) == 150_000_000  # parts + remainder = stated total
    assert df.filter(df["unspecified"])["derived"].to_list() == [True]


def test_budget_breakdown_without_gap_has_no_remainder(db):
    df = q(db, "budget_breakdown", year=2026, parent="hto-2026")
    assert "Ikke spesifisert" not in df["label"].to_list()
    assert sum(df["amount_nok"]) == 179_100_000
    assert df["amount_nok"].to_list() == sorted(df["amount_nok"].to_list(), reverse=True)


def test_budget_comparison_pairs_lines_across_years(db):
    df = q(db, "budget_comparison", from_year=2024, to_year=2026)
    hto = df.filter(df["line_key"] == "hto").sort("budget_year")
    assert hto["amount_nok"].to_list() == [150_000_000, 179_100_000]
    assert hto["change_nok"].to_list() == [29_100_000, 29_100_000]
    assert set(df["budget_year"]) == {2024, 2026}
    assert "envelope" not in df["kind"].to_list()


def test_grant_rounds_success_rate_and_oversubscription(db):
    df = q(db, "grant_rounds", year=2024)
    row = df.filter(df["scheme_id"] == "hto-helseteknologi-kommuner").to_dicts()[0]
    assert row["applications"] == 180 and row["granted_projects"] == 66
    assert row["success_rate"] == pytest.approx(66 / 180)
    assert row["oversubscription"] == pytest.approx(332_100_000 / (56_700_000 + 14_500_000))
    assert q(db, "grant_rounds", year=1999).height == 0


def test_grant_projects_running_totals(db):
    df = q(db, "grant_projects")
    assert df.height == 19
    assert df["running_total_nok"][-1] == sum(df["amount_nok"])
    finnmark = q(db, "grant_projects", helsefellesskap="Finnmark")
    assert finnmark["running_total_nok"].to_list() == \
        finnmark["running_total_in_group_nok"].to_list()


def test_vft_growth_rate(db):
    df = q(db, "vft_growth")
    last = df.filter(df["year"] == 2024).to_dicts()[0]
    assert last["recipients"] == 133_731 and last["previous_recipients"] == 95_718
    assert last["annual_growth_rate"] == pytest.approx((133731 / 95718) ** (1 / 7) - 1)


def test_vft_technologies_lists_alle_first_with_its_years(db):
    df = q(db, "vft_technologies")
    first = df.row(0, named=True)
    assert first == {"technology": "Alle", "years": 2, "first_year": 2017,
                     "last_year": 2024}


def test_source_usage_counts_every_cited_row_once(db):
    df = q(db, "source_usage")
    with duckdb.connect(str(db), read_only=True) as con:
        cited = sum(scalar(con, f"SELECT count(*) FROM {name}")
                    for name in ("budget_lines", "grant_rounds", "grant_projects",
                                 "stated_totals", "vft_recipients", "adoption_counts",
                                 "municipal_counts", "survey_results", "kommuner"))
    assert df["rows"].sum() == cited
    nord = q(db, "source_usage", source_id="ehr-2025-10-s24")
    projects = nord.filter(nord["dataset"] == "grant_projects").row(0, named=True)
    assert (projects["rows"], projects["low"], projects["derived"]) == (19, 6, 4)


def test_kommuner_by_fylke(db):
    assert q(db, "kommuner").height == 356
    oslo = q(db, "kommuner", fylke="Oslo")
    assert oslo.select("kommunenummer", "name").rows() == [("0301", "Oslo")]


def test_survey_scores_on_scale(db):
    df = q(db, "survey_scores")
    assert df.height == 6
    assert set(df["n"]) == {115}
    assert all(1 <= v <= 5 for v in df["value"])


def test_reconciliation_gaps_match_check(db):
    df = q(db, "reconciliation_gaps", dataset="budget_lines")
    assert dict(zip(df["subject"], df["gap"], strict=True))["hto-2024"] == 26_100_000


def test_key_figures_carry_sources(db):
    df = q(db, "key_figures")
    assert df["source_label"].null_count() == 0
    assert dict(zip(df["figure_id"], df["value"], strict=True))["vft_2024"] == 133_731


@pytest.mark.parametrize("name,params,message", [
    ("nope", {}, "unknown query 'nope'; known queries: adoption, "),
    ("grant_rounds", {"yr": 2024}, "grant_rounds: unknown parameter 'yr'; accepted: "
                                   "year (int, default empty), programme (text, "
                                   "default empty)"),
    ("grant_rounds", {"year": "2024"}, "grant_rounds: parameter 'year' must be int, got "
                                       "'2024'; accepted: "),
    ("budget_breakdown", {"year": 20.5}, "budget_breakdown: parameter 'year' must be "
                                         "int, got 20.5"),
])
def test_parameter_errors_are_one_line(db, name, params, message):
    with pytest.raises(QueryError) as exc:
        q(db, name, **params)
    text = str(exc.value)
    assert message in text and "\n" not in text


def test_missing_required_parameter(tmp_path, db):
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "needs.sql").write_text("-- Needs a year.\n-- @param year int : year\n"
                                      "SELECT $year AS y\n")
    query = queries.catalog(folder)["needs"]
    with pytest.raises(QueryError, match=r"needs: missing parameter 'year'; accepted: "
                                         r"year \(int, required\)"):
        queries.bind(query, {})


def test_injection_is_rejected_or_bound(db, capsys):
    code = cli.main(["query", "budget_breakdown", "-p", "year=2026; DROP TABLE budget_lines",
                     "--db", str(db)])
    assert code == 2
    assert "must be int" in capsys.readouterr().err
    df = q(db, "budget_breakdown", year=2026,
           parent="hto-2026'; DROP TABLE budget_lines; --")
    assert df.height == 0  # a plain (non-matching) value
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM budget_lines").fetchall()[0][0] == 36


def test_cli_formats(db, capsys):
    assert cli.main(["query", "vft_growth", "--format", "json", "--db", str(db)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["recipients"] for r in rows] == [95718, 133731]
    assert cli.main(["query", "grant_rounds", "-p", "year=2024", "--format", "csv",
                     "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("programme,scheme_id,scheme,year,available_nok")
    assert len(out.splitlines()) == 5
    assert cli.main(["query", "budget_years", "--db", str(db)]) == 0
    assert "2026" in capsys.readouterr().out


def test_shared_connection_picks_up_a_new_snapshot(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("*.duckdb", "loads"))
    db = tmp_path / "w.duckdb"
    build(data, db)
    before = queries.run("vft_growth", db=db)["recipients"].to_list()
    csv = data / "vft_recipients.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",133731,", ",133732,"),
                   encoding="utf-8")
    build(data, db)
    after = queries.run("vft_growth", db=db)["recipients"].to_list()
    assert before == [95718, 133731] and after == [95718, 133732]
