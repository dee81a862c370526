"""One report kernel: this interpreter's ipykernel, started once, warmed, reset per report.

The kernel talks over IPC sockets so that parallel starts cannot race for TCP ports. It
imports the heavy modules once (:mod:`workbench.reports.warmup`, run inside the kernel)
and is put back to that warm state before every report.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

KERNEL_NAME = "python3"
START_TIMEOUT = 60.0        # seconds for a kernel to start and answer


def kernel_env(db: Path) -> dict[str, str]:
    """The environment for report kernels: ours, with the database's absolute path."""
    env = dict(os.environ)
    env["WORKBENCH_DB"] = str(Path(db).resolve())
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's frozen-modules note
    return env




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


def _warm_code(modules: list[str]) -> str:
    return _private(f"__import__('workbench.reports.warmup', fromlist=['warm'])"
                    f".warm({modules!r})")


def _reset_code() -> str:
    return _private("__import__('workbench.reports.warmup', fromlist=['reset']).reset()")


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


def _private(src: str) -> str:
    """Code that runs ``src`` leaving nothing in the user namespace."""
    return f"exec(compile({src!r}, '<workbench>', 'exec'), {{'__name__': '__workbench__'}})"


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
            warm = self.call(_warm_code(self.warm), START_TIMEOUT)
            if not run_sync(_saw_idle)(self.client, warm["msg_id"], 5.0):
                run_sync(_wait_ready)(self.client, START_TIMEOUT)
        except Exception as exc:
            self.shutdown()
            raise KernelStartError(f"{type(exc).__name__}: {exc}") from exc

    def begin_reset(self) -> None:
        """Start putting the kernel back to its warm state (runs while we write HTML)."""
        self._pending = self.kc.execute(_reset_code(), silent=True, store_history=False,
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


