"""Building blocks shared by the dashboards: chart panels, key figures, filters."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w
import polars as pl

from .. import chart_text, charts, embed

CSS = f"<style>{Path(__file__).with_name('widgets.css').read_text(encoding='utf-8')}</style>"


def figure_html(value: str, label: str, source: str | None = None,
                uncertain: bool = False) -> str:
    # «*» is seen; a screen reader says «usikker avlesning» instead of «stjerne».
    mark = (f'<span aria-hidden="true">{charts.UNCERTAIN_MARK}</span>'
            f'<span class="wb-vh"> ({chart_text.UNCERTAIN_WORD} avlesning)</span>'
            if uncertain else "")
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
    """A chart with its buttons «Last ned PNG», «Last ned SVG», «Last ned data» (exactly
    its rows, CSV) and «Vis som tabell» (the same rows as a table), and its name and
    description for screen readers (:mod:`workbench.chart_text`, via the chart builder).
    ``update(df)`` changes all of them together.

    The source line and the note on uncertain readings are part of the chart itself
    (:func:`workbench.charts.framed`), so they stay with it when it is downloaded as an
    image; they are not repeated as page text.
    """

    def __init__(self, df: pl.DataFrame, draw: Callable[[pl.DataFrame], object],
                 filename: str):
        self.draw = draw
        self.view = embed.chart(draw(df), data=df, filename=filename)
        super().__init__([self.view], layout=w.Layout(margin="0 0 1.5rem 0"))

    def update(self, df: pl.DataFrame, filename: str | None = None) -> None:
        self.view.update(self.draw(df), data=df, filename=filename)


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
