"""Oversikt: the landing page's key figures and a chart of the chosen HTO year."""

from __future__ import annotations

import ipywidgets as w

from .. import charts, norsk, query
from . import widgets as ui


def build() -> w.Widget:
    figures = query("key_figures")
    years = sorted({r["year"] for r in figures.iter_rows(named=True)
                    if r["figure_id"].startswith("hto_") and r["unit"] == "nok"})
    year = ui.dropdown(years, years[-1], "Helseteknologiordningen, år")
    cards = ui.KeyFigures()

    def hto(y: int):
        return query("budget_breakdown", year=y, parent=f"hto-{y}")

    def draw(df):
        y = df["budget_year"][0]
        return charts.budget_breakdown(df, f"Helseteknologiordningen {y}",
                                       "Fordeling på tilskuddsordninger og tiltak")

    panel = ui.ChartPanel(hto(year.value), draw, f"helseteknologiordningen-{year.value}.csv")

    def show_figures() -> None:
        rows = []
        for r in figures.iter_rows(named=True):
            is_hto = r["figure_id"].startswith("hto_") and r["unit"] == "nok"
            if is_hto and r["year"] != year.value:
                continue
            text = norsk.nok(r["value"]) if r["unit"] == "nok" else norsk.number(r["value"])
            rows.append((text, r["label"], r["source_label"], r["confidence"] != "high"))
        cards.show(rows)

    def refresh() -> None:
        show_figures()
        panel.update(hto(year.value), f"helseteknologiordningen-{year.value}.csv")

    show_figures()
    ui.wire(refresh, year, show=panel.view)
    return w.VBox([cards, ui.heading("Helseteknologiordningen"), year, panel])
