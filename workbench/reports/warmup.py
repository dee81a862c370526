"""Runs inside a report kernel: warm it up once, and put it back before every report.

:func:`warm` imports the heavy modules and starts what starts lazily (vl-convert's
JavaScript runtime, the first DuckDB → polars conversion), then snapshots the
process-wide state a report may change. :func:`reset` clears the user namespace and
restores that snapshot: the working directory, ``os.environ``, ``sys.path``, warning
filters, Altair's theme, renderer and data transformer, and polars' config.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Any


@dataclass
class _State:
    cwd: str
    environ: dict[str, str]
    path: list[str]
    filters: list
    altair: tuple[str, str, str] | None
    polars: Any


_state: _State | None = None


def warm(modules: list[str]) -> None:
    global _state
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a report that needs it will say so
            print(f"workbench: could not pre-import {name}: {exc}", file=sys.stderr)
    if "workbench.charts" in sys.modules:
        try:  # vl-convert starts its JavaScript runtime on first use (~0.5 s): do it now
            alt = sys.modules["altair"]
            sys.modules["workbench.charts"].to_svg(
                alt.Chart({"values": [{"a": 1}]}).mark_point().encode(x="a:Q"))
        except Exception:  # noqa: BLE001 - only a warm-up
            pass
    if "duckdb" in sys.modules and "polars" in sys.modules:
        try:  # first query and first Arrow → polars conversion
            sys.modules["duckdb"].connect().sql("SELECT 1 AS a").pl()
        except Exception:  # noqa: BLE001 - only a warm-up
            pass
    altair = None
    if "altair" in sys.modules:
        alt = sys.modules["altair"]
        altair = (alt.theme.active, alt.renderers.active, alt.data_transformers.active)
    polars = sys.modules["polars"].Config.save() if "polars" in sys.modules else None
    _state = _State(os.getcwd(), dict(os.environ), list(sys.path), list(warnings.filters),
                    altair, polars)


def reset() -> None:
    from IPython import get_ipython

    get_ipython().reset(new_session=True)
    if _state is None:
        return
    if os.environ != _state.environ:
        os.environ.clear()
        os.environ.update(_state.environ)
    sys.path[:] = _state.path
    warnings.filters[:] = _state.filters
    getattr(warnings, "_filters_mutated", lambda: None)()
    if _state.altair is not None:
        alt = sys.modules["altair"]
        alt.theme.enable(_state.altair[0])
        alt.renderers.enable(_state.altair[1])
        alt.data_transformers.enable(_state.altair[2])
    if _state.polars is not None:
        sys.modules["polars"].Config.load(_state.polars)
    os.chdir(_state.cwd)
