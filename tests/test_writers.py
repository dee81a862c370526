"""Several writers at once, and writers killed at any moment: nothing is lost.

Real `workbench` processes on a real database file. The numbers of trials can be raised
for a longer run: WORKBENCH_WRITER_TRIALS (each concurrent pairing, default 8) and
WORKBENCH_KILL_TRIALS (default 24).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from workbench import kept_loads, locking
from workbench.builder import build, load

from helpers import CORPUS, ROOT, file_sha

pytestmark = pytest.mark.slow

TRIALS = int(os.environ.get("WORKBENCH_WRITER_TRIALS", 8))
KILL_TRIALS = int(os.environ.get("WORKBENCH_KILL_TRIALS", 24))
YEARS_A = range(2010, 2020)   # 356 kommuner × 10 years = 3 560 rows per file
YEARS_B = range(2020, 2030)


def kommuner() -> list[str]:
    lines = (ROOT / "data" / "kommuner.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [ln.split(",")[0] for ln in lines]


def indicators(path: Path, years, indicator: str, repeat: int = 1) -> Path:
    rows = ["kommunenummer,year,indicator,value,source_id"]
    for i in range(repeat):
        name = indicator if repeat == 1 else f"{indicator}-{i}"
        rows += [f"{k},{y},{name},{n * 1.5},ssb" for n, k in enumerate(kommuner())
                 for y in years]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """data/ (CSV files only) and a database with the SSB source registered by a kept
    load, so that a rebuild replays it."""
    root = tmp_path_factory.mktemp("writers")
    shutil.copytree(ROOT / "data", root / "data",
                    ignore=shutil.ignore_patterns("*.duckdb", "*.wal", "loads", ".*"))
    build(root / "data", root / "data" / "warehouse.duckdb")
    load(CORPUS / "ok_sources_ssb.csv", "sources", db=root / "data" / "warehouse.duckdb",
         data=root / "data")
    indicators(root / "a.csv", YEARS_A, "a")
    indicators(root / "b.csv", YEARS_B, "b")
    indicators(root / "big.csv", range(1990, 2100), "big", repeat=4)  # 156 640 rows
    return root


@pytest.fixture
def project(base, tmp_path) -> Path:
    shutil.copytree(base, tmp_path / "p")
    return tmp_path / "p"


def workbench(project: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", *args,
         "--db", str(project / "data" / "warehouse.duckdb"), "--data", str(project / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=project)


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def counts(project: Path) -> dict[str, int]:
    with duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True) as con:
        return dict(con.execute("SELECT indicator, count(*) FROM kommune_indicators "
                                "GROUP BY ALL").fetchall())


def leftovers(project: Path) -> list[Path]:
    data = project / "data"
    return (list(data.glob(".warehouse.duckdb.*")) + list(data.glob("loads/*/.*")))


def test_two_loads_at_once_both_land(base, tmp_path):
    waited = 0
    for trial in range(TRIALS):
        project = tmp_path / f"t{trial}"
        shutil.copytree(base, project)
        a = workbench(project, "load", str(project / "a.csv"), "--dataset",
                      "kommune_indicators")
        b = workbench(project, "load", str(project / "b.csv"), "--dataset",
                      "kommune_indicators")
        (ra, oa, ea), (rb, ob, eb) = finish(a), finish(b)
        assert (ra, rb) == (0, 0), (ea, eb)
        assert "Loaded 3560 rows" in oa and "Loaded 3560 rows" in ob
        assert counts(project) == {"a": 3560, "b": 3560}, trial
        waited += ("venter på at en annen lasting blir ferdig" in ea + eb)
        # both kept (with the SSB source), so a rebuild from data/ keeps both too
        assert len(kept_loads.kept(project / "data")) == 3
        rc, _, err = finish(workbench(project, "build"))
        assert rc == 0, err
        assert counts(project) == {"a": 3560, "b": 3560}
    assert waited >= 1, "the two loads never overlapped: the test proved nothing"


def test_build_and_load_at_once_both_land(base, tmp_path):
    for trial in range(TRIALS):
        project = tmp_path / f"t{trial}"
        shutil.copytree(base, project)
        procs = [workbench(project, "build"),
                 workbench(project, "load", str(project / "a.csv"), "--dataset",
                           "kommune_indicators")]
        if trial % 2:
            procs.reverse()
        results = [finish(p) for p in procs]
        assert [r[0] for r in results] == [0, 0], [r[2] for r in results]
        assert counts(project) == {"a": 3560}, trial
        with duckdb.connect(str(project / "data" / "warehouse.duckdb"),
                            read_only=True) as con:
            assert con.execute("SELECT count(*) FROM budget_lines").fetchall()[0][0] > 30


def test_a_waiting_writer_says_so_and_goes_on_when_the_lock_is_free(project):
    db = project / "data" / "warehouse.duckdb"
    with locking.writer_lock(db, what="test som holder låsen", on_wait=None):
        proc = workbench(project, "load", str(project / "a.csv"), "--dataset",
                         "kommune_indicators", "--wait", "60")
        line = proc.stderr.readline()
        assert line.startswith("venter på at en annen lasting blir ferdig")
        assert "test som holder låsen" in line and str(os.getpid()) in line
        # readers are not blocked by a writer: a query answers meanwhile
        started = time.monotonic()
        q = subprocess.run([sys.executable, "-m", "workbench.cli", "query", "sources",
                            "--db", str(db), "--format", "csv"], capture_output=True,
                           text=True, timeout=60)
        assert q.returncode == 0 and "ssb" in q.stdout
        assert proc.poll() is None  # still waiting
    rc, out, err = finish(proc)
    assert rc == 0 and "Loaded 3560 rows" in out, err
    assert time.monotonic() - started < 60


def test_the_wait_is_bounded_and_the_database_untouched(project):
    db = project / "data" / "warehouse.duckdb"
    before = file_sha(db)
    with locking.writer_lock(db, what="en lang bygging", on_wait=None):
        rc, out, err = finish(workbench(project, "load", str(project / "a.csv"),
                                        "--dataset", "kommune_indicators", "--wait", "1"))
        # The writer that gave up left the holder's name for the next one to see.
        holder = locking.lock_path(db).read_text(encoding="utf-8")
        assert "en lang bygging" in holder, holder
    assert rc == 2 and out == ""
    assert "ga opp etter 1 s" in err and "en lang bygging" in err
    assert file_sha(db) == before
    assert len(kept_loads.kept(project / "data")) == 1  # the SSB source only


def test_the_lock_of_a_killed_holder_is_released(project):
    db = project / "data" / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from workbench import locking\n"
        f"with locking.writer_lock({str(db)!r}, what='holder', on_wait=None):\n"
        "    print('held', flush=True); time.sleep(600)")], stdout=subprocess.PIPE,
        text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    rc, out, err = finish(workbench(project, "load", str(project / "a.csv"), "--dataset",
                                    "kommune_indicators", "--wait", "5"))
    assert rc == 0, err
    assert "venter" not in err


def test_stale_files_of_killed_writers_are_cleared(project):
    data = project / "data"
    db = data / "warehouse.duckdb"
    (data / ".warehouse.duckdb.99999.tmp").write_bytes(b"half a database" * 100_000)
    (data / ".warehouse.duckdb.99999.tmp.wal").write_bytes(b"wal")
    folder = kept_loads.folder(data, "kommune_indicators")
    folder.mkdir(parents=True)
    orphan = folder / ".pending--20260101T000000000000Z--0123456789abcdef--x.csv"
    orphan.write_text("not published")
    (folder / ".x.csv.abc123.tmp").write_text("half a copy")
    rc, out, err = finish(workbench(project, "load", str(project / "a.csv"), "--dataset",
                                    "kommune_indicators"))
    assert rc == 0, err
    assert leftovers(project) == []
    assert [p.name.split("--")[2] for p in kept_loads.kept(data)] == ["ok_sources_ssb.csv",
                                                                        "a.csv"]
    assert counts(project) == {"a": 3560}
    assert file_sha(db)  # readable file


def _typical_seconds(project: Path, *args: str) -> float:
    started = time.monotonic()
    rc, _, err = finish(workbench(project, *args))
    assert rc == 0, err
    return time.monotonic() - started


def test_killed_at_any_moment_nothing_is_lost(base, tmp_path):
    """SIGKILL a load (or a build) at random moments; the database stays readable and
    whole, a published load keeps its kept copy, and the next run succeeds."""
    rng = random.Random(20261201)
    sample = tmp_path / "sample"
    shutil.copytree(base, sample)
    load_args = ("load", str(base / "big.csv"), "--dataset", "kommune_indicators")
    load_s = _typical_seconds(sample, *load_args)
    build_s = _typical_seconds(sample, "build")
    outcomes = {"unchanged": 0, "published": 0}
    for trial in range(KILL_TRIALS):
        project = tmp_path / f"k{trial}"
        shutil.copytree(base, project)
        db = project / "data" / "warehouse.duckdb"
        before_sha, before = file_sha(db), counts(project)
        is_build = trial % 4 == 3
        args = ("build",) if is_build else load_args
        proc = workbench(project, *args)
        time.sleep(rng.uniform(0.05, 1.1 * (build_s if is_build else load_s)))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        after = counts(project)  # readable whatever happened
        if file_sha(db) == before_sha:
            outcomes["unchanged"] += 1
            assert after == before
        else:
            outcomes["published"] += 1
            assert after == ({} if is_build else {**before, "big-0": 39160, "big-1": 39160,
                                                   "big-2": 39160, "big-3": 39160})
        # the next writer clears what was left and finds the database whole
        rc, _, err = finish(workbench(project, *args))
        assert rc == 0, (trial, err)
        assert leftovers(project) == []
        expected = {} if is_build else {f"big-{i}": 39160 for i in range(4)}
        assert counts(project) == expected, trial
        if not is_build:  # a rebuild keeps the load: its copy was kept exactly once
            assert len(kept_loads.kept(project / "data")) == 2  # with the SSB source
            rc, _, err = finish(workbench(project, "build"))
            assert rc == 0 and counts(project) == expected, err
    print(f"\n{KILL_TRIALS} kill trials: {outcomes}")
    assert outcomes["unchanged"] and outcomes["published"], outcomes


def test_a_load_published_but_killed_before_its_copy_was_kept_keeps_its_copy(
        project, monkeypatch):
    """The one moment a kill could lose a load on the next rebuild: the database is
    published and the kept copy still has its pending name. The next writer commits it."""
    data, db = project / "data", project / "data" / "warehouse.duckdb"

    def killed(pending):
        raise KeyboardInterrupt("killed between the swap and the commit")

    monkeypatch.setattr(kept_loads, "commit", killed)
    with pytest.raises(KeyboardInterrupt):
        load(project / "a.csv", "kommune_indicators", db=db, data=data)
    monkeypatch.undo()
    assert counts(project) == {"a": 3560}  # published
    assert [p.name[:10] for p in data.glob("loads/*/.*")] == [".pending--"]
    build(data, db)  # the next writer: recovers, then replays the committed copy
    assert counts(project) == {"a": 3560}
    assert leftovers(project) == []
