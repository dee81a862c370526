"""The Vega JavaScript bundle, served by the workbench itself so charts work offline.

``vl_convert.javascript_bundle()`` (vega, vega-lite and vega-embed in one ~900 KB file)
is written once per vl-convert version into a second Jupyter data folder, where Voilà
serves it as a static file of the page template. This module is light: Voilà's
configuration (serve/voila.py) imports it.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

from ..files import atomic_write

TEMPLATE = "workbench"


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
    atomic_write(target, text)
    return target
