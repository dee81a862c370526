"""Run folders on disk: the lock, the manifest, the index pages, retention, ``latest``."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import re
import shutil
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError

RUN_ID = re.compile(r"^\d{8}-\d{6}(-\d+)?$")


def new_run_dir(output: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run = output / stamp
    n = 1
    while run.exists():
        n += 1
        run = output / f"{stamp}-{n}"
    run.mkdir(parents=True)
    return run


def lock_output(output: Path):
    output.mkdir(parents=True, exist_ok=True)
    fh = open(output / ".schedule.lock", "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise WorkbenchError(f"{output}: another `workbench schedule` is writing here") \
            from None
    return fh


def runs(output: Path) -> list[Path]:
    """Run folders in ``output``, oldest first."""
    if not output.is_dir():
        return []
    return sorted((p for p in output.iterdir() if p.is_dir() and RUN_ID.match(p.name)),
                  key=lambda p: (p.name[:15], int(p.name[16:] or 1)))


def prune(output: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest runs; returns what was deleted."""
    old = runs(output)[:-keep] if keep > 0 else []
    for p in old:
        shutil.rmtree(p, ignore_errors=True)
    return old


def manifest(outcomes: list, run: Path, meta: dict[str, Any]) -> dict[str, Any]:
    reports = [o.as_dict(run) for o in outcomes]
    failed = sum(r["status"] != "ok" for r in reports)
    return {**meta, "status": "failed" if failed else "ok",
            "counts": {"ok": len(reports) - failed, "failed": failed}, "reports": reports}


_STATUS = {"ok": "OK", "failed": "Feilet", "timeout": "Tidsavbrudd"}


def _when(iso: str | None) -> str:
    if not iso:
        return "–"
    from .. import norsk

    t = dt.datetime.fromisoformat(iso)
    return f"{norsk.date(t.date())} kl. {t:%H:%M}"


def _templates():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.filters["when"] = _when
    env.globals["STATUS"] = _STATUS
    return env


def index_html(m: dict[str, Any]) -> str:
    """The run's own page: every report with its parameters, status, time and files."""
    return _templates().get_template("run.html.j2").render(m=m)


def runs_index_html(output: Path) -> str:
    """The page listing every kept run, newest first."""
    manifests = []
    for run in reversed(runs(output)):
        try:
            m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        manifests.append((run.name, m))
    return _templates().get_template("runs.html.j2").render(runs=manifests)


def point_latest(output: Path, run: Path) -> None:
    link = output / "latest"
    tmp = output / ".latest.tmp"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(run.name, target_is_directory=True)
        tmp.replace(link)
    except OSError:
        pass  # no symlinks here (some file systems): index.html still lists the runs


