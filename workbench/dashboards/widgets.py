"""Building blocks shared by the dashboards: chart panels, key figures, filters."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
import polars as pl

from .. import charts, embed

CSS = """
<style>
.wb-figures { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 0.4rem 0 1rem; }
.wb-figure { border: 1px solid #e4e7eb; border-radius: 6px; padding: 0.7rem 1rem;
  min-width: 12rem; max-width: 18rem; background: #fafbfc; }
.wb-figure .wb-value { font-size: 1.6rem; font-weight: 600; color: #1f2933; }
.wb-figure .wb-label { font-size: 0.95rem; color: #1f2933; }
.wb-figure .wb-source { font-size: 0.8rem; color: #52606d; margin-top: 0.3rem; }
.wb-caption { font-size: 0.85rem; color: #52606d; margin: 0.2rem 0 0.3rem; }
</style>
"""


def figure_html(value: str, label: str, source: str | None = None,
                uncertain: bool = False) -> str:
    mark = charts.UNCERTAIN_MARK if uncertain else ""
    src = (f'<div class="wb-source">Kilde: {html.escape(source)}</div>' if source else "")
    return (f'<div class="wb-figure"><div class="wb-value">{html.escape(value)}{mark}</div>'
            f'<div class="wb-label">{html.escape(label)}</div>{src}</div>')


class KeyFigures(w.HTML):
    """A row of key-figure cards: (value text, label, source, uncertain)."""

    def show(self, figures: list[tuple[str, str, str | None, bool]]) -> None:
        cards = "".join(figure_html(*f) for f in figures)
        note = ""
        if any(f[3] for f in figures):
            note = f'<div class="wb-caption">{html.escape(charts.UNCERTAIN_NOTE)}</div>'
        self.value = f'{CSS}<div class="wb-figures">{cards}</div>{note}'


class ChartPanel(w.VBox):
    """A chart and a «Last ned data» button for exactly its rows.

    The source line and the note on uncertain readings are part of the chart itself
    (:func:`workbench.charts.framed`), so they stay with it when it is exported from
    the chart's menu; they are not repeated as page text.
    """

    def __init__(self, df: pl.DataFrame, draw: Callable[[pl.DataFrame], object],
                 filename: str):
        self.draw = draw
        self.view = embed.chart(draw(df))
        self.rows = embed.download(df, filename)
        super().__init__([self.view, self.rows], layout=w.Layout(margin="0 0 1.5rem 0"))

    def update(self, df: pl.DataFrame, filename: str | None = None) -> None:
        self.view.update(self.draw(df))
        self.rows.update(df, filename)


def dropdown(options, value, description: str) -> w.Dropdown:
    """A filter. With a single option there is nothing to choose: it is shown, disabled.
    As wide as its longest option (not the whole page, also in a VBox)."""
    options = list(options)
    return w.Dropdown(options=options, value=value, description=description,
                      disabled=len(options) < 2, style={"description_width": "initial"},
                      layout=w.Layout(width="auto", min_width="16rem", max_width="100%",
                                      align_self="flex-start"))


def slug(text) -> str:
    """A file-name part: lower case, letters and digits (æøå kept) joined by hyphens."""
    import re

    return re.sub(r"[^\w]+", "-", str(text).lower()).strip("-_") or "alle"


def heading(text: str) -> w.HTML:
    return w.HTML(f"<h2 style='margin:1.2rem 0 0.3rem'>{html.escape(text)}</h2>")


def source_of(df: pl.DataFrame) -> str | None:
    labels = [x for x in df["source_label"].unique(maintain_order=True).to_list() if x]
    return "; ".join(labels) or None


def wire(handler: Callable, *controls: w.ValueWidget, show=None) -> None:
    """Call ``handler()`` when any control changes; errors become a Norwegian message."""
    guarded = embed.guard(lambda _change: handler(), show=show)
    for c in controls:
        c.observe(guarded, "value")
