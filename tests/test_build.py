"""Build and load: atomic publish, determinism, replace-by-key, the command line."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from workbench import cli, database
from workbench.builder import build, load
from workbench.errors import ValidationError

from helpers import CORPUS, ROOT, content, file_sha


@pytest.fixture
def data(tmp_path):
    """A private copy of data/ to break or extend."""
    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data", folder, ignore=shutil.ignore_patterns("*.duckdb",
                                                                         "loads"))
    return folder


def test_build_twice_gives_identical_content(data, tmp_path):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    build(data, a)
    build(data, b)
    assert content(a) == content(b)
    assert content(a)["budget_lines"]  # the comparison is over real rows


def test_load_log_records_every_file(data, tmp_path):
    db = tmp_path / "w.duckdb"
    results = build(data, db)
    with duckdb.connect(str(db), read_only=True) as con:
        log = con.execute("SELECT dataset, rows, sha256, via FROM load_log "
                          "ORDER BY dataset").fetchall()
    assert sorted((r.dataset, r.rows, r.sha256, "build") for r in results) == log
    assert all(len(sha) == 64 for _, _, sha, _ in log)


def test_failure_inside_publish_leaves_old_database_readable(data, tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    build(data, db)
    before = file_sha(db)

    def crash(tmp, final):
        assert tmp.exists()  # the new file was complete when the crash came
        raise RuntimeError("simulated crash during publish")

    monkeypatch.setattr(database, "_before_replace", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build(data, db)
    assert file_sha(db) == before
    assert list(tmp_path.glob(".*tmp*")) == []
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM sources").fetchall()[0][0] > 0


def test_invalid_curated_file_fails_build_and_keeps_database(data, tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    build(data, db)
    before = file_sha(db)
    text = (data / "vft_recipients.csv").read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",133731,", ",133 731 brukere,")
    (data / "vft_recipients.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    code = cli.main(["build", "--data", str(data), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 1
    assert 'vft_recipients.csv:3: recipients: "133 731 brukere" is not a whole number' in err
    assert file_sha(db) == before


def test_every_curated_problem_is_reported_in_one_run(data, tmp_path):
    lines = (data / "adoption_counts.csv").read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if ",high," in line)
    lines[n] = lines[n].replace(",high,", ",sure,", 1)
    (data / "adoption_counts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "kommuner.csv").unlink()
    with pytest.raises(ValidationError) as exc:
        build(data, tmp_path / "w.duckdb")
    text = exc.value.report()
    assert (f'adoption_counts.csv:{n + 1}: confidence: "sure" is not one of: high, medium, '
            f"low") in text
    assert "kommuner.csv: missing: the curated dataset 'kommuner' has no file" in text
    assert not (tmp_path / "w.duckdb").exists()


def test_load_replaces_by_key_and_is_idempotent(data, tmp_path):
    db = tmp_path / "w.duckdb"
    build(data, db)
    load(CORPUS / "ok_sources_ssb.csv", "sources", db=db, data=data)
    load(CORPUS / "ok_indicators.csv", "kommune_indicators", db=db, data=data)
    once = content(db)
    load(CORPUS / "ok_indicators.csv", "kommune_indicators", db=db, data=data)
    twice = content(db)
    assert {k: v for k, v in once.items() if k != "load_log"} == \
           {k: v for k, v in twice.items() if k != "load_log"}
    # A second file with one key in common replaces that row and keeps the other.
    load(CORPUS / "ok_thousands_space.csv", "kommune_indicators", db=db, data=data)
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute("SELECT kommunenummer, value FROM kommune_indicators "
                          "ORDER BY 1").fetchall()
    assert got == [("0301", 717710.0), ("1103", 150000.0), ("4601", 291189.0),
                   ("5001", 214565.0)]
    kept = sorted(p.name.split("--")[2] for p in (data / "loads").rglob("*.csv"))
    assert kept == ["ok_indicators.csv", "ok_sources_ssb.csv", "ok_thousands_space.csv"]


def test_build_replays_kept_loads(data, tmp_path):
    db = tmp_path / "w.duckdb"
    build(data, db)
    load(CORPUS / "ok_sources_ssb.csv", "sources", db=db, data=data)
    load(CORPUS / "ok_indicators.csv", "kommune_indicators", db=db, data=data)
    loaded = content(db)
    build(data, db)
    rebuilt = content(db)
    assert rebuilt["kommune_indicators"] == loaded["kommune_indicators"]
    assert rebuilt["sources"] == loaded["sources"]


def test_load_without_database_says_build_first(tmp_path, capsys):
    code = cli.main(["load", str(CORPUS / "ok_indicators.csv"), "--dataset",
                     "kommune_indicators", "--db", str(tmp_path / "none.duckdb")])
    assert code == 2
    assert "run `workbench build` first" in capsys.readouterr().err


def test_connect_is_read_only_and_keeps_its_snapshot(data, tmp_path):
    db = tmp_path / "w.duckdb"
    build(data, db)
    con = database.connect(db)
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM sources")
    n = con.execute("SELECT count(*) FROM sources").fetchall()[0][0]
    build(data, db)  # publishing a new file does not disturb the open snapshot
    assert con.execute("SELECT count(*) FROM sources").fetchall()[0][0] == n
    con.close()


def test_check_reports_gaps_and_exits_zero(capsys):
    code = cli.main(["check"])
    out = capsys.readouterr().out
    assert code == 0
    assert "GAP budget_lines hto-2024: stated 150 000 000, sum 123 900 000, gap 26 100 000" in out
    assert "Low-confidence readings:" in out


def test_check_fails_on_invalid_data(data, capsys):
    (data / "sources.csv").write_text("source_id,organ\nx,y\n", encoding="utf-8")
    assert cli.main(["check", "--data", str(data)]) == 1


def test_describe_markdown_matches_docs(capsys):
    assert cli.main(["describe", "--markdown"]) == 0
    generated = capsys.readouterr().out
    assert (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8") == generated, \
        "docs/data-dictionary.md is stale: run `make docs`"


def test_describe_one_dataset(capsys):
    assert cli.main(["describe", "kommune_indicators"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kommune_indicators — Kommuneindikatorer")
    assert "kommunenummer (4-digit kommunenummer as text (0301, not 301), required)" in out


def test_data_page_matches_docs(capsys):
    assert cli.main(["check", "--format", "markdown"]) == 0
    generated = capsys.readouterr().out
    assert (ROOT / "docs" / "data.md").read_text(encoding="utf-8") == generated, \
        "docs/data.md is stale: run `make docs`"
    assert "| hto-2024 |" in generated  # a known gap is listed


def test_clean_files_take_the_fast_path_and_messy_ones_the_precise_path(data, tmp_path):
    db = tmp_path / "w.duckdb"
    results = build(data, db)
    assert all(r.fast for r in results), [r.dataset for r in results if not r.fast]
    load(CORPUS / "ok_sources_ssb.csv", "sources", db=db, data=data, keep=False)
    assert load(CORPUS / "ok_indicators.csv", "kommune_indicators", db=db, data=data,
                keep=False).fast
    assert not load(CORPUS / "ok_thousands_space.csv", "kommune_indicators", db=db,
                    data=data, keep=False).fast


def test_load_many_is_all_or_nothing_and_later_files_see_earlier_ones(data, tmp_path):
    from workbench import kept_loads
    from workbench.builder import load_many

    db = tmp_path / "w.duckdb"
    build(data, db)
    before = file_sha(db)
    indicators = tmp_path / "ind.csv"
    indicators.write_text("kommunenummer,year,indicator,value,source_id\n"
                          "0301,2024,innbyggere,717710,ssb\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("kommunenummer,year,indicator,value,source_id\n"
                   "301,2024,innbyggere,1,ssb\n", encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        load_many([(CORPUS / "ok_sources_ssb.csv", "sources"), (indicators,
                   "kommune_indicators"), (bad, "kommune_indicators")], db=db, data=data)
    assert [str(p) for p in exc.value.problems] == [
        'bad.csv:2: kommunenummer: "301" is not a 4-digit kommunenummer (leading zeros '
        "matter: 0301, not 301)"]
    assert file_sha(db) == before and kept_loads.kept(data) == []
    # the sources file comes first, so the indicators may cite it
    results = load_many([(CORPUS / "ok_sources_ssb.csv", "sources"),
                         (indicators, "kommune_indicators")], db=db, data=data)
    assert [(r.dataset, r.rows) for r in results] == [("sources", 1),
                                                       ("kommune_indicators", 1)]
    assert len(kept_loads.kept(data)) == 2
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM load_log WHERE via = 'load'"
                           ).fetchall() == [(2,)]
