"""House-style Altair charts: theme, Norwegian formatting, offline rendering.

Rendering never needs the network: :func:`to_svg` and :func:`show` draw server-side with
vl-convert (static SVG, for notebooks and reports); dashboards embed interactive Vega
from the workbench's own copy of the JavaScript bundle.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from . import norsk

THEME = "ehelse"
FONT = "Source Sans 3, Source Sans Pro, Segoe UI, Helvetica, Arial, sans-serif"
# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
INK = "#1f2933"
MUTED = "#52606d"


@alt.theme.register(THEME, enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "view": {"continuousWidth": 560, "continuousHeight": 300, "stroke": None},
            "title": {"fontSize": 16, "subtitleFontSize": 12, "anchor": "start",
                      "color": INK, "subtitleColor": MUTED, "offset": 10},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelColor": MUTED,
                     "titleColor": INK, "gridColor": "#e4e7eb", "domainColor": "#9aa5b1",
                     "tickColor": "#9aa5b1", "titleFontWeight": "normal"},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom",
                       "titleFontWeight": "normal"},
            "range": {"category": PALETTE},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0], "strokeWidth": 2.5},
            "point": {"color": PALETTE[0], "filled": True, "size": 60},
            "text": {"color": INK, "fontSize": 11},
            "locale": {"number": norsk.D3_FORMAT_LOCALE,
                       "time": norsk.D3_TIME_FORMAT_LOCALE},
        }
    }


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite specification as a dict, with the data inlined."""
    return chart.to_dict()


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Static SVG drawn without a browser or network (vl-convert)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec(chart), format_locale=norsk.D3_FORMAT_LOCALE,
                               time_format_locale=norsk.D3_TIME_FORMAT_LOCALE)


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec(chart), scale=scale,
                               format_locale=norsk.D3_FORMAT_LOCALE,
                               time_format_locale=norsk.D3_TIME_FORMAT_LOCALE)


class _SVG:
    """Displays as SVG in Jupyter (image/svg+xml is understood everywhere, offline)."""

    def __init__(self, svg: str):
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg


def show(chart: alt.TopLevelMixin) -> None:
    """Display a chart in a notebook as static SVG (works offline and in reports)."""
    from IPython.display import display

    display(_SVG(to_svg(chart)))
