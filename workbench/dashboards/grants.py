"""Tilskudd: grant rounds per year, and the Helse Nord project portfolio."""

from __future__ import annotations

import ipywidgets as w

from .. import charts, norsk, query
from . import widgets as ui

ALL = "Alle"


def build() -> w.Widget:
    rounds_all = query("grant_rounds")
    years = sorted(set(rounds_all["year"].to_list()))
    year = ui.dropdown(years, years[-1], "År")
    round_cards = ui.KeyFigures()

    def draw_rounds(df):
        return charts.grant_funnel(df, f"Tilskuddsrunder {year.value}",
                                   "Tilgjengelig og søkt beløp; søknader og innvilgede "
                                   "prosjekter per ordning")

    rounds = ui.ChartPanel(query("grant_rounds", year=year.value), draw_rounds,
                           f"tilskuddsrunder-{year.value}.csv")

    def show_round_figures(df) -> None:
        apps = df["applications"].drop_nulls()
        granted = df.filter(df["applications"].is_not_null()
                            & df["granted_projects"].is_not_null())
        rate = (granted["granted_projects"].sum() / granted["applications"].sum()
                if granted.height else None)
        over = df.filter(df["oversubscription"].is_not_null())
        round_cards.show([
            (norsk.number(int(apps.sum())), f"Søknader {year.value}", ui.source_of(df),
             charts.uncertain(df)),
            (norsk.percent(rate) if rate is not None else "–",
             "Innvilget andel av søknadene (ordninger med tall for begge)", None, False),
            (", ".join(f"{norsk.number(x, 1)}×" for x in over["oversubscription"]) or "–",
             "Søkt beløp i forhold til tilgjengelig", None, False),
        ])

    def refresh_rounds() -> None:
        df = query("grant_rounds", year=year.value)
        show_round_figures(df)
        rounds.update(df, f"tilskuddsrunder-{year.value}.csv")

    show_round_figures(query("grant_rounds", year=year.value))
    ui.wire(refresh_rounds, year, show=rounds.view)

    groups = [ALL] + query("helsefellesskap")["helsefellesskap"].to_list()
    group = ui.dropdown(groups, ALL, "Helsefellesskap")
    project_cards = ui.KeyFigures()

    def projects():
        return query("grant_projects", helsefellesskap=None if group.value == ALL
                     else group.value)

    def draw_projects(df):
        return charts.projects_cumulative(
            df, "Sammen om helse i nord: prioriterte prosjekter",
            None if group.value == ALL else f"Helsefellesskap: {group.value}. Løpende sum "
                                             "over prosjektene som vises.")

    def filename() -> str:
        return f"helse-nord-prosjekter-{ui.slug(group.value)}.csv"

    portfolio = ui.ChartPanel(projects(), draw_projects, filename())

    def show_project_figures(df) -> None:
        total = int(df["amount_nok"].sum())
        project_cards.show([
            (norsk.number(df.height), "Prosjekter", ui.source_of(df), charts.uncertain(df)),
            (norsk.nok(total), "Sum av beløpene", None, False),
        ])

    def refresh_projects() -> None:
        df = projects()
        show_project_figures(df)
        portfolio.update(df, filename())

    show_project_figures(projects())
    ui.wire(refresh_projects, group, show=portfolio.view)
    return w.VBox([ui.heading("Tilskuddsrunder"), round_cards, year, rounds,
                   ui.heading("Helse Nord: samarbeidsprosjekter"),
                   project_cards, group, portfolio])
