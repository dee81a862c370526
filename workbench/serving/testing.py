"""A real ``workbench serve`` in a subprocess, for tests and benchmarks.

:func:`start` runs the command in its own process group, waits until the server answers
(and, by default, until every dashboard's kernel pool is full) and returns a
:class:`Server` that knows its URL, log, health, processes, CPU time and memory, and
stops everything it started.

Kernels are not in the server's process group: jupyter_client starts each in a session
of its own. So the server's processes are found by parentage (:func:`process_tree`):
``workbench serve`` becomes Voilà (exec), and the kernels are Voilà's children.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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


KERNEL_MARK = "ipykernel_launcher"  # in a kernel's command line
FORKED_MARK = "wbk-"  # the start of a forked kernel's name (workbench/serving/zygote.py)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (field 3 is index 0)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_tree(root: int) -> list[int]:
    """``root`` and all its living descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if _stat(pid) is None:
            continue
        out.append(pid)
        todo += children.get(pid, [])
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def is_kernel(pid: int) -> bool:
    return KERNEL_MARK in cmdline(pid) or comm(pid).startswith(FORKED_MARK)


def kernel_of(pid: int) -> str:
    """The kernel id a kernel process stands for, as far as /proc tells (forked kernels
    carry the first 11 characters of it)."""
    name = comm(pid)
    if name.startswith(FORKED_MARK):
        return name[len(FORKED_MARK):]
    found = re.search(r"kernel-([0-9a-f-]{36})\.json", cmdline(pid))
    return found.group(1) if found else ""


def memory_kb(pid: int) -> dict[str, int]:
    """RSS, PSS and USS (private) of one process in kB (/proc/PID/smaps_rollup)."""
    out = {"rss": 0, "pss": 0, "uss": 0}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            out[key.lower()] = int(rest.split()[0])
        elif key in ("Private_Clean", "Private_Dirty"):
            out["uss"] += int(rest.split()[0])
    return out


def start_time(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[19] if fields else None


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

    def health(self, timeout: float = 10.0) -> dict:
        """The server's /healthz answer (the liveness form: 200 even when full)."""
        with urllib.request.urlopen(self.url + "healthz?live=1", timeout=timeout) as r:
            return json.loads(r.read())

    def pools_full(self) -> bool:
        try:
            h = self.health()
        except (OSError, ValueError):  # busy starting kernels: ask again
            return False
        return (h["pooled"] >= h["pool_size"] and not h["pool_pending"]
                and not h["starting"])

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
        while pool and not self.pools_full():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise TimeoutError(f"kernel pools not filled:\n{self.log()[-4000:]}")
            time.sleep(0.1)

    def pids(self) -> list[int]:
        """Voilà and every process under it (its kernels)."""
        return process_tree(self.proc.pid) if self.proc.poll() is None else []

    def kernel_pids(self) -> list[int]:
        return [p for p in self.pids() if is_kernel(p)]

    def kernel_pid(self, kernel_id: str) -> int | None:
        """The process of a kernel, by its id."""
        return next((p for p in self.kernel_pids() if kernel_of(p)
                     and kernel_id.startswith(kernel_of(p))), None)

    def cpu_seconds(self) -> float:
        """CPU time used so far by Voilà and its kernels, also those already gone.

        A kernel's CPU time moves to Voilà's "children" fields when Voilà reaps it.
        """
        total = 0
        for pid in self.pids():
            fields = _stat(pid)
            if fields:  # utime + stime + cutime + cstime
                total += sum(int(f) for f in fields[11:15])
        return total / os.sysconf("SC_CLK_TCK")

    def memory(self) -> dict:
        """RSS, PSS and USS in MB: the whole server, Voilà alone, the kernel zygote (if
        kernels are forked), and each kernel."""
        pids = self.pids()
        kernels = {pid: memory_kb(pid) for pid in pids if is_kernel(pid)}
        others = {pid: memory_kb(pid) for pid in pids if pid not in kernels}
        mb = lambda kb: round(kb / 1024, 1)  # noqa: E731
        total = {k: sum(m[k] for m in [*kernels.values(), *others.values()])
                 for k in ("rss", "pss", "uss")}
        zygote = [m for pid, m in others.items() if "workbench.serving.zygote" in cmdline(pid)]
        return {"total": {k: mb(v) for k, v in total.items()},
                "voila": {k: mb(v) for k, v in (others.get(self.proc.pid)
                                                or memory_kb(self.proc.pid)).items()},
                "zygote": {k: mb(v) for k, v in zygote[0].items()} if zygote else None,
                "kernels": {pid: {k: mb(v) for k, v in m.items()}
                            for pid, m in kernels.items()}}

    def wait_idle(self, quiet: float = 0.5, threshold: float = 0.05,
                  timeout: float = 60.0) -> None:
        """Wait until the pools are full and the server and its kernels use (almost)
        no CPU for ``quiet`` s.

        After a page is served, Voilà refills its pool (``fill_delay`` later): a new
        kernel starts and runs the notebook. Benchmarks wait for that to finish before
        the next measurement.
        """
        deadline = time.monotonic() + timeout
        while not self.pools_full() and time.monotonic() < deadline:
            time.sleep(0.2)
        last = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.cpu_seconds()
            if now - last < threshold:
                return
            last = now

    def wait_kernels(self, at_most: int, timeout: float = 90.0) -> float:
        """Wait until at most ``at_most`` kernels run; return the seconds it took."""
        start = time.monotonic()
        while len(self.kernel_pids()) > at_most:
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"still {len(self.kernel_pids())} kernels after "
                                   f"{timeout:.0f} s (wanted ≤ {at_most})")
            time.sleep(0.2)
        return time.monotonic() - start

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (Voilà shuts its kernels down), then kill whatever is left of it.

        Kernels run in sessions of their own, so the process group does not hold them:
        every process of the tree, as found before the SIGTERM, is killed if it is
        still there afterwards.
        """
        tree = [(pid, start_time(pid)) for pid in self.pids()]
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        for pid, started in tree:
            if pid != self.proc.pid and started and start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
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
          wait: bool = True, pool: bool = True, timeout: float = 90.0,
          pool_size: int | None = None, max_kernels: int | None = None,
          behind_proxy: bool = False, extra_args: list[str] | None = None) -> Server:
    """Start ``workbench serve`` in its own process group and wait until it answers.

    ``voila_args`` are extra Voilà options (e.g. ``"--VoilaConfiguration.preheat_kernel=False"``).
    ``pool_size``, ``max_kernels`` and ``behind_proxy`` are the command's options of the
    same names (default: serve/voila.py's values); ``extra_args`` more options of
    ``workbench serve``. The server's output (Voilà's log and the kernels' logs) goes to
    ``log_path``.
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
    if pool_size is not None:
        cmd += ["--pool-size", str(pool_size)]
    if max_kernels is not None:
        cmd += ["--max-kernels", str(max_kernels)]
    if behind_proxy:
        cmd.append("--behind-proxy")
    cmd += extra_args or []
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


# --- nginx in front of replicas (deploy/nginx/workbench.conf) -----------------------------

NGINX_CONF = paths.PROJECT_ROOT / "deploy" / "nginx" / "workbench.conf"
NGINX = os.environ.get("WORKBENCH_NGINX", "/usr/sbin/nginx")


@dataclass
class Proxy:
    """An nginx process running the shipped configuration (see :func:`start_nginx`)."""

    proc: subprocess.Popen
    port: int
    workdir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def access_log(self) -> str:
        return (self.workdir / "access.log").read_text(errors="replace")

    def error_log(self) -> str:
        return (self.workdir / "error.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def nginx_config(upstreams: list[str], port: int, workdir: Path) -> str:
    """The shipped deploy/nginx/workbench.conf, made runnable in ``workdir``: its
    replicas replaced by ``upstreams`` (``host:port``), listening on 127.0.0.1:``port``,
    wrapped in a main configuration with every file under ``workdir``."""
    import getpass

    site = NGINX_CONF.read_text(encoding="utf-8")
    servers = "".join(f"    server {u} max_fails=1 fail_timeout=10s;\n" for u in upstreams)
    site, n = re.subn(r"(?m)^\s*server 127\.0\.0\.1:\d+[^;\n]*;\n", "", site)
    if n == 0 or "keepalive" not in site:
        raise ValueError(f"{NGINX_CONF}: no replica lines to replace")
    site = site.replace("    keepalive", servers + "    keepalive", 1)
    site, n = re.subn(r"(?m)^(\s*)listen 80;", rf"\1listen 127.0.0.1:{port};", site)
    if n != 1:
        raise ValueError(f"{NGINX_CONF}: no `listen 80;` to replace")
    temp = "\n".join(f"    {kind}_temp_path {workdir}/tmp/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    return (f"{user}daemon off;\nworker_processes 1;\npid {workdir}/nginx.pid;\n"
            f"error_log {workdir}/error.log info;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            "    log_format wb '$remote_addr \"$request\" $status upstream=$upstream_addr "
            "route=$wb_route time=$request_time';\n"
            f"    access_log {workdir}/access.log wb;\n{temp}\n{site}\n}}\n")


def start_nginx(upstreams: list[str], *, workdir: str | os.PathLike,
                port: int | None = None, timeout: float = 20.0) -> Proxy:
    """Run nginx with the shipped configuration in front of ``upstreams``."""
    workdir = Path(workdir)
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(upstreams, port, workdir), encoding="utf-8")
    base = [NGINX, "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(conf)]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
    proc = subprocess.Popen(base, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    proxy = Proxy(proc, port, workdir)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(proxy.url + "nginx-healthz", timeout=2):
                return proxy
        except (urllib.error.URLError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proxy.stop()
                raise RuntimeError(f"nginx did not start:\n{proxy.error_log()[-2000:]}") \
                    from None
            time.sleep(0.1)
