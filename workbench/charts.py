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
FONT = "Arial, Helvetica, Liberation Sans, sans-serif"  # first must exist for vl-convert
# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
INK = "#1f2933"
MUTED = "#52606d"


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


# --- provenance under every chart ---------------------------------------------------

UNCERTAIN_MARK = "*"
UNCERTAIN_NOTE = ("* Usikker avlesning (middels eller lav sikkerhet i kilden, f.eks. OCR); "
                  "se merknaden i dataene.")
GAP_COLOR = "#9aa5b1"


def source_line(df) -> str:
    """«Kilde: …» from the ``source_label`` of the rows shown (in order of appearance)."""
    labels: list[str] = []
    for cell in df["source_label"].to_list():
        for label in (cell or "").split("; "):
            if label and label not in labels:
                labels.append(label)
    return "Kilde: " + "; ".join(labels) if labels else "Kilde: ikke oppgitt"


def uncertain(df) -> bool:
    return "confidence" in df.columns and any(c != "high" for c in df["confidence"])


def _with_marks(df):
    """Adds ``usikker`` (bool) and ``merke`` ('*' or '') for uncertain rows."""
    import polars as pl

    flag = (pl.col("confidence") != "high") if "confidence" in df.columns else pl.lit(False)
    return df.with_columns(flag.alias("usikker"),
                           pl.when(flag).then(pl.lit(UNCERTAIN_MARK)).otherwise(pl.lit(""))
                           .alias("merke"))


def framed(chart, df, title: str, subtitle: str | None = None):
    """Title and subtitle on top; source line (and uncertainty note) underneath."""
    foot = [source_line(df)]
    if uncertain(df):
        foot.append(UNCERTAIN_NOTE)
    inner = chart.properties(title=alt.TitleParams(title, subtitle=subtitle or []))
    return alt.vconcat(inner).properties(
        title=alt.TitleParams(foot, orient="bottom", anchor="start", fontSize=11,
                              fontWeight="normal", color=MUTED, offset=12))


def money_scale(max_amount: float) -> tuple[float, str]:
    """Divisor and axis unit for amounts: milliards or millions of kroner."""
    return (1e9, "mrd. kr") if max_amount >= 5e9 else (1e6, "mill. kr")


def _money_columns(df, column: str, divisor: float):
    import polars as pl

    return df.with_columns(
        (pl.col(column).cast(pl.Float64) / divisor).alias("beløp"),
        pl.col(column).map_elements(norsk.nok, return_dtype=pl.String).alias("beløp_tekst"))


def _opacity():
    return alt.condition("datum.usikker", alt.value(0.55), alt.value(1.0))


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
    divisor, unit = money_scale(float(df["amount_nok"].max() or 0))
    data, lines = _wrapped(_money_columns(_with_marks(df), "amount_nok", divisor), "label",
                           55)
    y = alt.Y("label_linjer:N", sort=None, title=None, axis=_label_axis(320),
              scale=_band_scale(lines))
    base = alt.Chart(data).encode(
        y=y, tooltip=[alt.Tooltip("label:N", title="Linje"),
                      alt.Tooltip("beløp_tekst:N", title="Beløp"),
                      alt.Tooltip("source_label:N", title="Kilde"),
                      alt.Tooltip("confidence:N", title="Sikkerhet")])
    bars = base.mark_bar().encode(
        x=alt.X("beløp:Q", title=unit, axis=alt.Axis(format=",.1~f")),
        color=alt.condition("datum.unspecified", alt.value(GAP_COLOR),
                            alt.value(PALETTE[0])),
        opacity=_opacity())
    labels = base.mark_text(align="left", dx=4).encode(
        x="beløp:Q", text=alt.Text("label_text:N"))
    data_labels = labels.transform_calculate(label_text="datum['beløp_tekst'] + datum.merke")
    return framed(alt.layer(bars, data_labels).properties(width=420,
                                                          height=_band_step(lines)),
                  df, title, subtitle)


def budget_comparison(df, title: str = "Endring mellom budsjettår",
                      subtitle: str | None = None):
    """Grouped bars: the same lines in two budget years."""
    divisor, unit = money_scale(float(df["amount_nok"].max() or 0))
    data, lines = _wrapped(_money_columns(_with_marks(df), "amount_nok", divisor), "label",
                           55)
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label_linjer:N", sort=None, title=None, axis=_label_axis(320)),
        yOffset=alt.YOffset("budget_year:O"),
        x=alt.X("beløp:Q", title=unit, axis=alt.Axis(format=",.1~f")),
        color=alt.Color("budget_year:O", title="Budsjettår"),
        opacity=_opacity(),
        tooltip=[alt.Tooltip("label:N", title="Linje"),
                 alt.Tooltip("budget_year:O", title="År"),
                 alt.Tooltip("beløp_tekst:N", title="Beløp"),
                 alt.Tooltip("source_label:N", title="Kilde")])
    years = max(df["budget_year"].n_unique(), 1)
    return framed(chart.properties(width=420, height=_band_step(lines, years)), df, title,
                  subtitle)


def grant_funnel(df, title: str = "Tilskuddsrunder", subtitle: str | None = None):
    """Funnel per scheme: available → applied for (kroner) and applications → granted."""
    import polars as pl

    d, lines = _wrapped(_with_marks(df).with_columns(
        (pl.col("available_nok") + pl.col("transferred_nok").fill_null(0))
        .alias("tilgjengelig")), "scheme", 36)
    money = d.select("scheme", "scheme_linjer", "usikker", "source_label",
                     pl.col("tilgjengelig").alias("Tilgjengelig"),
                     pl.col("applied_nok").alias("Søkt om")).unpivot(
        index=["scheme", "scheme_linjer", "usikker", "source_label"], variable_name="trinn",
        value_name="kroner").drop_nulls("kroner")
    money = money.with_columns(
        (pl.col("kroner").cast(pl.Float64) / 1e6).alias("mill"),
        pl.col("kroner").map_elements(norsk.nok, return_dtype=pl.String).alias("tekst"))
    counts = d.select("scheme", "scheme_linjer", "usikker", "source_label",
                      pl.col("applications").alias("Søknader"),
                      pl.col("granted_projects").alias("Innvilget")).unpivot(
        index=["scheme", "scheme_linjer", "usikker", "source_label"], variable_name="trinn",
        value_name="antall").drop_nulls("antall")
    y = alt.Y("scheme_linjer:N", title=None, sort=None, axis=_label_axis(220))
    step = _band_step(lines, 2)
    left = alt.Chart(money).mark_bar().encode(
        y=y, yOffset=alt.YOffset("trinn:N", sort=["Tilgjengelig", "Søkt om"]),
        x=alt.X("mill:Q", title="mill. kr", axis=alt.Axis(format=",.1~f")),
        color=alt.Color("trinn:N", title=None, sort=["Tilgjengelig", "Søkt om"],
                        scale=alt.Scale(range=[PALETTE[0], PALETTE[1]])),
        opacity=_opacity(),
        tooltip=[alt.Tooltip("scheme:N", title="Ordning"), alt.Tooltip("trinn:N"),
                 alt.Tooltip("tekst:N", title="Beløp")]).properties(width=260, height=step)
    right = alt.Chart(counts).mark_bar().encode(
        y=alt.Y("scheme_linjer:N", sort=None, axis=None),
        yOffset=alt.YOffset("trinn:N", sort=["Søknader", "Innvilget"]),
        x=alt.X("antall:Q", title="antall", axis=alt.Axis(format=",d")),
        color=alt.Color("trinn:N", title=None, sort=["Søknader", "Innvilget"],
                        scale=alt.Scale(range=[PALETTE[4], PALETTE[2]])),
        opacity=_opacity(),
        tooltip=[alt.Tooltip("scheme:N", title="Ordning"), alt.Tooltip("trinn:N"),
                 alt.Tooltip("antall:Q", format=",d")]).properties(width=200, height=step)
    chart = alt.hconcat(left, right).resolve_scale(color="independent")
    return framed(chart, df, title, subtitle)


def projects_cumulative(df, title: str = "Prioriterte samarbeidsprosjekter",
                        subtitle: str | None = None):
    """Running total over the project table next to the cumulative the source states."""
    import polars as pl

    d = _with_marks(df).with_row_index("nr", offset=1).with_columns(
        (pl.col("running_total_nok").cast(pl.Float64) / 1e6).alias("løpende"),
        (pl.col("stated_cumulative_nok").cast(pl.Float64) / 1e6).alias("oppgitt"),
        pl.col("amount_nok").map_elements(norsk.nok, return_dtype=pl.String)
        .alias("beløp_tekst"),
        pl.col("helsefellesskap").fill_null("Ikke oppgitt"))
    base = alt.Chart(d).encode(x=alt.X("nr:O", title="Prosjekt (rekkefølge i tabellen)"))
    line = base.mark_line(interpolate="step-after").encode(
        y=alt.Y("løpende:Q", title="mill. kr (akkumulert)", axis=alt.Axis(format=",.1~f")))
    stated = base.mark_line(strokeDash=[4, 3], color=MUTED).encode(y="oppgitt:Q")
    points = base.mark_point().encode(
        y="løpende:Q", color=alt.Color("helsefellesskap:N", title="Helsefellesskap"),
        opacity=_opacity(),
        tooltip=[alt.Tooltip("project:N", title="Prosjekt"),
                 alt.Tooltip("helsefellesskap:N"),
                 alt.Tooltip("beløp_tekst:N", title="Beløp"),
                 alt.Tooltip("priority:O", title="Prioritet")])
    sub = subtitle or ("Heltrukket: løpende sum av beløpene. Stiplet: akkumulert sum slik "
                       "kilden oppgir den.")
    return framed(alt.layer(line, stated, points).properties(width=520), df, title, sub)


def growth(df, value: str = "recipients", title: str = "Mottakere av velferdsteknologi",
           subtitle: str | None = None):
    """Line over years with the average annual growth rate annotated."""
    import polars as pl

    d = _with_marks(df).with_columns(
        pl.col(value).map_elements(norsk.number, return_dtype=pl.String).alias("tekst"))
    rate = df["annual_growth_rate_since_first"].drop_nulls()
    note = None
    if len(rate):
        first, last = df["year"].min(), df["year"].max()
        note = (f"Gjennomsnittlig årlig vekst {first}–{last}: "
                f"{norsk.percent(rate[-1], 1)}")
    base = alt.Chart(d).encode(x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)))
    line = base.mark_line().encode(
        y=alt.Y(f"{value}:Q", title="antall", axis=alt.Axis(format=",d"),
                scale=alt.Scale(zero=True)))
    points = base.mark_point().encode(
        y=f"{value}:Q", opacity=_opacity(),
        tooltip=[alt.Tooltip("year:O", title="År"), alt.Tooltip("tekst:N", title="Antall"),
                 alt.Tooltip("source_label:N", title="Kilde")])
    labels = base.mark_text(dy=-12).encode(y=f"{value}:Q", text="tekst:N")
    return framed(alt.layer(line, points, labels).properties(width=420), df, title,
                  subtitle or note)


def survey_scores(df, title: str = "Opplevde gevinster", subtitle: str | None = None):
    """Grouped bars on the survey's fixed scale (1–5 unless the data says otherwise)."""
    import polars as pl

    lo = int(df["scale_min"].min() or 1) if "scale_min" in df.columns else 1
    hi = int(df["scale_max"].max() or 5) if "scale_max" in df.columns else 5
    d, _ = _wrapped(_with_marks(df).with_columns(
        pl.col("value").map_elements(lambda v: norsk.number(v, 2), return_dtype=pl.String)
        .alias("tekst")), "question", 24)
    # Bars start at the bottom of the scale (1), not at 0, which is not on it.
    chart = alt.Chart(d).mark_bar(clip=True).encode(
        x=alt.X("question_linjer:N", title=None,
                axis=_label_axis(160, labelAngle=0, labelBaseline="top")),
        xOffset=alt.XOffset("group_name:N"),
        y=alt.Y("value:Q", title=f"gjennomsnitt ({lo}–{hi})",
                scale=alt.Scale(domain=[lo, hi], zero=False),
                axis=alt.Axis(values=list(range(lo, hi + 1)), format="d")),
        y2=alt.datum(lo),
        color=alt.Color("group_name:N", title=None),
        opacity=_opacity(),
        tooltip=[alt.Tooltip("group_name:N", title="Gruppe"),
                 alt.Tooltip("question:N", title="Dimensjon"),
                 alt.Tooltip("tekst:N", title="Snitt"), alt.Tooltip("n:Q", title="n")])
    n = df["n"].drop_nulls()
    sub = subtitle or (f"Skala {lo}–{hi}" + (f", n = {norsk.number(n[0])}" if len(n) else ""))
    return framed(chart.properties(width=420), df, title, sub)


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
    base = alt.Chart(d).encode(
        y=alt.Y(f"{label}_linjer:N", sort="-x", title=None, axis=_label_axis(260),
                scale=_band_scale(lines)))
    bars = base.mark_bar().encode(
        x=alt.X("value:Q", title=unit, axis=alt.Axis(format=",d")), opacity=_opacity(),
        tooltip=[alt.Tooltip(f"{label}:N", title="Gruppe"),
                 alt.Tooltip("tekst:N", title="Antall"),
                 alt.Tooltip("source_label:N", title="Kilde")])
    text = base.mark_text(align="left", dx=4).encode(
        x="value:Q", text=alt.Text("tekst_merke:N"))
    return framed(alt.layer(bars, text).properties(width=420, height=_band_step(lines)),
                  df, title, subtitle)


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
    common = data.filter(pl.col(group) == "Alle")
    others = data.filter(pl.col(group) != "Alle")
    lines = data
    if common.height and others.height and common["year"].max() < others["year"].min():
        lines = pl.concat([others] + [common.with_columns(pl.lit(g).alias(group))
                                      for g in others[group].unique(maintain_order=True)])
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("beløp:Q", title=unit, axis=alt.Axis(format=",.1~f"))
    color = alt.Color(f"{group}:N", title=None)
    line = alt.Chart(lines).mark_line().encode(x=x, y=y, color=color)
    points = alt.Chart(data).mark_point().encode(
        x=x, y=y, color=color, opacity=_opacity(),
        tooltip=[alt.Tooltip(f"{group}:N", title="Scenario"), alt.Tooltip("year:O", title="År"),
                 alt.Tooltip("beløp_tekst:N", title="Beløp")])
    return framed(alt.layer(line, points).properties(width=420), df, title, subtitle)
