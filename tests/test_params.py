"""One parameter vocabulary: `workbench query` and `workbench report` agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import cli, params, queries, reports
from workbench.builder import build
from workbench.errors import WorkbenchError

from helpers import ROOT

FIXTURES = Path(__file__).resolve().parent / "reports_fixtures"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("params-db") / "warehouse.duckdb"
    build(ROOT / "data", path)
    return path


@pytest.mark.parametrize("word,value", [(w, True) for w in params.TRUE_WORDS]
                         + [(w, False) for w in params.FALSE_WORDS]
                         + [("JA", True), (" Nei ", False)])
def test_true_and_false_words_mean_the_same_for_queries_and_reports(word, value, tmp_path):
    q = tmp_path / "flag.sql"
    q.write_text("-- A flag.\n-- @param flag bool : a flag\nSELECT $flag AS flag\n")
    assert queries.bind(queries.catalog(tmp_path)["flag"], {"flag": word},
                        from_text=True) == {"flag": value}
    r = reports.read(FIXTURES / "enkel.ipynb")
    assert r.validate({"vis_tabell": word}, from_text=True) == {"vis_tabell": value}


@pytest.mark.parametrize("command", [
    ["query", "grant_rounds", "-p", "year=2024", "-p", "year=2026"],
    ["report", "enkel", "--reports-dir", str(FIXTURES), "-p", "aar=2024", "-p", "aar=2025"],
])
def test_a_repeated_key_is_an_error_in_both_commands(command, db, capsys):
    assert cli.main([*command, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["workbench: parameter year is given twice"
                                        if command[0] == "query" else
                                        "workbench: parameter aar is given twice"]


@pytest.mark.parametrize("item", ["year", "=2024", ""])
def test_not_key_value(item):
    with pytest.raises(WorkbenchError, match="is not KEY=VALUE"):
        params.split([item])


def test_values_keep_everything_after_the_first_equals_sign():
    assert params.split(["q=a=b", "x= 1 "]) == {"q": "a=b", "x": " 1 "}


@pytest.mark.parametrize("kind,text,expected", [
    ("int", "2026", 2026), ("int", " -3 ", -3), ("float", "3,5", 3.5),
    ("float", "3.5", 3.5), ("float", "2", 2.0), ("str", " Alle ", " Alle "),
    ("list", '["a", 1]', ["a", 1]), ("list", "['a']", ["a"]), ("dict", '{"a": 1}',
                                                                 {"a": 1}),
    ("any", "not a literal", "not a literal"),
])
def test_text_is_typed(kind, text, expected):
    assert params.from_text(kind, text) == expected


@pytest.mark.parametrize("kind,text", [
    ("int", "2024.5"), ("int", "tjue"), ("int", ""), ("float", "1,2,3"),
    ("bool", "kanskje"), ("list", "x"), ("dict", "[1]"),
])
def test_bad_text_is_refused(kind, text):
    with pytest.raises(ValueError):
        params.from_text(kind, text)


@pytest.mark.parametrize("text", params.NO_VALUE)
def test_no_value_is_none_only_for_optional_parameters(text):
    assert params.from_text("int", text, optional=True) is None
    with pytest.raises(ValueError):
        params.from_text("int", text)


def test_query_and_report_report_a_bad_value_in_one_line(db, capsys):
    assert cli.main(["query", "grant_rounds", "-p", "year=tjue", "--db", str(db)]) == 2
    q_err = capsys.readouterr().err.strip().splitlines()
    assert q_err == ["workbench: grant_rounds: parameter 'year' must be int, got 'tjue'; "
                     "accepted: year (int, default empty), programme (text, default "
                     "empty)"]
    assert cli.main(["report", "enkel", "--reports-dir", str(FIXTURES), "-p", "aar=tjue",
                     "--db", str(db)]) == 2
    r_err = capsys.readouterr().err.strip().splitlines()
    assert r_err == ["workbench: enkel: parameter aar must be a whole number (default "
                     "2024), got 'tjue'"]


def test_null_means_no_value_for_an_optional_query_parameter(db):
    given = queries.run("grant_rounds", {"year": "2024", "programme": "null"},
                        from_text=True, db=db)
    omitted = queries.run("grant_rounds", {"year": 2024}, db=db)
    assert given.height > 0 and given.equals(omitted)
