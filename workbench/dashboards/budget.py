"""Budsjett: a line's breakdown in a chosen year, and the same lines across years."""

from __future__ import annotations

import ipywidgets as w

from .. import charts, norsk, query
from . import widgets as ui

TOP = "(hovedlinjer)"


def _parents(year: int) -> list[tuple[str, str]]:
    rows = query("budget_parents", year=year)
    return [(f"{r['label']} ({norsk.nok(r['amount_nok'])})", r["line_id"])
            for r in rows.iter_rows(named=True)] + [(TOP, TOP)]


def _breakdown(year: int, parent: str):
    return query("budget_breakdown", year=year, parent=None if parent == TOP else parent)


def build() -> w.Widget:
    years = query("budget_years")["budget_year"].to_list()
    year = ui.dropdown(years, years[-1], "Budsjettår")
    options = _parents(year.value)
    line = ui.dropdown(options, options[0][1], "Budsjettlinje")
    cards = ui.KeyFigures()

    def title(df) -> str:
        return "Hovedlinjer" if line.value == TOP else dict(
            (v, k) for k, v in line.options)[line.value].rsplit(" (", 1)[0]

    def draw(df):
        return charts.budget_breakdown(df, f"{title(df)} {year.value}",
                                       "Grå stolpe: del av oppgitt sum som kilden ikke "
                                       "fordeler («ikke spesifisert»)")

    def filename() -> str:
        return f"budsjett-{year.value}-{ui.slug(line.value)}.csv"

    breakdown = ui.ChartPanel(_breakdown(year.value, line.value), draw, filename())

    def show_figures(df) -> None:
        specified = df.filter(~df["unspecified"])
        gap = int(df.filter(df["unspecified"])["amount_nok"].sum())
        cards.show([
            (norsk.nok(int(df["amount_nok"].sum())), "Sum i figuren", ui.source_of(df),
             charts.uncertain(df)),
            (norsk.number(specified.height), "Linjer med beløp i kilden", None, False),
            (norsk.nok(gap) if gap else "0 kr", "Ikke spesifisert i kilden", None, False),
            (norsk.number(int((df["confidence"] != "high").sum())),
             "Usikre avlesninger", None, False),
        ])

    def refresh_line() -> None:
        df = _breakdown(year.value, line.value)
        show_figures(df)
        breakdown.update(df, filename())

    def refresh_year() -> None:
        old = line.value
        opts = _parents(year.value)
        line.options = opts  # resets the value to the first option ...
        line.value = opts[0][1]
        if line.value == old:  # ... and only a changed value redraws by itself
            refresh_line()

    show_figures(_breakdown(year.value, line.value))
    ui.wire(refresh_year, year, show=breakdown.view)
    ui.wire(refresh_line, line, show=breakdown.view)

    parts = [ui.heading("Fordeling"), cards, w.HBox([year, line]), breakdown]
    if len(years) > 1:
        first, last = years[0], years[-1]
        frm = ui.dropdown(years[:-1], first, "Sammenlign fra")
        to = ui.dropdown(years[1:], last, "til")

        def draw_cmp(df):
            return charts.budget_comparison(df, f"Samme linjer {frm.value} og {to.value}",
                                            "Linjer som finnes i begge år")

        comparison = ui.ChartPanel(query("budget_comparison", from_year=first, to_year=last),
                                   draw_cmp, f"budsjett-{first}-{last}.csv")

        def refresh_cmp() -> None:
            comparison.update(query("budget_comparison", from_year=frm.value,
                                    to_year=to.value),
                              f"budsjett-{frm.value}-{to.value}.csv")

        # «til» offers only years after «Sammenlign fra», so a comparison always runs
        # forward; changing its options must not redraw twice.
        updating = []

        def refresh_from() -> None:
            later = [y for y in years if y > frm.value]
            keep = to.value if to.value in later else later[-1]
            updating.append(True)
            try:
                to.options = later
                to.value = keep
                to.disabled = len(later) < 2
            finally:
                updating.pop()
            refresh_cmp()

        def refresh_to() -> None:
            if not updating:
                refresh_cmp()

        ui.wire(refresh_from, frm, show=comparison.view)
        ui.wire(refresh_to, to, show=comparison.view)
        parts += [ui.heading("Sammenligning mellom år"), w.HBox([frm, to]), comparison]
    return w.VBox(parts)
