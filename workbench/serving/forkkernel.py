"""A jupyter_client kernel provisioner that forks kernels from a warm zygote.

:class:`ForkProvisioner` is jupyter_client's :class:`LocalProvisioner` (connection
files, ports, signals to the kernel's process group, shutdown and restart as usual)
with one change: the kernel process is not a fresh ``python -m ipykernel_launcher`` but
a fork of :mod:`.zygote`, which has already imported what a dashboard kernel uses. The
kernel then costs ~0.4 CPU-s to start and render instead of ~1.5, and shares the
imported modules' memory with the zygote and the other kernels (docs/serving.md,
«Forked kernels»).

It is registered as the ``workbench-fork`` provisioner (pyproject.toml) and chosen by
serve/voila.py for Voilà's kernels only. Whenever forking is not possible — another
interpreter in the kernel spec, the zygote failed to start or died — the kernel is
started the usual way, and the log says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import select
import signal
import sys
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Float, List, Unicode

DEFAULT_PRELOAD = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipywidgets", "anywidget",
                   "polars", "duckdb", "altair", "workbench.embed", "workbench.charts",
                   "workbench.queries", "workbench.dashboards.*"]


class ZygoteError(RuntimeError):
    pass


class Zygote:
    """The zygote process of this server (one, started on first use, restarted if it
    died), and the protocol of :mod:`.zygote`."""

    _current: Zygote | None = None
    _starting: asyncio.Lock | None = None
    _failed: tuple[float, str] | None = None  # when the last start failed, and why
    RETRY_AFTER = 300.0  # seconds before a failed zygote is tried again

    def __init__(self, proc: asyncio.subprocess.Process, log):
        self.proc, self.log = proc, log
        self.pid = proc.pid
        self.exits: dict[int, int] = {}
        self._waiting: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task | None = None

    @classmethod
    async def get(cls, preload: list[str], log, timeout: float) -> Zygote:
        if cls._current is not None and cls._current.alive:
            return cls._current
        if cls._starting is None:
            cls._starting = asyncio.Lock()
        async with cls._starting:
            if cls._current is None or not cls._current.alive:
                # A zygote that could not start is not tried at every kernel start (each
                # try costs its imports and up to `timeout` s): kernels start the usual
                # way for RETRY_AFTER seconds.
                if cls._failed and time.monotonic() - cls._failed[0] < cls.RETRY_AFTER:
                    raise ZygoteError(f"{cls._failed[1]} (not retried for "
                                      f"{cls.RETRY_AFTER:g} s)")
                try:
                    cls._current = await cls._start(preload, log, timeout)
                except ZygoteError as e:
                    cls._failed = (time.monotonic(), str(e))
                    raise
                cls._failed = None
        return cls._current

    @classmethod
    async def _start(cls, preload: list[str], log, timeout: float) -> Zygote:
        # No jemalloc background threads in polars: the zygote must fork with no thread
        # that could hold a lock (see workbench/serving/zygote.py).
        env = {**os.environ, "_RJEM_MALLOC_CONF": "background_thread:false"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workbench.serving.zygote", *preload,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env=env, limit=1 << 20)
        z = cls(proc, log)
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout)
            msg = json.loads(line or b"{}")
        except (TimeoutError, ValueError) as e:
            z.stop()
            raise ZygoteError(f"the kernel zygote did not start: {e!r}") from None
        if not msg.get("ready"):
            z.stop()
            raise ZygoteError(f"the kernel zygote did not start: {msg.get('error', msg)}")
        log.info("Kernel zygote %s ready after %.1f s (%d modules preloaded)", z.pid,
                 msg.get("seconds", 0), len(msg.get("preloaded", [])))
        z._reader = asyncio.ensure_future(z._read())
        return z

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None and self._reader is not None \
            and not self._reader.done()

    async def _read(self) -> None:
        try:
            async for line in self.proc.stdout:
                msg = json.loads(line)
                if "exited" in msg:
                    self.exits[msg["exited"]] = msg["code"]
                elif msg.get("id") in self._waiting:
                    self._waiting.pop(msg["id"]).set_result(msg)
        finally:
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_exception(ZygoteError("the kernel zygote died"))
            self._waiting.clear()

    async def fork(self, *, argv: list[str], env: dict, cwd: str | None, name: str,
                   timeout: float) -> int:
        rid = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._waiting[rid] = fut
        request = {"id": rid, "argv": argv, "env": env, "cwd": cwd, "name": name}
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        try:
            await self.proc.stdin.drain()
            msg = await asyncio.wait_for(fut, timeout)
        except (OSError, TimeoutError) as e:
            self._waiting.pop(rid, None)
            raise ZygoteError(f"no kernel from the zygote: {e!r}") from None
        if "pid" not in msg:
            raise ZygoteError(msg.get("error", "no kernel from the zygote"))
        return msg["pid"]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()

    async def close(self) -> None:
        """End the zygote (its kernels end with it) and forget it."""
        self.stop()
        await self.proc.wait()
        if self._reader is not None:
            await self._reader
        if Zygote._current is self:
            Zygote._current = None


class ForkedProcess:
    """What :class:`LocalProvisioner` needs of a ``Popen``, for a kernel that is the
    zygote's child, not ours: watched through a pidfd, its exit code told by the
    zygote."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, zygote: Zygote):
        self.pid, self.zygote = pid, zygote
        self.returncode: int | None = None
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):  # old kernel or the process is already gone
            self._pidfd = None

    def _gone(self) -> bool:
        if self._pidfd is not None:  # poll, not select: the fd may be above 1023
            poller = select.poll()
            poller.register(self._pidfd, select.POLLIN)
            return bool(poller.poll(0))
        try:  # no pidfd: gone, or a zombie the zygote has not reaped yet
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True

    def poll(self) -> int | None:
        if self.returncode is None and self._gone():
            self.returncode = self.zygote.exits.pop(self.pid, -signal.SIGKILL)
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        # LocalProvisioner.wait() calls this only once poll() has seen the end.
        code = self.poll()
        return -signal.SIGKILL if code is None else code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkProvisioner(LocalProvisioner):
    """Kernels forked from the zygote (see the module docstring)."""

    preload = List(Unicode(), DEFAULT_PRELOAD, config=True,
                   help="Modules the zygote imports before it forks kernels "
                        "(`package.*`: the package and its submodules).")
    start_timeout = Float(120.0, config=True,
                          help="Seconds the zygote may take to start (its imports).")

    def _forkable(self, cmd: list[str]) -> bool:
        return (len(cmd) > 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]
                and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable))

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        if not self._forkable(cmd):
            self.log.info("Kernel command %s is not this Python's ipykernel: not forked",
                          cmd[:3])
            return await super().launch_kernel(cmd, **kwargs)
        env = kwargs.get("env") or dict(os.environ)
        cwd = kwargs.get("cwd")
        try:
            zygote = await Zygote.get(self.preload, self.log, self.start_timeout)
            pid = await zygote.fork(argv=cmd, env=env, cwd=str(cwd) if cwd else None,
                                    name=self.kernel_id, timeout=30)
        except ZygoteError as e:
            self.log.warning("Starting the kernel without the zygote: %s", e)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid, zygote)
        self.pid = self.pgid = pid  # the kernel leads its own process group
        self.cwd = cwd or os.getcwd()
        return self.connection_info
