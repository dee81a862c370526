"""``workbench serve``: the dashboards on Voilà, offline and locked down.

:func:`serve` builds the database if it is missing, writes the Vega JavaScript bundle
where Voilà serves its template's static files (:mod:`.bundle`), and runs Voilà on
``dashboards/`` with the repository's configuration (``serve/voila.py``, explained in
docs/serving.md). The kernel manager Voilà uses is :mod:`.kernels`; tests and benchmarks
start servers with :mod:`.testing`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from .. import paths
from ..errors import WorkbenchError
from .bundle import TEMPLATE, bundle_root, bundle_url_path, ensure_bundle

SERVE_DIR = paths.PROJECT_ROOT / "serve"  # serve/voila.py and the template
TEMPLATE_ROOT = SERVE_DIR / "jupyter"  # a Jupyter data dir: voila/templates/workbench/
DEFAULT_DASHBOARDS = paths.PROJECT_ROOT / "dashboards"
LANDING = "Oversikt.ipynb"

__all__ = ["serve", "prepare", "voila_command", "voila_env", "url_for", "SERVE_DIR",
           "TEMPLATE", "TEMPLATE_ROOT", "DEFAULT_DASHBOARDS", "LANDING", "bundle_url_path"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def voila_command(dashboards: Path, host: str, port: int) -> list[str]:
    """The Voilà command line (configuration from serve/voila.py only).

    It runs :class:`workbench.serving.app.WorkbenchVoila`: Voilà, with malformed URLs
    answered 400 instead of 500.
    """
    cmd = [sys.executable, "-m", "workbench.serving.app", str(dashboards),
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
    from .. import builder

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
