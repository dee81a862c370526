"""Kommuner: survey scores, procurement collaborations, demography and cost projections."""

from __future__ import annotations

import ipywidgets as w
import polars as pl

from .. import charts, norsk, query
from . import widgets as ui

COUNT_INDICATORS = {
    "journalanskaffelse-samarbeid-kommuner": "Kommuner i regionale samarbeid om "
                                             "journalanskaffelse",
    "kommuner-kvart-av-innbyggerne-over-67": "Kommuner der hver fjerde innbygger er over 67",
    "nasjonal-ehelseportefolje-tiltak": "Tiltak i nasjonal e-helseportefølje",
}
COST_INDICATORS = {
    "ehelse-kostnader-kommuner-framskrevet": "Kommunenes e-helsekostnader",
    "helse-omsorg-kostnader-kommuner-framskrevet": "Kommunale helse- og omsorgskostnader",
}


def build() -> w.Widget:
    surveys = query("surveys")
    means = surveys.filter(pl.col("statistics").str.contains("mean"))
    survey = ui.dropdown([(r["survey"], r["survey_id"]) for r in means.iter_rows(named=True)],
                         "ks-fou-224004-gevinster-helseteknologi", "Undersøkelse")
    cards = ui.KeyFigures()

    def scores():
        return query("survey_scores", survey_id=survey.value)

    def draw_scores(df):
        return charts.survey_scores(df, "Opplevde gevinster" if "ks-fou" in survey.value
                                    else df["survey"][0])

    panel = ui.ChartPanel(scores(), draw_scores, f"undersokelse-{survey.value}.csv")

    def show_figures(df) -> None:
        best = df.sort("value").row(-1, named=True)
        worst = df.sort("value").row(0, named=True)
        n = df["n"].drop_nulls()
        cards.show([
            (norsk.number(n[0]) if len(n) else "–", "Svar (n)", ui.source_of(df),
             charts.uncertain(df)),
            (norsk.number(best["value"], 2), f"Høyest: {best['question']} "
             f"({best['group_name']})", None, best["confidence"] != "high"),
            (norsk.number(worst["value"], 2), f"Lavest: {worst['question']} "
             f"({worst['group_name']})", None, worst["confidence"] != "high"),
        ])

    def refresh_scores() -> None:
        df = scores()
        show_figures(df)
        panel.update(df, f"undersokelse-{survey.value}.csv")

    show_figures(scores())
    ui.wire(refresh_scores, survey, show=panel.view)

    indicator = ui.dropdown([(v, k) for k, v in COUNT_INDICATORS.items()],
                            next(iter(COUNT_INDICATORS)), "Tall")

    def count_rows():
        return query("municipal_counts", indicator_id=indicator.value)

    def draw_counts(df):
        label = "year" if df["group_name"].n_unique() == 1 else "group_name"
        chart_df = df.with_columns(pl.col("year").cast(pl.String)) if label == "year" else df
        return charts.counts(chart_df, label=label, title=COUNT_INDICATORS[indicator.value],
                             unit=df["unit"][0])

    counts = ui.ChartPanel(count_rows(), draw_counts, f"kommunetall-{indicator.value}.csv")
    ui.wire(lambda: counts.update(count_rows(), f"kommunetall-{indicator.value}.csv"),
            indicator, show=counts.view)

    cost = ui.dropdown([(v, k) for k, v in COST_INDICATORS.items()],
                       next(iter(COST_INDICATORS)), "Kostnader")

    def cost_rows():
        return query("municipal_counts", indicator_id=cost.value)

    def draw_cost(df):
        return charts.amounts_over_time(df, title=COST_INDICATORS[cost.value],
                                        subtitle="Framskrevet, 2021-kroner")

    costs = ui.ChartPanel(cost_rows(), draw_cost, f"kostnader-{cost.value}.csv")
    ui.wire(lambda: costs.update(cost_rows(), f"kostnader-{cost.value}.csv"), cost,
            show=costs.view)
    return w.VBox([ui.heading("Undersøkelser"), cards, survey, panel,
                   ui.heading("Samarbeid, demografi og portefølje"), indicator, counts,
                   ui.heading("Framskrevne kostnader"), cost, costs])
