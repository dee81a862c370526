"""Report notebooks: ``workbench report`` and ``workbench schedule``.

The package, by job:

- :mod:`.parameters` — a report notebook and its parameters (read, never run, to check
  a request before any kernel starts);
- :mod:`.schedule` — ``reports.toml`` and the plan of runs it gives;
- :mod:`.runs` — run folders: lock, manifest, index pages (Jinja templates in
  ``templates/``), retention;
- :mod:`.kernel` and :mod:`.warmup` — one warm kernel, and the code it runs to warm up
  and reset;
- :mod:`.execute` — one report on a running kernel through papermill, with a timeout;
- :mod:`.pool` — many reports on parallel kernels;
- :mod:`.export` — the executed notebook as self-contained HTML for readers.

This module holds the entry points the command line calls.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import NoDatabase, WorkbenchError
from ..files import atomic_write
from . import pool
from .execute import Job, Outcome
from .kernel import kernel_env
from .parameters import Param, Report, available, find, read, report_folder
from .runs import (
    index_html,
    lock_output,
    manifest,
    new_run_dir,
    point_latest,
    prune,
    runs,
    runs_index_html,
)
from .schedule import DEFAULT_WARM, Config, load_config, output_stem, plan

__all__ = ["Config", "DEFAULT_WARM", "Job", "Outcome", "Param", "Report", "ScheduleRun",
           "available", "database", "find", "list_reports", "load_config", "output_stem",
           "plan", "plan_schedule", "prune", "read", "report_folder", "run_report",
           "run_schedule", "runs", "WorkbenchError"]


def database(db: str | os.PathLike | None = None) -> Path:
    """The published database's absolute path; an error when there is none yet."""
    path = paths.db_path(db).resolve()
    if not path.exists():
        raise NoDatabase(path)
    return path


def list_reports(reports_dir: str | os.PathLike | None = None) -> list[Report]:
    """Every report in the folder, with its parameters and title."""
    return [find(name, reports_dir) for name in available(report_folder(reports_dir))]


def run_report(name: str, *, params: dict[str, Any] | None = None, from_text: bool = False,
               db: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
               reports_dir: str | os.PathLike | None = None, timeout: float = 600.0):
    """Run one report into ``out`` (default ``reports-out/``); returns its Outcome.

    ``params`` are checked against the notebook's parameters cell before a kernel
    starts (``from_text``: the values are text from the command line, coerced to each
    parameter's type). A failing report does not raise: the Outcome says what failed.
    """
    report = find(name, reports_dir)
    values = report.validate(params or {}, from_text=from_text)
    path = database(db)
    folder = Path(out) if out else paths.PROJECT_ROOT / "reports-out"
    folder.mkdir(parents=True, exist_ok=True)
    job = Job(report=report.name, notebook=report.path, params=values,
                        stem=output_stem(report.name, values), out_dir=folder,
                        title=report.title, timeout=float(timeout))
    (outcome,) = pool.run([job], workers=1, env=kernel_env(path),
                               warm=DEFAULT_WARM, retries=1)
    return outcome


def plan_schedule(config: str | os.PathLike, *, db: str | os.PathLike | None = None,
                  only: list[str] | None = None) -> list:
    """The schedule's runs as validated Jobs, without starting a kernel."""
    return plan(load_config(config), database(db), only)


@dataclass
class ScheduleRun:
    """What ``run_schedule`` did: the run folder, its manifest and pruned old runs."""

    run: Path
    manifest: dict[str, Any]
    deleted: list[Path]

    @property
    def failed(self) -> int:
        return self.manifest["counts"]["failed"]


def run_schedule(config: str | os.PathLike, *, db: str | os.PathLike | None = None,
                 only: list[str] | None = None, output: str | os.PathLike | None = None,
                 workers: int | None = None, on_start=None, on_done=None) -> ScheduleRun:
    """Run the scheduled set into a new run folder with a manifest and an index page.

    ``on_start(jobs, workers, run_dir)`` and ``on_done(outcome)`` report progress.
    Failing reports do not raise; the manifest and ``ScheduleRun.failed`` say so.
    """
    cfg = load_config(config)
    path = database(db)
    output = Path(output).resolve() if output else cfg.output
    workers = workers or cfg.workers or os.cpu_count() or 1
    jobs = plan(cfg, path, only)
    lock = lock_output(output)
    try:
        run = new_run_dir(output)
        for j in jobs:
            j.out_dir = run
        started = dt.datetime.now().astimezone()
        if on_start:
            on_start(jobs, min(workers, len(jobs)), run)
        outcomes = pool.run(jobs, workers=workers, env=kernel_env(path),
                                 warm=cfg.warm, retries=cfg.retries,
                                 max_reports_per_kernel=cfg.max_reports_per_kernel,
                                 on_done=on_done)
        finished = dt.datetime.now().astimezone()
        m = manifest(outcomes, run, {
            "run_id": run.name, "started": started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            "duration_s": round((finished - started).total_seconds(), 3),
            "config": str(cfg.path), "database": str(path),
            "workers": min(workers, len(jobs)), "python": sys.executable,
        })
        atomic_write(run / "manifest.json", json.dumps(m, ensure_ascii=False, indent=2) + "\n")
        atomic_write(run / "index.html", index_html(m))
        point_latest(output, run)
        deleted = prune(output, cfg.keep)
        atomic_write(output / "index.html", runs_index_html(output))
    finally:
        lock.close()
    return ScheduleRun(run, m, deleted)
