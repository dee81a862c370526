"""Charts drawn without a browser or network (vl-convert): SVG and PNG files, and the
static display of a chart in a notebook or report, with its name, description and table
(:mod:`workbench.chart_text`). Dashboard kernels never import this module's vl-convert:
their charts are drawn by Vega in the browser."""

from __future__ import annotations

from typing import Any

import altair as alt

from . import chart_text, norsk


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Static SVG drawn without a browser or network (vl-convert); a workbench chart's
    SVG carries ``role="img"``, ``<title>`` and ``<desc>`` (its name and description)."""
    return svg_from_spec(chart.to_dict())


def svg_from_spec(s: dict[str, Any]) -> str:
    """A Vega-Lite spec drawn as SVG, named and described (see :func:`to_svg`)."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(s, format_locale=norsk.D3_FORMAT_LOCALE,
                              time_format_locale=norsk.D3_TIME_FORMAT_LOCALE)
    text = chart_text.from_spec(s)
    return chart_text.label_svg(svg, text.title, text.description) if text else svg


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_dict(), scale=scale,
                               format_locale=norsk.D3_FORMAT_LOCALE,
                               time_format_locale=norsk.D3_TIME_FORMAT_LOCALE)


class _SVG:
    """Displays as SVG in Jupyter (image/svg+xml is understood everywhere, offline)."""

    def __init__(self, svg: str):
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg


def show(chart: alt.TopLevelMixin) -> None:
    """Display a chart in a notebook as static SVG (works offline and in reports), and
    under it its «Vis som tabell» (a ``<details>`` table, no JavaScript needed)."""
    from IPython.display import HTML, display

    s = chart.to_dict()
    display(_SVG(svg_from_spec(s)))
    text = chart_text.from_spec(s)
    if text:
        display(HTML(chart_text.details_html(text)))
