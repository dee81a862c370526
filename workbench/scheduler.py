"""Running report notebooks: papermill on warm kernels, in parallel, with timeouts.

Each worker thread owns one IPython kernel (this interpreter's ipykernel, over IPC
sockets so parallel starts cannot race for TCP ports). The kernel is started once,
imports the heavy modules (``warm``) and draws one throw-away chart so that vl-convert's
JavaScript runtime is up, and then runs report after report through papermill (a
papermill engine that hands nbclient the running kernel instead of starting a new one).

Before every report the kernel is put back to the state it had after warming: the user
namespace is cleared (``InteractiveShell.reset(new_session=True)``) and the working
directory, ``os.environ``, ``sys.path``, warning filters, Altair's theme, renderer and
data transformer and polars' config are restored. What a report does to other
process-wide state (patching a library, registering IPython formatters) would be seen by
the next report in the same kernel: such a report sets ``fresh_kernel = true`` in
reports.toml. A kernel that failed, timed out or has run ``max_reports_per_kernel``
reports is thrown away and a new one started.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

KERNEL_NAME = "python3"
START_TIMEOUT = 60.0        # seconds for a kernel to start and answer
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


def kernel_env(db: Path) -> dict[str, str]:
    """The environment for report kernels: ours, with the database's absolute path."""
    env = dict(os.environ)
    env["WORKBENCH_DB"] = str(Path(db).resolve())
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's frozen-modules note
    return env


# --- kernels ------------------------------------------------------------------------

class KernelStartError(RuntimeError):
    """The kernel did not start, did not answer, or could not be reset."""


def _spec_manager():
    """Always this interpreter's ipykernel, whatever kernelspecs are installed elsewhere."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f",
                                    "{connection_file}"],
                              display_name="Python 3 (ipykernel)", language="python",
                              resource_dir=tempfile.gettempdir(), metadata={})

    return ThisPython()


# Runs in the kernel, in a private namespace (never the user's): import, snapshot state.
_WARM = r'''
import importlib, os, sys, types, warnings
state = types.ModuleType("__workbench_kernel_state__")
for name in MODULES:
    try:
        importlib.import_module(name)
    except Exception as exc:
        print(f"workbench: could not pre-import {name}: {exc}", file=sys.stderr)
if "workbench.charts" in sys.modules:
    try:  # vl-convert starts its JavaScript runtime on first use (~0.5 s): do it now
        sys.modules["workbench.charts"].to_svg(sys.modules["altair"].Chart(
            {"values": [{"a": 1}]}).mark_point().encode(x="a:Q"))
    except Exception:
        pass
state.cwd = os.getcwd()
if "duckdb" in sys.modules and "polars" in sys.modules:
    try:  # first query and first Arrow → polars conversion
        sys.modules["duckdb"].connect().sql("SELECT 1 AS a").pl()
    except Exception:
        pass
state.environ = dict(os.environ)
state.path = list(sys.path)
state.filters = list(warnings.filters)
state.altair = None
if "altair" in sys.modules:
    alt = sys.modules["altair"]
    state.altair = (alt.theme.active, alt.renderers.active, alt.data_transformers.active)
state.polars = sys.modules["polars"].Config.save() if "polars" in sys.modules else None
sys.modules[state.__name__] = state
'''

_RESET = r'''
import os, sys, warnings
get_ipython().reset(new_session=True)
state = sys.modules.get("__workbench_kernel_state__")
if state is not None:
    if os.environ != state.environ:
        os.environ.clear()
        os.environ.update(state.environ)
    sys.path[:] = state.path
    warnings.filters[:] = state.filters
    getattr(warnings, "_filters_mutated", lambda: None)()
    if state.altair is not None:
        alt = sys.modules["altair"]
        alt.theme.enable(state.altair[0])
        alt.renderers.enable(state.altair[1])
        alt.data_transformers.enable(state.altair[2])
    if state.polars is not None:
        sys.modules["polars"].Config.load(state.polars)
os.chdir(state.cwd if state is not None else os.getcwd())
'''


async def _wait_ready(client, timeout: float) -> None:
    await client.wait_for_ready(timeout=timeout)


async def _saw_idle(client, msg_id: str, timeout: float) -> bool:
    """Whether ``client`` receives the IOPub "idle" status of request ``msg_id``."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await client.get_iopub_msg(timeout=min(left, 0.5))
        except queue.Empty:
            continue
        if (msg.get("parent_header", {}).get("msg_id") == msg_id
                and msg.get("msg_type") == "status"
                and msg.get("content", {}).get("execution_state") == "idle"):
            return True
    return False


def _private(src: str, **names: Any) -> str:
    """Code that runs ``src`` with ``names`` bound, leaving nothing in the user namespace."""
    bound = {"__name__": "__workbench__", **names}
    return (f"exec(compile({src!r}, '<workbench>', 'exec'), "
            f"{{**{bound!r}, 'get_ipython': get_ipython}})")


class Kernel:
    """One kernel process, warmed once, reset before each report."""

    def __init__(self, env: dict[str, str], warm: tuple[str, ...] | list[str]):
        self.env = env
        self.warm = list(warm)
        self.km = None
        self.kc = None       # blocking, shell only: warm-up and resets
        self.client = None   # asynchronous, all channels: nbclient's, for the reports
        self.used = 0
        self.broken = False
        self.cwd: str | None = None          # where the kernel is now
        self.home: str | None = None         # where it started (and goes back on reset)
        self._pending: str | None = None     # msg_id of a reset still running
        self._dir: str | None = None

    @property
    def pid(self) -> int | None:
        prov = getattr(self.km, "provisioner", None)
        return getattr(prov, "pid", None) or getattr(getattr(prov, "process", None),
                                                      "pid", None)

    def start(self, cwd: Path) -> None:
        from jupyter_client import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._dir = tempfile.mkdtemp(prefix="wbk-")
        self.cwd = self.home = str(Path(cwd).resolve())
        self.km = AsyncKernelManager(
            kernel_name=KERNEL_NAME, kernel_spec_manager=_spec_manager(),
            transport="ipc", ip=os.path.join(self._dir, "k"),
            connection_file=os.path.join(self._dir, "kernel.json"))
        try:
            run_sync(self.km.start_kernel)(
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
                env=self.env, cwd=self.cwd)
            self.kc = self.km.blocking_client()
            self.kc.start_channels(shell=True, iopub=False, stdin=False, hb=False,
                                   control=False)
            self._request(self.kc.kernel_info(), START_TIMEOUT)
            # nbclient's client, connected once (a new one per report would spend ~0.2 s
            # in wait_for_ready flushing IOPub). It subscribes while the kernel warms up;
            # seeing the warm-up's "idle" on IOPub proves the subscription is live.
            self.client = self.km.client()
            self.client.start_channels()
            self.client.allow_stdin = False
            warm = self.call(_private(_WARM, MODULES=self.warm), START_TIMEOUT)
            if not run_sync(_saw_idle)(self.client, warm["msg_id"], 5.0):
                run_sync(_wait_ready)(self.client, START_TIMEOUT)
        except Exception as exc:
            self.shutdown()
            raise KernelStartError(f"{type(exc).__name__}: {exc}") from exc

    def begin_reset(self) -> None:
        """Start putting the kernel back to its warm state (runs while we write HTML)."""
        self._pending = self.kc.execute(_private(_RESET), silent=True, store_history=False,
                                        allow_stdin=False)

    def ready_for(self, cwd: Path) -> None:
        """Wait for a reset begun earlier; move to ``cwd`` if it is not where we started."""
        try:
            if self._pending is not None:
                pending, self._pending = self._pending, None
                content = self._request(pending, 60)
                if content.get("status") != "ok":
                    raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
                self.cwd = self.home  # the reset went back to where the kernel started
            cwd = str(Path(cwd).resolve())
            if cwd != self.cwd:
                self.call(f"__import__('os').chdir({cwd!r})", 10)
                self.cwd = cwd
        except Exception as exc:
            self.broken = True
            raise KernelStartError(f"could not reset the kernel: {exc}") from exc

    def call(self, code: str, timeout: float) -> dict:
        """Execute ``code`` silently; the reply's content (raises if it failed)."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        content = self._request(msg_id, timeout)
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
        return {**content, "msg_id": msg_id}

    def _request(self, msg_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer from the kernel in {timeout:g} s")
            try:
                msg = self.kc.get_shell_msg(timeout=min(left, 0.25))
            except queue.Empty:
                proc = getattr(self.km.provisioner, "process", None)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"kernel exited with code {proc.returncode}") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg["content"]

    def interrupt(self) -> None:
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGINT)

    def kill(self) -> None:
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        for kc in (self.kc, self.client):
            if kc is not None:
                with contextlib.suppress(Exception):
                    kc.stop_channels()
        self.kc = self.client = None
        if self.km is not None:
            with contextlib.suppress(Exception):
                run_sync(self.km.shutdown_kernel)(now=True)
            self.km = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


# --- papermill with a running kernel ------------------------------------------------

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
    from . import htmlexport

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
            htmlexport.write(nb, html_path, _html_title(job), _footer(job))
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
    import html

    from . import __version__, norsk

    now = dt.datetime.now()
    params = (", ".join(f"<code>{html.escape(k)} = {html.escape(repr(v))}</code>"
                        for k, v in job.params.items()) or "standardverdiene")
    return (f"Rapporten <code>{html.escape(job.report)}</code> med {params}, laget "
            f"{norsk.date(now.date())} kl. {now:%H:%M} av e-helse workbench {__version__}.")


# --- the pool -----------------------------------------------------------------------

#: A kernel's start and warm-up cost about this many seconds of a core. Another kernel
#: is only worth starting when there is at least that much work left for it.
SCALE_AFTER = 2.0


class _Pool:
    """Worker threads, one kernel each, started as the work justifies them.

    With at least two jobs per allowed worker, all workers start at once. With fewer,
    one starts, and another is added only when a report has been executing for longer
    than a kernel takes to warm up while jobs are still waiting: a short schedule of
    light reports then costs one warm-up instead of competing warm-ups, and heavy
    reports still get their parallelism.
    """

    def __init__(self, jobs, workers, env, warm, retries, max_reports_per_kernel, on_done):
        self.todo: queue.Queue = queue.Queue()
        for i, job in enumerate(jobs):
            job.out_dir.mkdir(parents=True, exist_ok=True)
            self.todo.put((i, job))
        self.results: list[Outcome | None] = [None] * len(jobs)
        self.max_workers = max(1, min(workers, len(jobs)))
        self.env, self.warm, self.retries = env, list(warm), retries
        self.max_reuse, self.on_done = max_reports_per_kernel, on_done
        self.threads: list[threading.Thread] = []
        self.executing: dict[int, float] = {}   # worker → when its report began running
        self.live: set[Kernel] = set()
        self.lock = threading.Lock()

    def add_worker(self) -> None:
        k = len(self.threads)
        t = threading.Thread(target=self.worker, args=(k,), name=f"report-worker-{k}",
                             daemon=True)
        self.threads.append(t)
        t.start()

    def should_scale(self) -> bool:
        if len(self.threads) >= self.max_workers or self.todo.empty():
            return False
        now = time.perf_counter()
        with self.lock:
            return any(now - t > SCALE_AFTER for t in self.executing.values())

    def finish(self, i: int, outcome: Outcome) -> None:
        self.results[i] = outcome
        if self.on_done:
            with self.lock:
                self.on_done(outcome)

    def worker(self, wid: int) -> None:
        kernel: Kernel | None = None

        def drop() -> None:
            nonlocal kernel
            if kernel is not None:
                kernel.shutdown()
                self.live.discard(kernel)
                kernel = None

        def executing(flag: bool) -> None:
            with self.lock:
                if flag:
                    self.executing[wid] = time.perf_counter()
                else:
                    self.executing.pop(wid, None)

        try:
            while True:
                try:
                    i, job = self.todo.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                attempt = 0
                while True:
                    attempt += 1
                    if kernel is not None and (
                            kernel.broken or kernel.used >= self.max_reuse
                            or (job.fresh_kernel and kernel.used)):
                        drop()
                    try:
                        if kernel is None:
                            kernel = Kernel(self.env, self.warm)
                            self.live.add(kernel)
                            kernel.start(job.notebook.parent)
                        outcome = _execute(job, kernel, started, executing)
                    except KernelStartError as exc:
                        outcome = Outcome(job, "failed", time.perf_counter() - started,
                                          error=f"kernel failed: {exc}".splitlines()[0],
                                          start_failure=True)
                        drop()
                    except Exception as exc:  # noqa: BLE001 - a bug here fails one report
                        log.exception("report %s", job.stem)
                        outcome = Outcome(job, "failed", time.perf_counter() - started,
                                          error=f"{type(exc).__name__}: {exc}")
                        if kernel is not None:
                            kernel.broken = True
                    finally:
                        executing(False)
                    outcome.attempts = attempt
                    if outcome.start_failure and attempt <= self.retries:
                        log.warning("%s: %s; retrying on a new kernel", job.stem,
                                    outcome.error)
                        continue
                    break
                if kernel is not None and job.fresh_kernel:
                    kernel.broken = True
                self.finish(i, outcome)
        finally:
            drop()

    def run(self) -> list[Outcome]:
        from . import htmlexport

        first = self.max_workers if self.todo.qsize() >= 2 * self.max_workers else 1
        for _ in range(first):
            self.add_worker()
        try:
            htmlexport.prepare()  # builds the exporter while the kernels start
            while any(t.is_alive() for t in self.threads):
                if self.should_scale():
                    self.add_worker()
                for t in self.threads:
                    t.join(0.1)
        except BaseException:
            for k in list(self.live):  # interrupted (Ctrl-C, SIGTERM): no orphaned kernels
                k.kill()
                if k._dir:
                    shutil.rmtree(k._dir, ignore_errors=True)
            raise
        return [r for r in self.results if r is not None]


def run(jobs: list[Job], workers: int, env: dict[str, str], warm=(), retries: int = 1,
        max_reports_per_kernel: int = 25,
        on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run every job with up to ``workers`` kernels; outcomes in the jobs' order.

    A failing report never raises here: its Outcome says what happened.
    """
    return _Pool(jobs, workers, env, warm, retries, max_reports_per_kernel, on_done).run()
