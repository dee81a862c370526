"""Running many reports: worker threads, one warm kernel each, started as work justifies.

Before every report its kernel is put back to the state it had after warming
(:mod:`workbench.reports.warmup`). What a report does to other process-wide state
(patching a library, registering IPython formatters) would be seen by the next report in
the same kernel: such a report sets ``fresh_kernel = true`` in reports.toml. A kernel that
failed, timed out or has run ``max_reports_per_kernel`` reports is thrown away and a new
one started.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable

from . import export
from .execute import Job, Outcome, _execute
from .kernel import Kernel, KernelStartError

log = logging.getLogger(__name__)

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
                    except Exception as exc:
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
        first = self.max_workers if self.todo.qsize() >= 2 * self.max_workers else 1
        for _ in range(first):
            self.add_worker()
        try:
            export.prepare()  # builds the exporter while the kernels start
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
