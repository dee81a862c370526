"""Velferdsteknologi: recipients over time with growth, and adoption counts."""

from __future__ import annotations

import ipywidgets as w
import polars as pl

from .. import charts, norsk, query
from . import widgets as ui


def build() -> w.Widget:
    # 'Alle' (all together) first; the sources give totals only so far, so the filter
    # is disabled until the data has counts per technology.
    techs = query("vft_technologies")["technology"].to_list()
    tech = ui.dropdown(techs, techs[0], "Teknologi")
    cards = ui.KeyFigures()

    def recipients():
        return query("vft_growth", technology=tech.value)

    def filename() -> str:
        return f"velferdsteknologi-mottakere-{ui.slug(tech.value)}.csv"

    def draw(df):
        return charts.growth(df, title="Mottakere av velferdsteknologi" + (
            "" if tech.value == "Alle" else f": {tech.value}"))

    first = recipients()
    growth = ui.ChartPanel(first, draw, filename())

    def show_figures(df) -> None:
        last = df.sort("year").row(-1, named=True)
        rate = last["annual_growth_rate_since_first"]
        cards.show([
            (norsk.number(last["recipients"]), f"Mottakere {last['year']}",
             last["source_label"], last["confidence"] != "high"),
            (norsk.percent(rate, 1) if rate is not None else "–",
             f"Gjennomsnittlig årlig vekst siden {df['year'].min()}", None, False),
        ])

    def refresh() -> None:
        df = recipients()
        show_figures(df)
        growth.update(df, filename())

    show_figures(first)
    ui.wire(refresh, tech, show=growth.view)

    adoption_all = query("adoption")
    units = sorted(set(adoption_all["unit"].to_list()))
    unit = ui.dropdown([(_unit_label(u), u) for u in units],
                       "kommuner" if "kommuner" in units else units[0], "Enhet")

    def adoption():
        return adoption_all.filter(pl.col("unit") == unit.value)

    def draw_adoption(df):
        return charts.counts(df, label="indicator", title="Utbredelse",
                             subtitle=f"Antall {_unit_label(unit.value)}",
                             unit=_unit_label(unit.value))

    counts = ui.ChartPanel(adoption(), draw_adoption, f"utbredelse-{unit.value}.csv")
    ui.wire(lambda: counts.update(adoption(), f"utbredelse-{unit.value}.csv"), unit,
            show=counts.view)
    return w.VBox([ui.heading("Mottakere"), cards, tech, growth, ui.heading("Utbredelse"),
                   unit, counts])


def _unit_label(unit: str) -> str:
    return {"leverandorer": "leverandører"}.get(unit, unit)
