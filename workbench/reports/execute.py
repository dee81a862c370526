"""Running one report: papermill on a kernel that is already running, with a timeout.

papermill gets a ``workbench`` engine that hands nbclient the running, warmed kernel
instead of starting a new one. A watchdog interrupts the report when its time is up and
kills the kernel if the interrupt is ignored. Whatever happens, the result is an
:class:`Outcome` that says where a failing report stopped (``failing_cell``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from . import export
from .kernel import KERNEL_NAME, START_TIMEOUT, Kernel

KILL_GRACE = 5.0            # after a timeout's interrupt, seconds before the kill
ERROR_MARKER_TAG = "papermill-error-cell-tag"


@dataclass
class Job:
    report: str
    notebook: Path
    params: dict[str, Any]
    stem: str
    out_dir: Path
    title: str = ""
    timeout: float = 600.0
    fresh_kernel: bool = False


@dataclass
class Outcome:
    job: Job
    status: str                        # "ok", "failed" or "timeout"
    duration: float
    html: Path | None = None
    notebook: Path | None = None
    error: str | None = None           # first line of the error
    cell: dict[str, Any] | None = None  # the failing cell: index, id, tags, first_line
    attempts: int = 1
    kernel_pid: int | None = None
    start_failure: bool = False

    def describe_failure(self) -> str:
        where = ""
        if self.cell:
            what = self.cell.get("first_line") or ", ".join(self.cell.get("tags") or [])
            where = f" in cell {self.cell['index']} ({what})"
        verb = "timed out" if self.status == "timeout" else "failed"
        return f"{verb}{where}: {self.error}"

    def as_dict(self, base: Path) -> dict[str, Any]:
        def rel(p: Path | None) -> str | None:
            return None if p is None else os.path.relpath(p, base)

        return {
            "report": self.job.report, "parameters": self.job.params,
            "status": self.status, "duration_s": round(self.duration, 3),
            "html": rel(self.html), "notebook": rel(self.notebook),
            "error": self.error, "failed_cell": self.cell, "attempts": self.attempts,
            "kernel_pid": self.kernel_pid,
        }


_engine_lock = threading.Lock()
_engine_ready = False


def _papermill():
    """papermill, with the ``workbench`` engine (nbclient on a kernel we started) added."""
    global _engine_ready
    with _engine_lock:
        import papermill
        if not _engine_ready:
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.engines import NBClientEngine, papermill_engines

            class WarmKernelEngine(NBClientEngine):
                @classmethod
                def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                             stdout_file=None, stderr_file=None,
                                             start_timeout=60, execution_timeout=None,
                                             km=None, kc=None, **kwargs):
                    client = PapermillNotebookClient(
                        nb_man, km=km, timeout=execution_timeout,
                        startup_timeout=start_timeout, kernel_name=kernel_name,
                        log=logging.getLogger("papermill"), log_output=log_output,
                        stdout_file=stdout_file, stderr_file=stderr_file)
                    client.kc = kc  # connected and ready: nbclient uses it as it is
                    return client.execute()

            papermill_engines.register("workbench", WarmKernelEngine)
            _engine_ready = True
    return papermill


class _Watchdog:
    """Interrupts the report when its time is up, and kills the kernel if that is ignored."""

    def __init__(self, kernel: Kernel, timeout: float):
        self.kernel, self.timeout, self.fired = kernel, timeout, False
        self._timers = [threading.Timer(timeout, self._interrupt),
                        threading.Timer(timeout + KILL_GRACE, kernel.kill)]
        for t in self._timers:
            t.daemon = True

    def _interrupt(self) -> None:
        self.fired = True
        self.kernel.interrupt()

    def __enter__(self):
        for t in self._timers:
            t.start()
        return self

    def __exit__(self, *exc):
        for t in self._timers:
            t.cancel()


def _execute(job: Job, kernel: Kernel, started: float,
             executing: Callable[[bool], None] = lambda flag: None) -> Outcome:
    pm = _papermill()
    nb_path = job.out_dir / f"{job.stem}.ipynb"
    html_path = job.out_dir / f"{job.stem}.html"
    kernel.ready_for(job.notebook.parent)
    error: BaseException | None = None
    executing(True)
    with _Watchdog(kernel, job.timeout) as dog:
        try:
            nb = pm.execute_notebook(
                str(job.notebook), str(nb_path), parameters=job.params or None,
                engine_name="workbench", kernel_name=KERNEL_NAME, language="python",
                progress_bar=False, log_output=False, start_timeout=START_TIMEOUT,
                # The watchdog interrupts at job.timeout (a clean KeyboardInterrupt in
                # the cell); nbclient's own per-cell limit is the backstop for a client
                # that hangs with the kernel idle (jupyter/nbclient#312).
                execution_timeout=job.timeout + KILL_GRACE + 5, km=kernel.km,
                kc=kernel.client)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none raised
            error = exc
    executing(False)
    kernel.used += 1
    pid = kernel.pid
    if error is None:
        kernel.begin_reset()
        try:
            export.write(nb, html_path, _html_title(job), _footer(job))
        except Exception as exc:  # noqa: BLE001
            return Outcome(job, "failed", time.perf_counter() - started, None, nb_path,
                           f"HTML export failed: {type(exc).__name__}: {exc}",
                           kernel_pid=pid)
        return Outcome(job, "ok", time.perf_counter() - started, html_path, nb_path,
                       kernel_pid=pid)
    kernel.broken = True
    html_path.unlink(missing_ok=True)  # never leave an older page that looks current
    cell, started_any = failing_cell(nb_path, job.notebook)
    timed_out = dog.fired or type(error).__name__ == "CellTimeoutError"
    if timed_out:
        message = f"timed out after {job.timeout:g} s"
    elif hasattr(error, "ename"):
        message = f"{error.ename}: {error.evalue}"
    else:
        message = f"{type(error).__name__}: {error}"
    message = (message.strip().splitlines() or [""])[0]
    return Outcome(job, "timeout" if timed_out else "failed",
                   time.perf_counter() - started, None,
                   nb_path if nb_path.exists() else None, message, cell, kernel_pid=pid,
                   start_failure=not started_any and not hasattr(error, "ename"))


def failing_cell(executed: Path, source: Path) -> tuple[dict[str, Any] | None, bool]:
    """The cell where an executed notebook stopped, numbered as in the source notebook.

    Returns (cell, whether any cell started): cell is ``{"index", "id", "tags",
    "first_line"}`` — index counts the source notebook's cells from 0.
    """
    try:
        nb = json.loads(executed.read_text(encoding="utf-8"))
        src = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, False
    cells = [c for c in nb.get("cells", [])
             if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])]
    meta = [c.get("metadata", {}).get("papermill", {}) for c in cells]
    started_any = any(m.get("start_time") for m in meta)
    at = next((i for i, c in enumerate(cells)
               if any(o.get("output_type") == "error" for o in c.get("outputs", []))
               or meta[i].get("exception")), None)
    if at is None:  # killed or timed out without an error output: the last one started
        at = next((i for i in reversed(range(len(cells))) if meta[i].get("start_time")),
                  None)
    if at is None:
        return None, started_any
    cell = cells[at]
    tags = cell.get("metadata", {}).get("tags", [])
    ids = [c.get("id") for c in src.get("cells", [])]
    if cell.get("id") in ids:
        index = ids.index(cell.get("id"))
    else:  # injected cells are not in the source
        index = sum("injected-parameters" not in c.get("metadata", {}).get("tags", [])
                    for c in cells[:at])
    text = cell.get("source", "")
    text = "".join(text) if isinstance(text, list) else text
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return {"index": index, "id": cell.get("id"), "tags": tags,
            "first_line": first[:200]}, started_any


def _html_title(job: Job) -> str:
    title = job.title or job.report
    if job.params:
        title += " (" + ", ".join(f"{k} = {v}" for k, v in job.params.items()) + ")"
    return title


def _footer(job: Job) -> str:
    from .. import __version__, norsk

    now = dt.datetime.now()
    params = (", ".join(f"<code>{escape(k)} = {escape(repr(v))}</code>"
                        for k, v in job.params.items()) or "standardverdiene")
    return (f"Rapporten <code>{escape(job.report)}</code> med {params}, laget "
            f"{norsk.date(now.date())} kl. {now:%H:%M} av e-helse workbench {__version__}.")


