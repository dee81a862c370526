"""House-style Altair charts: theme, Norwegian formatting, one builder per chart kind.

Rendering never needs the network: :func:`show`, :func:`to_svg` and :func:`to_png`
(:mod:`workbench.chart_render`, re-exported here for notebooks) draw server-side with
vl-convert, for notebooks and reports; dashboards embed interactive Vega from the
workbench's own copy of the JavaScript bundle.

Every builder also attaches the chart's text alternative (:mod:`workbench.chart_text`):
its name, a description made from the data and the «Vis som tabell» rows. Colours meet
WCAG 2.1 AA against white (marks ≥ 3:1, text ≥ 4.5:1), and uncertain values are marked by
a dashed outline or an open point and «*», not by a lighter colour alone.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from . import chart_text, norsk
from .chart_render import show, to_png, to_svg  # noqa: F401 (notebooks call charts.show)
from .chart_text import UNCERTAIN_MARK, source_line

THEME = "ehelse"
FONT = "Arial, Helvetica, Liberation Sans, sans-serif"  # first must exist for vl-convert
# Okabe–Ito, distinguishable with the common colour-vision deficiencies, with orange and
# sky blue darkened (same hue) to at least 3:1 against white (WCAG 1.4.11) and yellow
# dropped (no yellow reaches 3:1). Ratios on white: 5.19, 3.08, 3.42, 3.10, 3.12, 21, 3.87.
# Vermilion comes last: next to the darkened orange it is hard to tell apart with a
# red–green deficiency, so only a chart with seven groups uses both.
PALETTE = ["#0072B2", "#C48700", "#009E73", "#CB78A6", "#499AC8", "#000000", "#D55E00"]
INK = "#1f2933"  # 14.8:1 on white
MUTED = "#52606d"  # 6.5:1 on white: source lines, footnotes, axis labels
AXIS = "#7b8794"  # 3.7:1: axis lines and ticks


# Altair's default renderer loads Vega from a CDN, which closed networks (and these
# machines) cannot reach. Server-side SVG shows a chart anywhere a notebook is opened
# or exported; the theme's locale applies there too.
alt.renderers.enable("svg")


@alt.theme.register(THEME, enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "view": {"continuousWidth": 560, "continuousHeight": 300, "stroke": None},
            "title": {"fontSize": 16, "subtitleFontSize": 12, "anchor": "start",
                      "color": INK, "subtitleColor": MUTED, "offset": 10},
            # Axes and legends are hidden from assistive technology (Vega would
            # describe them in English); the chart's name, description and table say it
            # in Norwegian (workbench.chart_text).
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "labelColor": MUTED,
                     "titleColor": INK, "gridColor": "#e4e7eb", "domainColor": AXIS,
                     "tickColor": AXIS, "titleFontWeight": "normal", "aria": False},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom",
                       "titleFontWeight": "normal", "aria": False},
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


# --- provenance under every chart ---------------------------------------------------

#: The note for values marked «*» only (key figures, tables).
UNCERTAIN_NOTE = chart_text.uncertain_note()
GAP_COLOR = "#7b8794"  # «Ikke spesifisert»: grey, 3.7:1 on white


def uncertain(df) -> bool:
    """Any row uncertain, by the rule of :func:`workbench.chart_text.is_uncertain` (a
    confidence other than «high»; none given counts as certain)."""
    return "confidence" in df.columns and bool(_with_marks(df)["usikker"].any())


def _with_marks(df):
    """Adds ``usikker`` (bool) and ``merke`` ('*' or '') for uncertain rows."""
    import polars as pl

    flag = (pl.col("confidence").fill_null("high") != "high") if "confidence" in df.columns \
        else pl.lit(False)
    return df.with_columns(flag.alias("usikker"),
                           pl.when(flag).then(pl.lit(UNCERTAIN_MARK)).otherwise(pl.lit(""))
                           .alias("merke"))


def framed(chart, df, title: str, subtitle: str | None = None,
           text: chart_text.ChartText | None = None):
    """Title and subtitle on top; source line (and uncertainty note) underneath; the
    chart's name, description and table (``text``) attached."""
    foot = [source_line(df)]
    if uncertain(df):
        foot.append(chart_text.uncertain_note(text.cues if text else None))
    # Titles are hidden from assistive technology like the axes (see the theme): the
    # chart's name and description carry them.
    inner = chart.properties(title=alt.TitleParams(title, subtitle=subtitle or [],
                                                   aria=False))
    out = alt.vconcat(inner).properties(
        title=alt.TitleParams(foot, orient="bottom", anchor="start", fontSize=11,
                              fontWeight="normal", color=MUTED, offset=12, aria=False))
    return chart_text.attach(out, text) if text else out


def money_scale(max_amount: float) -> tuple[float, str]:
    """Divisor and axis unit for amounts: milliards or millions of kroner."""
    return (1e9, "mrd. kr") if max_amount >= 5e9 else (1e6, "mill. kr")


def _money_columns(df, column: str, divisor: float):
    import polars as pl

    return df.with_columns(
        (pl.col(column).cast(pl.Float64) / divisor).alias("beløp"),
        pl.col(column).map_elements(norsk.nok, return_dtype=pl.String).alias("beløp_tekst"))


UNCERTAIN = "datum.usikker"


def _uncertain_bars(stroke) -> dict[str, Any]:
    """Encodings for bars: an outline in the bar's own colour (``stroke``, ≥ 3:1),
    dashed for uncertain values, whose fill is also lighter. Use with
    ``mark_bar(strokeWidth=1.5)``."""
    return {"stroke": stroke,
            "strokeDash": alt.condition(UNCERTAIN, alt.value([4, 2]), alt.value([1, 0])),
            "fillOpacity": alt.condition(UNCERTAIN, alt.value(0.4), alt.value(1.0))}


def _points(base, data, **encoding) -> list:
    """Point layers: certain values filled, uncertain ones open (an outline in the
    point's colour). Both use only ``color``, so they share one legend with the lines.
    A layer without points is left out: its empty mark group would be an unnamed
    graphic for assistive technology (axe: svg-img-alt)."""
    flags = set(data["usikker"].to_list())
    layers = []
    if False in flags or not flags:
        layers.append(base.mark_point(filled=True, opacity=1, aria=bool(flags))
                      .encode(**encoding).transform_filter(f"!{UNCERTAIN}"))
    if True in flags:
        layers.append(base.mark_point(filled=False, opacity=1, strokeWidth=2)
                      .encode(**encoding).transform_filter(UNCERTAIN))
    return layers


def _said(df, name: str, expr):
    """Adds column ``name``: what a screen reader says for each mark (Vega-Lite's
    ``description`` channel), Norwegian numbers as the labels show them."""
    import polars as pl

    return df.with_columns(pl.concat_str(
        [expr, pl.when(pl.col("usikker")).then(pl.lit(f" ({chart_text.UNCERTAIN_WORD})"))
         .otherwise(pl.lit(""))]).alias(name))


LABEL_LINE_HEIGHT = 13  # px per line of an 11 px axis label


def _wrapped(df, column: str, width: int):
    """Adds ``{column}_linjer``: the text broken into lines of at most ``width`` characters
    (joined by a newline; the axis shows one line each, see :func:`_label_axis`), and
    returns (frame, most lines in one label). Long names are shown whole, not cut off."""
    import textwrap

    import polars as pl

    name = f"{column}_linjer"
    out = df.with_columns(pl.col(column).map_elements(
        lambda text: "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text,
        return_dtype=pl.String).alias(name))
    lines = max((t.count("\n") + 1 for t in out[name].drop_nulls()), default=1)
    return out, lines


def _label_axis(limit: int, **kwargs) -> alt.Axis:
    """An axis whose labels are split into lines at newlines (see :func:`_wrapped`)."""
    return alt.Axis(labelExpr="split(datum.label, '\\n')", labelLimit=limit,
                    labelLineHeight=LABEL_LINE_HEIGHT, **kwargs)


def _band_scale(lines: int):
    """More space between bars whose band was made taller for its label."""
    return alt.Scale(paddingInner=0.3) if lines > 1 else alt.Undefined


def _band_step(lines: int, bars: int = 1) -> alt.Step:
    """Room per category for its label's lines (and ``bars`` bars side by side)."""
    return alt.Step(max(20 * bars, lines * LABEL_LINE_HEIGHT + 8), **{"for": "position"})


# --- chart builders, one per named query --------------------------------------------

def budget_breakdown(df, title: str = "Budsjett", subtitle: str | None = None):
    """Horizontal bars of ``budget_breakdown``; the unspecified remainder in grey."""
    import polars as pl

    divisor, unit = money_scale(float(df["amount_nok"].max() or 0))
    data, lines = _wrapped(_money_columns(_with_marks(df), "amount_nok", divisor), "label",
                           55)
    data = _said(data, "lest", pl.col("label") + ": " + pl.col("beløp_tekst"))
    y = alt.Y("label_linjer:N", sort=None, title=None, axis=_label_axis(320),
              scale=_band_scale(lines))
    base = alt.Chart(data).encode(
        y=y, tooltip=[alt.Tooltip("label:N", title="Linje"),
                      alt.Tooltip("beløp_tekst:N", title="Beløp"),
                      alt.Tooltip("source_label:N", title="Kilde"),
                      alt.Tooltip("confidence:N", title="Sikkerhet")])
    colour = alt.condition("datum.unspecified", alt.value(GAP_COLOR), alt.value(PALETTE[0]))
    bars = base.mark_bar(strokeWidth=1.5).encode(
        x=alt.X("beløp:Q", title=unit, axis=alt.Axis(format=",.1~f")),
        color=colour, description="lest:N", **_uncertain_bars(colour))
    labels = base.mark_text(align="left", dx=4, aria=False).encode(
        x="beløp:Q", text=alt.Text("label_text:N"))
    data_labels = labels.transform_calculate(label_text="datum['beløp_tekst'] + datum.merke")
    return framed(alt.layer(bars, data_labels).properties(width=420,
                                                          height=_band_step(lines)),
                  df, title, subtitle, chart_text.budget_breakdown(df, title, subtitle))


def budget_comparison(df, title: str = "Endring mellom budsjettår",
                      subtitle: str | None = None):
    """Grouped bars: the same lines in two budget years."""
    import polars as pl

    divisor, unit = money_scale(float(df["amount_nok"].max() or 0))
    data, lines = _wrapped(_money_columns(_with_marks(df), "amount_nok", divisor), "label",
                           55)
    data = _said(data, "lest", pl.col("label") + " " + pl.col("budget_year").cast(pl.String)
                 + ": " + pl.col("beløp_tekst"))
    chart = alt.Chart(data).mark_bar(strokeWidth=1.5).encode(
        y=alt.Y("label_linjer:N", sort=None, title=None, axis=_label_axis(320)),
        yOffset=alt.YOffset("budget_year:O"),
        x=alt.X("beløp:Q", title=unit, axis=alt.Axis(format=",.1~f")),
        color=alt.Color("budget_year:N", title="Budsjettår"),
        description="lest:N",
        tooltip=[alt.Tooltip("label:N", title="Linje"),
                 alt.Tooltip("budget_year:O", title="År"),
                 alt.Tooltip("beløp_tekst:N", title="Beløp"),
                 alt.Tooltip("source_label:N", title="Kilde")],
        **_uncertain_bars(alt.Stroke("budget_year:N", title="Budsjettår")))
    years = max(df["budget_year"].n_unique(), 1)
    return framed(chart.properties(width=420, height=_band_step(lines, years)), df, title,
                  subtitle, chart_text.budget_comparison(df, title, subtitle))


def grant_funnel(df, title: str = "Tilskuddsrunder", subtitle: str | None = None):
    """Funnel per scheme: available → applied for (kroner) and applications → granted."""
    import polars as pl

    d, lines = _wrapped(_with_marks(df).with_columns(
        (pl.col("available_nok") + pl.col("transferred_nok").fill_null(0))
        .alias("tilgjengelig")), "scheme", 36)
    index = ["scheme", "scheme_linjer", "usikker", "source_label"]
    money = d.select(*index, pl.col("tilgjengelig").alias("Tilgjengelig"),
                     pl.col("applied_nok").alias("Søkt om")).unpivot(
        index=index, variable_name="trinn", value_name="kroner").drop_nulls("kroner")
    money = money.with_columns(
        (pl.col("kroner").cast(pl.Float64) / 1e6).alias("mill"),
        pl.col("kroner").map_elements(norsk.nok, return_dtype=pl.String).alias("tekst"))
    money = _said(money, "lest", pl.col("scheme") + ", " + pl.col("trinn").str.to_lowercase()
                  + ": " + pl.col("tekst"))
    counts = d.select(*index, pl.col("applications").alias("Søknader"),
                      pl.col("granted_projects").alias("Innvilget")).unpivot(
        index=index, variable_name="trinn", value_name="antall").drop_nulls("antall")
    counts = _said(counts, "lest", pl.col("scheme") + ", " + pl.col("trinn").str.to_lowercase()
                   + ": " + pl.col("antall").map_elements(norsk.number, return_dtype=pl.String))
    y = alt.Y("scheme_linjer:N", title=None, sort=None, axis=_label_axis(220))
    step = _band_step(lines, 2)
    left_order, right_order = ["Tilgjengelig", "Søkt om"], ["Søknader", "Innvilget"]
    left_scale = alt.Scale(domain=left_order, range=[PALETTE[0], PALETTE[1]])
    # Green and purple: told apart also with a red–green deficiency (not sky blue + green).
    right_scale = alt.Scale(domain=right_order, range=[PALETTE[2], PALETTE[3]])
    left = alt.Chart(money).mark_bar(strokeWidth=1.5).encode(
        y=y, yOffset=alt.YOffset("trinn:N", sort=left_order),
        x=alt.X("mill:Q", title="mill. kr", axis=alt.Axis(format=",.1~f")),
        color=alt.Color("trinn:N", title=None, sort=left_order, scale=left_scale),
        description="lest:N",
        tooltip=[alt.Tooltip("scheme:N", title="Ordning"), alt.Tooltip("trinn:N"),
                 alt.Tooltip("tekst:N", title="Beløp")],
        **_uncertain_bars(alt.Stroke("trinn:N", title=None, sort=left_order, scale=left_scale))
    ).properties(width=260, height=step)
    right = alt.Chart(counts).mark_bar(strokeWidth=1.5).encode(
        y=alt.Y("scheme_linjer:N", sort=None, axis=None),
        yOffset=alt.YOffset("trinn:N", sort=right_order),
        x=alt.X("antall:Q", title="antall", axis=alt.Axis(format=",d")),
        color=alt.Color("trinn:N", title=None, sort=right_order, scale=right_scale),
        description="lest:N",
        tooltip=[alt.Tooltip("scheme:N", title="Ordning"), alt.Tooltip("trinn:N"),
                 alt.Tooltip("antall:Q", format=",d")],
        **_uncertain_bars(alt.Stroke("trinn:N", title=None, sort=right_order, scale=right_scale))
    ).properties(width=200, height=step)
    chart = alt.hconcat(left, right).resolve_scale(color="independent", stroke="independent")
    return framed(chart, df, title, subtitle, chart_text.grant_funnel(df, title, subtitle))


def projects_cumulative(df, title: str = "Prioriterte samarbeidsprosjekter",
                        subtitle: str | None = None):
    """Running total over the project table next to the cumulative the source states."""
    import polars as pl

    d = _with_marks(df).with_row_index("nr", offset=1).with_columns(
        (pl.col("running_total_nok").cast(pl.Float64) / 1e6).alias("løpende"),
        (pl.col("stated_cumulative_nok").cast(pl.Float64) / 1e6).alias("oppgitt"),
        pl.col("amount_nok").map_elements(norsk.nok, return_dtype=pl.String)
        .alias("beløp_tekst"),
        pl.col("running_total_nok").map_elements(norsk.nok, return_dtype=pl.String)
        .alias("løpende_tekst"),
        pl.col("helsefellesskap").fill_null("Ikke oppgitt"))
    d = _said(d, "lest", "Prosjekt " + pl.col("nr").cast(pl.String) + ", "
              + pl.col("project") + " (" + pl.col("helsefellesskap") + "): "
              + pl.col("beløp_tekst") + ", løpende sum " + pl.col("løpende_tekst"))
    base = alt.Chart(d).encode(x=alt.X("nr:O", title="Prosjekt (rekkefølge i tabellen)"))
    line = base.mark_line(interpolate="step-after", aria=False).encode(
        y=alt.Y("løpende:Q", title="mill. kr (akkumulert)", axis=alt.Axis(format=",.1~f")))
    stated = base.mark_line(strokeDash=[4, 3], color=MUTED, aria=False).encode(y="oppgitt:Q")
    points = _points(
        base, d, y="løpende:Q", color=alt.Color("helsefellesskap:N", title="Helsefellesskap"),
        description="lest:N",
        tooltip=[alt.Tooltip("project:N", title="Prosjekt"),
                 alt.Tooltip("helsefellesskap:N"),
                 alt.Tooltip("beløp_tekst:N", title="Beløp"),
                 alt.Tooltip("løpende_tekst:N", title="Løpende sum"),
                 alt.Tooltip("priority:O", title="Prioritet")])
    sub = subtitle or ("Heltrukket: løpende sum av beløpene. Stiplet: akkumulert sum slik "
                       "kilden oppgir den.")
    return framed(alt.layer(line, stated, *points).properties(width=520), df, title, sub,
                  chart_text.projects_cumulative(df, title, sub))


def growth(df, value: str = "recipients", title: str = "Mottakere av velferdsteknologi",
           subtitle: str | None = None):
    """Line over years with the average annual growth rate annotated."""
    import polars as pl

    d = _with_marks(df).with_columns(
        pl.col(value).map_elements(norsk.number, return_dtype=pl.String).alias("tekst"))
    d = _said(d.with_columns((pl.col("tekst") + pl.col("merke")).alias("tekst_merke")),
              "lest", pl.col("year").cast(pl.String) + ": " + pl.col("tekst"))
    rate = df["annual_growth_rate_since_first"].drop_nulls()
    note = None
    if len(rate):
        first, last = df["year"].min(), df["year"].max()
        note = (f"Gjennomsnittlig årlig vekst {first}–{last}: "
                f"{norsk.percent(rate[-1], 1)}")
    base = alt.Chart(d).encode(x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)))
    line = base.mark_line(aria=False).encode(
        y=alt.Y(f"{value}:Q", title="antall", axis=alt.Axis(format=",d"),
                scale=alt.Scale(zero=True)))
    points = _points(
        base, d, y=f"{value}:Q", description="lest:N",
        tooltip=[alt.Tooltip("year:O", title="År"), alt.Tooltip("tekst:N", title="Antall"),
                 alt.Tooltip("source_label:N", title="Kilde")])
    labels = base.mark_text(dy=-12, aria=False).encode(y=f"{value}:Q", text="tekst_merke:N")
    sub = subtitle or note
    return framed(alt.layer(line, *points, labels).properties(width=420), df, title, sub,
                  chart_text.growth(df, title, value, sub))


def survey_scores(df, title: str = "Opplevde gevinster", subtitle: str | None = None):
    """Grouped bars on the survey's fixed scale (1–5 unless the data says otherwise)."""
    import polars as pl

    lo = int(df["scale_min"].min() or 1) if "scale_min" in df.columns else 1
    hi = int(df["scale_max"].max() or 5) if "scale_max" in df.columns else 5
    d, _ = _wrapped(_with_marks(df).with_columns(
        pl.col("value").map_elements(lambda v: norsk.number(v, 2), return_dtype=pl.String)
        .alias("tekst")), "question", 24)
    d = _said(d, "lest", pl.col("question") + " (" + pl.col("group_name") + "): "
              + pl.col("tekst"))
    # Bars start at the bottom of the scale (1), not at 0, which is not on it.
    chart = alt.Chart(d).mark_bar(clip=True, strokeWidth=1.5).encode(
        x=alt.X("question_linjer:N", title=None,
                axis=_label_axis(160, labelAngle=0, labelBaseline="top")),
        xOffset=alt.XOffset("group_name:N"),
        y=alt.Y("value:Q", title=f"gjennomsnitt ({lo}–{hi})",
                scale=alt.Scale(domain=[lo, hi], zero=False),
                axis=alt.Axis(values=list(range(lo, hi + 1)), format="d")),
        y2=alt.datum(lo),
        color=alt.Color("group_name:N", title=None),
        description="lest:N",
        tooltip=[alt.Tooltip("group_name:N", title="Gruppe"),
                 alt.Tooltip("question:N", title="Dimensjon"),
                 alt.Tooltip("tekst:N", title="Snitt"), alt.Tooltip("n:Q", title="n")],
        **_uncertain_bars(alt.Stroke("group_name:N", title=None)))
    n = df["n"].drop_nulls()
    sub = subtitle or (f"Skala {lo}–{hi}" + (f", n = {norsk.number(n[0])}" if len(n) else ""))
    return framed(chart.properties(width=420), df, title, sub,
                  chart_text.survey_scores(df, title, sub))


def counts(df, label: str = "group_name", title: str = "Antall",
           subtitle: str | None = None, unit: str = "antall"):
    """Horizontal bars of counts (e.g. kommuner per procurement collaboration), largest
    first."""
    import polars as pl

    d = _with_marks(df).with_columns(
        pl.col("value").map_elements(norsk.number, return_dtype=pl.String).alias("tekst"))
    # The text is computed here, not by a Vega transform: layers on the same data keep
    # their sort by value (Vega-Lite drops a sum-sort of domains from different data).
    d, lines = _wrapped(d.with_columns((pl.col("tekst") + pl.col("merke")).alias(
        "tekst_merke")), label, 45)
    d = _said(d, "lest", pl.col(label).cast(pl.String) + ": " + pl.col("tekst") + f" {unit}")
    base = alt.Chart(d).encode(
        y=alt.Y(f"{label}_linjer:N", sort="-x", title=None, axis=_label_axis(260),
                scale=_band_scale(lines)))
    bars = base.mark_bar(strokeWidth=1.5).encode(
        x=alt.X("value:Q", title=unit, axis=alt.Axis(format=",d")), description="lest:N",
        tooltip=[alt.Tooltip(f"{label}:N", title="Gruppe"),
                 alt.Tooltip("tekst:N", title="Antall"),
                 alt.Tooltip("source_label:N", title="Kilde")],
        **_uncertain_bars(alt.value(PALETTE[0])))
    text = base.mark_text(align="left", dx=4, aria=False).encode(
        x="value:Q", text=alt.Text("tekst_merke:N"))
    return framed(alt.layer(bars, text).properties(width=420, height=_band_step(lines)),
                  df, title, subtitle,
                  chart_text.counts(df, title, label, subtitle, unit))


def amounts_over_time(df, group: str = "group_name", title: str = "Beløp over tid",
                      subtitle: str | None = None):
    """Points and lines of amounts (unit 'nok') by year, one colour per group.

    A projection often gives one starting value for all (group «Alle», earlier than every
    other group's years) and a value per scenario later: each scenario's line is then
    drawn from that common starting point.
    """
    import polars as pl

    divisor, unit = money_scale(float(df["value"].max() or 0))
    data = _money_columns(_with_marks(df), "value", divisor)
    data = _said(data, "lest", pl.col(group) + ", " + pl.col("year").cast(pl.String) + ": "
                 + pl.col("beløp_tekst"))
    common = data.filter(pl.col(group) == "Alle")
    others = data.filter(pl.col(group) != "Alle")
    lines = data
    if common.height and others.height and common["year"].max() < others["year"].min():
        lines = pl.concat([others] + [common.with_columns(pl.lit(g).alias(group))
                                      for g in others[group].unique(maintain_order=True)])
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("beløp:Q", title=unit, axis=alt.Axis(format=",.1~f"))
    color = alt.Color(f"{group}:N", title=None)
    line = alt.Chart(lines).mark_line(aria=False).encode(x=x, y=y, color=color)
    points = _points(
        alt.Chart(data), data, x=x, y=y, color=color, description="lest:N",
        tooltip=[alt.Tooltip(f"{group}:N", title="Scenario"), alt.Tooltip("year:O", title="År"),
                 alt.Tooltip("beløp_tekst:N", title="Beløp")])
    return framed(alt.layer(line, *points).properties(width=420), df, title, subtitle,
                  chart_text.amounts_over_time(df, title, group, subtitle))
