"""Interactive Vega charts in dashboards, offline.

:func:`chart` shows an Altair chart as an interactive Vega view (an anywidget: the spec
travels as widget state over the kernel's websocket, never through an
``ipywidgets.Output``, whose large outputs can hang nbclient, jupyter/nbclient#312). The
JavaScript (vega, vega-lite, vega-embed) comes from the workbench's own server:
``workbench serve`` writes ``vl_convert.javascript_bundle()`` once and serves it as a
static file of the page template. ``.update(chart)`` redraws the same view in place when
a filter changes. Numbers and dates are formatted the Norwegian way
(:data:`workbench.norsk.D3_FORMAT_LOCALE`).

Accessibility (WCAG 2.1 AA, docs/tilgjengelighet.md): after every draw the view is named
by the chart's title and described by the text :mod:`workbench.chart_text` made from the
data; vega-embed's «…» menu (a ``<summary>`` without a name, whose «Lagre som SVG» link
did not work by keyboard) is replaced by labelled buttons «Last ned PNG», «Last ned SVG»,
«Last ned data» (the rows given as ``data``, CSV) and «Vis som tabell»; a status message
says when the chart was redrawn.

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

from .. import chart_text, norsk
from .download import csv_reply, rows_text

HERE = Path(__file__).parent

# No vega-embed menu: the widget has its own labelled buttons (vega.js).
VEGA_ACTIONS = False


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
        "formatLocale": norsk.D3_FORMAT_LOCALE,
        "timeFormatLocale": norsk.D3_TIME_FORMAT_LOCALE,
    }


def to_spec(chart: Any, validate: bool = True) -> dict[str, Any]:
    """A Vega-Lite spec (dict) from an Altair chart, a dict, or None (empty view)."""
    if chart is None:
        return {}
    if isinstance(chart, dict):
        return chart
    from .. import charts  # noqa: F401 — registers and enables the house theme

    return chart.to_dict(validate=validate)


def _table_html(spec: dict[str, Any]) -> str:
    """«Vis som tabell» for a workbench chart (:mod:`workbench.chart_text`), else ""."""
    text = chart_text.from_spec(spec)
    return chart_text.table_html(text.table) if text else ""


def _stem(filename: str | None) -> str:
    name = (filename or "graf").rsplit("/", 1)[-1]
    return name[:-4] if name.lower().endswith(".csv") else name


class VegaChart(anywidget.AnyWidget):
    """An interactive Vega-Lite view; ``update(chart)`` redraws it in place.

    With ``data`` (a polars DataFrame: the rows behind the chart) the view also offers
    «Last ned data» for exactly those rows as ``filename`` (CSV, see
    :func:`workbench.embed.csv_bytes`); PNG and SVG are named after it.
    """

    _esm = HERE / "vega.js"
    _css = ((HERE / "messages.css").read_text(encoding="utf-8") + chart_text.css()
            + (HERE / "vega.css").read_text(encoding="utf-8"))
    spec = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)
    filename = traitlets.Unicode("graf").tag(sync=True)  # PNG/SVG/CSV name, no suffix
    rows = traitlets.Int(-1).tag(sync=True)  # rows offered as CSV; -1: no CSV button
    csv_text = traitlets.Unicode("").tag(sync=True)
    _table_html = traitlets.Unicode("").tag(sync=True)
    _embed_options = traitlets.Dict().tag(sync=True)
    _bundle_url = traitlets.Unicode("").tag(sync=True)
    _bundle_src = traitlets.Unicode("").tag(sync=True)

    def __init__(self, chart: Any = None, *, data=None, filename: str | None = None,
                 renderer: str = "svg", csv_label: str = "Last ned data", **kwargs):
        url, src = _bundle_location()
        spec = to_spec(chart)
        self._data = data
        self._csv_label = csv_label
        super().__init__(spec=spec, _embed_options=_embed_options(renderer),
                         _bundle_url=url, _bundle_src=src, version=1,
                         _table_html=_table_html(spec), filename=_stem(filename),
                         **self._csv_state(data), **kwargs)
        self.on_msg(self._on_message)

    def _csv_state(self, data) -> dict[str, Any]:
        if data is None:
            return {"rows": -1, "csv_text": ""}
        return {"rows": data.height, "csv_text": rows_text(self._csv_label, data.height)}

    @property
    def data(self):
        """The rows «Last ned data» offers (None: no CSV button)."""
        return self._data

    def update(self, chart: Any, data=None, filename: str | None = None) -> None:
        """Show ``chart`` (Altair chart or Vega-Lite dict) instead; clears an error.
        ``data``/``filename``: the rows and file name «Last ned data» offers now."""
        spec = to_spec(chart)
        with self.hold_sync():
            if data is not None:
                self._data = data
                for name, value in self._csv_state(data).items():
                    setattr(self, name, value)
            if filename:
                self.filename = _stem(filename)
            self.spec = spec
            self._table_html = _table_html(spec)
            self.error = ""
            self.version += 1

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("event") == "download" \
                and self._data is not None:
            reply, buffers = csv_reply(self._data, f"{self.filename}.csv")
            self.send(reply, buffers=buffers)

    def show_error(self, text: str) -> None:
        with self.hold_sync():
            self.error = text
            self.version += 1


def chart(chart: Any = None, *, data=None, filename: str | None = None,
          renderer: str = "svg", **kwargs) -> VegaChart:
    """An interactive, offline view of an Altair chart (``renderer``: "svg" or "canvas").

    ``data``: the rows behind it, offered as «Last ned data» (``filename``, CSV)."""
    return VegaChart(chart, data=data, filename=filename, renderer=renderer, **kwargs)
