"""A real ``workbench serve`` in a subprocess, for tests and benchmarks.

:func:`start` runs the command in its own process group, waits until the server answers
(and, by default, until every dashboard's kernel pool is full) and returns a
:class:`Server` that knows its URL, log and CPU time, and stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from . import DEFAULT_DASHBOARDS


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A ``workbench serve`` subprocess (see :func:`start`)."""

    proc: subprocess.Popen
    host: str
    port: int
    log_path: Path
    dashboards: Path
    _log_file: object = field(repr=False, default=None)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def page(self, notebook: str) -> str:
        return f"{self.url}voila/render/{notebook}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 90.0, pool: bool = True) -> None:
        """Wait until the server answers (and, with ``pool``, every kernel pool is full)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"workbench serve exited with {self.proc.returncode}:\n"
                                   f"{self.log()[-4000:]}")
            try:
                with urllib.request.urlopen(self.url + "voila/static/voila.js", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from {self.url}:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        if pool:
            expected = sum(1 for p in self.dashboards.rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.parts)
            while self.log().count("Kernel pool of") < expected:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise TimeoutError(f"kernel pools not filled:\n{self.log()[-4000:]}")
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's process group (Voilà and its kernels)."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # process group id
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, quiet: float = 0.5, threshold: float = 0.05,
                  timeout: float = 60.0) -> None:
        """Wait until the server and its kernels use (almost) no CPU for ``quiet`` s.

        After a page is served, Voilà refills its pool: a new kernel starts and runs the
        notebook. Benchmarks wait for that to finish before the next measurement.
        """
        deadline = time.monotonic() + timeout
        last = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.cpu_seconds()
            if now - last < threshold:
                return
            last = now

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (Voilà shuts its kernels down), then kill the process group if needed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # Anything left in the group (a kernel that outlived Voilà) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(dashboards: str | os.PathLike | None = None, *, port: int | None = None,
          host: str | None = None, db: str | os.PathLike | None = None,
          data: str | os.PathLike | None = None, log_path: str | os.PathLike | None = None,
          env: dict[str, str] | None = None, voila_args: str | None = None,
          wait: bool = True, pool: bool = True, timeout: float = 90.0) -> Server:
    """Start ``workbench serve`` in its own process group and wait until it answers.

    ``voila_args`` are extra Voilà options (e.g. ``"--VoilaConfiguration.preheat_kernel=False"``).
    The server's output (Voilà's log and the kernels' logs) goes to ``log_path``.
    """
    port = port or free_port(host or "127.0.0.1")
    dashboards = Path(dashboards or DEFAULT_DASHBOARDS).resolve()
    cmd = [sys.executable, "-m", "workbench.cli", "serve", "--port", str(port),
           "--dashboards", str(dashboards)]
    if host is not None:  # None: the command's default (loopback)
        cmd += ["--host", host]
    if db:
        cmd += ["--db", str(db)]
    if data:
        cmd += ["--data", str(data)]
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="workbench-serve-", suffix=".log")
        os.close(fd)
        log_path = name
    log_path = Path(log_path)
    full_env = dict(os.environ if env is None else env)
    if voila_args is not None:
        full_env["WORKBENCH_VOILA_ARGS"] = voila_args
    log_file = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=full_env,
                            cwd=paths.PROJECT_ROOT, start_new_session=True)
    server = Server(proc, host or "127.0.0.1", port, log_path, dashboards, log_file)
    if wait:
        try:
            server.wait_ready(timeout=timeout, pool=pool)
        except BaseException:
            server.stop()
            raise
    return server
