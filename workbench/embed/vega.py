"""Interactive Vega charts in dashboards, offline.

:func:`chart` shows an Altair chart as an interactive Vega view (an anywidget: the spec
travels as widget state over the kernel's websocket, never through an
``ipywidgets.Output``, whose large outputs can hang nbclient, jupyter/nbclient#312). The
JavaScript (vega, vega-lite, vega-embed) comes from the workbench's own server:
``workbench serve`` writes ``vl_convert.javascript_bundle()`` once and serves it as a
static file of the page template. ``.update(chart)`` redraws the same view in place when
a filter changes. Numbers and dates are formatted the Norwegian way
(:data:`workbench.norsk.D3_FORMAT_LOCALE`).

Nothing is rendered in the kernel: a static SVG snapshot of the first chart (vl-convert)
cost every dashboard kernel ~85 MB of memory (V8) and ~0.6 CPU-s, and Vega draws the
chart in the browser a moment later anyway (docs/serving.md, «Memory per viewer»).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .. import norsk

HERE = Path(__file__).parent

VEGA_ACTIONS = {"export": True, "source": False, "compiled": False, "editor": False}
VEGA_I18N = {
    "CLICK_TO_VIEW_ACTIONS": "Vis valg",
    "COMPILED_ACTION": "Vis Vega",
    "EDITOR_ACTION": "Åpne i Vega-editoren",
    "PNG_ACTION": "Lagre som PNG",
    "SOURCE_ACTION": "Vis kilde",
    "SVG_ACTION": "Lagre som SVG",
}


def _bundle_location() -> tuple[str, str]:
    """(URL, "") under ``workbench serve``; ("", bundle source) anywhere else."""
    path = os.environ.get("WORKBENCH_VEGA_BUNDLE")
    if path:
        return os.environ.get("VOILA_BASE_URL", "/") + path, ""
    import vl_convert

    return "", _inline_bundle(vl_convert)


@functools.lru_cache(maxsize=1)
def _inline_bundle(vl_convert) -> str:
    return vl_convert.javascript_bundle()


def _embed_options(renderer: str) -> dict[str, Any]:
    return {
        "renderer": renderer,
        "actions": VEGA_ACTIONS,
        "i18n": VEGA_I18N,
        "formatLocale": norsk.D3_FORMAT_LOCALE,
        "timeFormatLocale": norsk.D3_TIME_FORMAT_LOCALE,
        "downloadFileName": "graf",
    }


def to_spec(chart: Any, validate: bool = True) -> dict[str, Any]:
    """A Vega-Lite spec (dict) from an Altair chart, a dict, or None (empty view)."""
    if chart is None:
        return {}
    if isinstance(chart, dict):
        return chart
    from .. import charts  # noqa: F401 — registers and enables the house theme

    return chart.to_dict(validate=validate)


class VegaChart(anywidget.AnyWidget):
    """An interactive Vega-Lite view; ``update(chart)`` redraws it in place."""

    _esm = HERE / "vega.js"
    _css = (HERE / "messages.css").read_text(encoding="utf-8") + (
        HERE / "vega.css").read_text(encoding="utf-8")
    spec = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)
    _embed_options = traitlets.Dict().tag(sync=True)
    _bundle_url = traitlets.Unicode("").tag(sync=True)
    _bundle_src = traitlets.Unicode("").tag(sync=True)

    def __init__(self, chart: Any = None, *, renderer: str = "svg", **kwargs):
        url, src = _bundle_location()
        super().__init__(spec=to_spec(chart), _embed_options=_embed_options(renderer),
                         _bundle_url=url, _bundle_src=src, version=1, **kwargs)

    def update(self, chart: Any) -> None:
        """Show ``chart`` (Altair chart or Vega-Lite dict) instead; clears an error."""
        spec = to_spec(chart)
        with self.hold_sync():
            self.spec = spec
            self.error = ""
            self.version += 1

    def show_error(self, text: str) -> None:
        with self.hold_sync():
            self.error = text
            self.version += 1


def chart(chart: Any = None, *, renderer: str = "svg", **kwargs) -> VegaChart:
    """An interactive, offline view of an Altair chart (``renderer``: "svg" or "canvas")."""
    return VegaChart(chart, renderer=renderer, **kwargs)
