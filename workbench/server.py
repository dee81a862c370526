"""``workbench serve``: the dashboards on Voilà, offline and locked down.

:func:`serve` builds the database if it is missing, writes the Vega JavaScript bundle
where Voilà serves its template's static files, and runs Voilà on ``dashboards/`` with
the repository's configuration (``serve/voila.py``, explained in docs/serving.md).
:func:`start` does the same in a subprocess and waits until the server answers (tests
and benchmarks).

This module is imported by kernels too (workbench/embed.py asks it for the bundle's
URL), so it imports nothing heavy at module level.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from . import paths
from .errors import WorkbenchError

SERVE_DIR = paths.PROJECT_ROOT / "serve"  # serve/voila.py and the template
TEMPLATE_ROOT = SERVE_DIR / "jupyter"  # a Jupyter data dir: voila/templates/workbench/
TEMPLATE = "workbench"
DEFAULT_DASHBOARDS = paths.PROJECT_ROOT / "dashboards"
LANDING = "Oversikt.ipynb"


# --- The Vega bundle -------------------------------------------------------------------

def _vlc_version() -> str:
    try:
        return metadata.version("vl-convert-python")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "0"


def bundle_filename() -> str:
    """``vega-bundle-<vl-convert version>.js``: vega, vega-lite and vega-embed in one file."""
    return f"vega-bundle-{_vlc_version()}.js"


def bundle_url_path() -> str:
    """The bundle's URL relative to Voilà's base URL (cacheable: the version is in it)."""
    return f"voila/templates/{TEMPLATE}/static/{bundle_filename()}?v={_vlc_version()}"


def cache_dir() -> Path:
    """Where generated files live: $WORKBENCH_CACHE, else ~/.cache/ehelse-workbench."""
    env = os.environ.get("WORKBENCH_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ehelse-workbench"


def bundle_root() -> Path:
    """A second Jupyter data dir holding only the generated static file of the template."""
    return cache_dir() / "jupyter"


def ensure_bundle() -> Path:
    """Write ``vl_convert.javascript_bundle()`` once (per vl-convert version); return it.

    It goes to ``<cache>/jupyter/voila/templates/workbench/static/``, which Voilà serves
    at ``/voila/templates/workbench/static/`` because the cache's ``jupyter`` folder is on
    JUPYTER_PATH of the server. Nothing of the dashboards folder has to be served.
    """
    target = bundle_root() / "voila" / "templates" / TEMPLATE / "static" / bundle_filename()
    if target.exists() and target.stat().st_size > 100_000:
        return target
    import vl_convert

    target.parent.mkdir(parents=True, exist_ok=True)
    text = vl_convert.javascript_bundle()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target


# --- Running Voilà ---------------------------------------------------------------------

def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def voila_command(dashboards: Path, host: str, port: int) -> list[str]:
    """The Voilà command line (configuration from serve/voila.py only)."""
    cmd = [sys.executable, "-m", "voila", str(dashboards),
           f"--Voila.config_file_paths={SERVE_DIR}",
           f"--Voila.ip={host}", f"--Voila.port={port}", "--no-browser"]
    extra = os.environ.get("WORKBENCH_VOILA_ARGS")
    if extra:
        cmd += shlex.split(extra)
    return cmd


def voila_env(db: Path, data: Path, host: str) -> dict[str, str]:
    env = dict(os.environ)
    # Kernels open the database through workbench.connect(), which reads WORKBENCH_DB.
    env["WORKBENCH_DB"] = str(db.resolve())
    env["WORKBENCH_DATA"] = str(data.resolve())
    jupyter_path = [str(TEMPLATE_ROOT), str(bundle_root())]
    if env.get("JUPYTER_PATH"):
        jupyter_path.append(env["JUPYTER_PATH"])
    env["JUPYTER_PATH"] = os.pathsep.join(jupyter_path)
    env["WORKBENCH_VOILA_ALLOW_REMOTE"] = "0" if _is_loopback(host) else "1"
    # workbench/embed.py in the kernels loads Vega from here (relative to Voilà's base URL).
    env["WORKBENCH_VEGA_BUNDLE"] = bundle_url_path()
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets a debugger warning
    return env


def url_for(host: str, port: int, dashboards: Path) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    base = f"http://{shown}:{port}/"
    if (dashboards / LANDING).exists():
        return base + "voila/render/" + LANDING
    return base


def prepare(*, db: str | os.PathLike | None = None, data: str | os.PathLike | None = None,
            host: str = "127.0.0.1", port: int = 8866,
            dashboards: str | os.PathLike | None = None) -> tuple[list[str], dict[str, str], str]:
    """Build the database if missing, write the bundle; return Voilà's command and env."""
    from . import builder

    db_file = paths.db_path(db).resolve()
    data_dir = paths.data_dir(data).resolve()
    folder = Path(dashboards or DEFAULT_DASHBOARDS).resolve()
    if not folder.is_dir():
        raise WorkbenchError(f"{folder}: no such folder of dashboards")
    if not db_file.exists():
        print(f"Bygger databasen {db_file} …", flush=True)
        builder.build(data_dir, db_file)
    ensure_bundle()
    host = host or "127.0.0.1"
    return (voila_command(folder, host, port), voila_env(db_file, data_dir, host),
            url_for(host, port, folder))


def serve(*, db: str | os.PathLike | None = None, data: str | os.PathLike | None = None,
          host: str = "127.0.0.1", port: int = 8866,
          dashboards: str | os.PathLike | None = None) -> int:
    """Run Voilà in the foreground until Ctrl-C (or SIGTERM); return its exit code."""
    host = host or "127.0.0.1"
    cmd, env, url = prepare(db=db, data=data, host=host, port=port, dashboards=dashboards)
    print(f"Dashbordene: {url}", flush=True)
    if not _is_loopback(host):
        print("Merk: serveren lytter på en adresse andre maskiner kan nå.", flush=True)
    proc = subprocess.Popen(cmd, env=env)
    previous = signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to Voilà too; let it finish
        with contextlib.suppress(KeyboardInterrupt):
            return proc.wait(timeout=20)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.kill()


# --- For tests and benchmarks ----------------------------------------------------------

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

    def __enter__(self) -> "Server":
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


# --- Kernel cap (used by Voilà through serve/voila.py) ---------------------------------

def _capped_kernel_manager():
    import asyncio
    from urllib.parse import unquote

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from tornado import web
    from traitlets import Float, Integer

    class CappedKernelManager(AsyncMappingKernelManager):
        """A kernel manager that runs at most ``max_kernels`` kernels at once.

        Preheated (pooled) kernels count. A viewer who needs a new kernel beyond the cap
        gets HTTP 503 (the template's Norwegian "prøv igjen om litt" page). A pool refill
        at the cap waits up to ``preheat_wait`` seconds for a kernel to be shut down or
        culled, then gives up with the same 503 for the viewer it was meant for; the
        pool is filled again by the next viewer who gets a kernel.
        """

        max_kernels = Integer(16, config=True,
                              help="Most kernels at once, preheated ones included.")
        preheat_wait = Float(10.0, config=True,
                             help="Seconds a pool refill waits for a free slot.")

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._starting = 0

        def _full(self) -> bool:
            return len(self) + self._starting >= self.max_kernels

        async def start_kernel(self, *args, **kwargs):
            env = kwargs.get("env") or {}
            preheat = env.get("VOILA_PREHEAT") == "True"
            if kwargs.get("kernel_id") is None and self._full():
                deadline = asyncio.get_running_loop().time() + (
                    self.preheat_wait if preheat else 0)
                while self._full():
                    if asyncio.get_running_loop().time() >= deadline:
                        self.log.warning("Kernel cap reached (%d kernels); refusing a new "
                                         "one", self.max_kernels)
                        raise web.HTTPError(503, "too many kernels")
                    await asyncio.sleep(0.5)
            self._starting += 1
            try:
                kernel_id = await super().start_kernel(*args, **kwargs)
            finally:
                self._starting -= 1
            if not preheat:
                self._rearm_pool(env.get("SCRIPT_NAME", ""))
            return kernel_id

        def _rearm_pool(self, script_name: str) -> None:
            # Voilà refills a pool only when a pooled kernel is taken; after a refill
            # gave up at the cap the pool is empty, so refill it here.
            pools = getattr(self, "_pools", None)
            marker = "/voila/render/"
            if not pools or marker not in script_name or not hasattr(self, "fill_if_needed"):
                return
            name = unquote(script_name.split(marker, 1)[1])
            if name in pools and not pools[name]:
                self.fill_if_needed(notebook_name=name)

    return CappedKernelManager


def __getattr__(name: str):
    # Lazily defined so that importing this module (kernels do) does not import
    # jupyter_server; traitlets' import_item("workbench.server.CappedKernelManager") works.
    if name == "CappedKernelManager":
        cls = _capped_kernel_manager()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
