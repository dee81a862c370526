"""``workbench serve``: the dashboards on Voilà, offline and locked down.

:func:`serve` builds the database if it is missing, writes the Vega JavaScript bundle
where Voilà serves its template's static files (:mod:`.bundle`), and runs Voilà on
``dashboards/`` with the repository's configuration (``serve/voila.py``, explained in
docs/serving.md). The kernel manager Voilà uses is :mod:`.kernels`; tests and benchmarks
start servers with :mod:`.testing`.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
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


def voila_command(dashboards: Path, host: str, port: int, *, pool_size: int | None = None,
                  max_kernels: int | None = None) -> list[str]:
    """The Voilà command line (configuration from serve/voila.py only).

    It runs :class:`workbench.serving.app.WorkbenchVoila` (Voilà with malformed URLs
    answered 400, a busy page, /healthz). ``pool_size`` (warm kernels per dashboard) and
    ``max_kernels`` override serve/voila.py.
    """
    cmd = [sys.executable, "-m", "workbench.serving.app", str(dashboards),
           f"--Voila.config_file_paths={SERVE_DIR}",
           f"--Voila.ip={host}", f"--Voila.port={port}", "--no-browser"]
    if pool_size is not None:
        cmd.append(f"--VoilaConfiguration.default_pool_size={pool_size}")
    if max_kernels is not None:
        cmd.append(f"--CappedKernelManager.max_kernels={max_kernels}")
    extra = os.environ.get("WORKBENCH_VOILA_ARGS")
    if extra:
        cmd += shlex.split(extra)
    return cmd


def voila_env(db: Path, data: Path, host: str, *, behind_proxy: bool = False
              ) -> dict[str, str]:
    env = dict(os.environ)
    # Kernels open the database through workbench.connect(), which reads WORKBENCH_DB.
    env["WORKBENCH_DB"] = str(db.resolve())
    env["WORKBENCH_DATA"] = str(data.resolve())
    jupyter_path = [str(TEMPLATE_ROOT), str(bundle_root())]
    if env.get("JUPYTER_PATH"):
        jupyter_path.append(env["JUPYTER_PATH"])
    env["JUPYTER_PATH"] = os.pathsep.join(jupyter_path)
    # A loopback-bound server refuses a Host that is not loopback (DNS rebinding), unless
    # it sits behind a reverse proxy that passes the public name on.
    env["WORKBENCH_VOILA_ALLOW_REMOTE"] = "1" if behind_proxy or not _is_loopback(host) else "0"
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
            dashboards: str | os.PathLike | None = None, pool_size: int | None = None,
            max_kernels: int | None = None, behind_proxy: bool = False,
            build_missing: bool = True) -> tuple[list[str], dict[str, str], str]:
    """Build the database if missing, write the bundle; return Voilà's command and env.

    ``build_missing=False``: a missing database is an error (a replica serves the
    snapshot it is given and never builds one).
    """
    from .. import builder

    db_file = paths.db_path(db).resolve()
    data_dir = paths.data_dir(data).resolve()
    folder = Path(dashboards or DEFAULT_DASHBOARDS).resolve()
    if not folder.is_dir():
        raise WorkbenchError(f"{folder}: no such folder of dashboards")
    if not db_file.exists():
        if not build_missing:
            raise WorkbenchError(f"{db_file}: no database here (--no-build: this server "
                                 "serves a published snapshot and does not build one)")
        print(f"Bygger databasen {db_file} …", flush=True)
        builder.build(data_dir, db_file)
    ensure_bundle()
    host = host or "127.0.0.1"
    return (voila_command(folder, host, port, pool_size=pool_size, max_kernels=max_kernels),
            voila_env(db_file, data_dir, host, behind_proxy=behind_proxy),
            url_for(host, port, folder))


def serve(*, db: str | os.PathLike | None = None, data: str | os.PathLike | None = None,
          host: str = "127.0.0.1", port: int = 8866,
          dashboards: str | os.PathLike | None = None, pool_size: int | None = None,
          max_kernels: int | None = None, behind_proxy: bool = False,
          build_missing: bool = True) -> int:
    """Run Voilà in the foreground until Ctrl-C (or SIGTERM); does not return.

    This process becomes Voilà (``exec``): nothing of the workbench's build machinery
    stays in memory beside it (the wrapper process used to hold ~120 MB doing nothing),
    and SIGTERM/SIGINT reach Voilà directly, which then shuts its kernels down.
    ``behind_proxy``: accept the Host header a reverse proxy passes on although the
    server listens on loopback (docs/serving.md, «Behind a proxy, several replicas»).
    ``build_missing=False``: fail instead of building a missing database.
    """
    host = host or "127.0.0.1"
    cmd, env, url = prepare(db=db, data=data, host=host, port=port, dashboards=dashboards,
                            pool_size=pool_size, max_kernels=max_kernels,
                            behind_proxy=behind_proxy, build_missing=build_missing)
    print(f"Dashbordene: {url}", flush=True)
    if not _is_loopback(host):
        print("Merk: serveren lytter på en adresse andre maskiner kan nå.", flush=True)
    elif behind_proxy:
        print("Merk: serveren godtar adressenavnet en mellomtjener (proxy) sender videre.",
              flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(cmd[0], cmd, env)
