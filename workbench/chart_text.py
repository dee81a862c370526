"""Charts people can perceive without seeing them: name, description and table.

Every chart builder in :mod:`workbench.charts` calls one function here with the same
frame it draws, and gets a :class:`ChartText`:

- ``title``: the accessible name (the chart's title);
- ``description``: a Norwegian text made from the data, e.g. «Stolpediagram,
  Helseteknologiordningen 2026, 6 poster. Størst: …, 72,6 mill. kr. …». Numbers are
  formatted by :mod:`workbench.norsk` exactly as the chart's own labels and tooltips;
  uncertain values are marked «(usikker)» and counted in words;
- ``table``: the «Vis som tabell» alternative: one row per row of the frame (the rows of
  the chart and of its «Last ned data»), with caption, column headers, Norwegian numbers
  and «*» for uncertain readings explained in a note.

:func:`attach` stores it in the Vega-Lite spec (top-level ``description`` and
``usermeta["workbench"]``), where the dashboard widget (:mod:`workbench.embed.vega`), the
static SVG (:func:`label_svg`, used by :func:`workbench.charts.to_svg`) and the report
export read it back with :func:`from_spec`. The table's HTML comes from :func:`table_html`
for both dashboards and reports (styles in ``chart_text.css``).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import norsk

USERMETA_KEY = "workbench"
CSS_FILE = Path(__file__).with_name("chart_text.css")

UNCERTAIN_MARK = "*"
UNCERTAIN_WORD = "usikker"
#: What an uncertain reading is, in words (footnotes, table notes, descriptions).
UNCERTAIN_WHY = "middels eller lav sikkerhet i kilden, f.eks. OCR"
#: How a chart shows an uncertain value: never by colour alone. Bars get a dashed
#: outline, points are drawn open; value labels carry «*».
STAR, DASHED, OPEN = UNCERTAIN_MARK, "stiplet kant", "åpent punkt"
LABELLED_BARS, BARS, POINTS, LABELLED_POINTS = [STAR, DASHED], [DASHED], [OPEN], [STAR, OPEN]


# --- what a chart carries ---------------------------------------------------------------

@dataclass
class Column:
    label: str
    numeric: bool = False


@dataclass
class Table:
    """The rows of a chart as text. The first column names the row (``<th scope=row>``)."""

    caption: str
    columns: list[Column]
    rows: list[list[str]]
    uncertain: list[bool] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Table:
        return cls(caption=d["caption"], columns=[Column(**c) for c in d["columns"]],
                   rows=[list(r) for r in d["rows"]], uncertain=list(d.get("uncertain", [])),
                   notes=list(d.get("notes", [])))


@dataclass
class ChartText:
    title: str
    description: str
    table: Table
    #: How the chart marks uncertain values (for its footnote), e.g. ``["*", "stiplet kant"]``.
    cues: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "description": self.description,
                "table": self.table.to_dict(), "cues": list(self.cues)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChartText:
        return cls(d["title"], d["description"], Table.from_dict(d["table"]),
                   list(d.get("cues", [])))


def attach(chart, text: ChartText):
    """``chart`` with ``text`` as its top-level ``description`` and ``usermeta``."""
    return chart.properties(description=text.description,
                            usermeta={USERMETA_KEY: text.to_dict()})


def from_spec(spec: dict[str, Any] | None) -> ChartText | None:
    """The :class:`ChartText` a workbench chart's spec carries (None for other charts)."""
    meta = ((spec or {}).get("usermeta") or {}).get(USERMETA_KEY)
    if not isinstance(meta, dict):
        return None
    try:
        return ChartText.from_dict(meta)
    except (KeyError, TypeError):
        return None


# --- provenance and uncertainty in words -----------------------------------------------

def source_labels(df) -> list[str]:
    """The ``source_label``s of the rows shown, each once, in order of appearance."""
    labels: list[str] = []
    if "source_label" not in df.columns:
        return labels
    for cell in df["source_label"].to_list():
        for label in (cell or "").split("; "):
            if label and label not in labels:
                labels.append(label)
    return labels


def source_line(df) -> str:
    """«Kilde: …» from the ``source_label`` of the rows shown (in order of appearance)."""
    labels = source_labels(df)
    return "Kilde: " + "; ".join(labels) if labels else "Kilde: ikke oppgitt"


def is_uncertain(row: dict[str, Any]) -> bool:
    return row.get("confidence", "high") not in (None, "high")


def uncertain_note(cues: list[str] | None = None) -> str:
    """The footnote under a chart (or a table) with uncertain readings: what marks them
    (``cues``, default «*») and what that means."""
    cues = list(cues or [STAR])
    if cues == [STAR]:
        return f"{STAR} Usikker avlesning ({UNCERTAIN_WHY}); se merknaden i dataene."
    what = " og ".join(cues)
    return (f"{what[:1].upper()}{what[1:]}: usikker avlesning ({UNCERTAIN_WHY}); "
            "se merknaden i dataene.")


def _star(row) -> str:
    return f" ({UNCERTAIN_WORD})" if is_uncertain(row) else ""


def _uncertain_sentence(rows: list[dict], what: str, cues: list[str]) -> str:
    k = sum(1 for r in rows if is_uncertain(r))
    if k == 0:
        return ""
    share = "alle" if k == len(rows) else f"{norsk.number(k)} av {norsk.number(len(rows))}"
    return (f"Usikre avlesninger ({UNCERTAIN_WHY}; i grafen merket med "
            f"{' og '.join(cues)}): {share} {what}.")


def _count(n: int, one: str, many: str) -> str:
    return f"{norsk.number(n)} {one if n == 1 else many}"


def _sentence(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _extremes(rows, key, fmt, name, more="Størst", less="Minst") -> str:
    rows = [r for r in rows if r.get(key) is not None]
    if not rows:
        return "Ingen verdier."
    hi = max(rows, key=lambda r: r[key])
    lo = min(rows, key=lambda r: r[key])
    if len(rows) == 1:
        return f"{name(hi)}: {fmt(hi[key])}{_star(hi)}."
    return (f"{more}: {name(hi)}, {fmt(hi[key])}{_star(hi)}. "
            f"{less}: {name(lo)}, {fmt(lo[key])}{_star(lo)}.")


def _caption(title: str, subtitle: str | None) -> str:
    return f"{title}. {subtitle}" if subtitle else title


def _notes(df, *, per_row_source: bool) -> list[str]:
    notes = [] if per_row_source else [source_line(df) + "."]
    if any(is_uncertain(r) for r in df.iter_rows(named=True)):
        notes.append(uncertain_note([STAR]))
    return notes


def _source_column(df) -> bool:
    """A «Kilde» column only when the rows come from more than one source."""
    return len(source_labels(df)) > 1


def _table(title, subtitle, df, columns: list[tuple[str, bool, Any]]) -> Table:
    """``columns``: (header, numeric, cell function of a row)."""
    per_row = _source_column(df)
    if per_row:
        columns = [*columns, ("Kilde", False, lambda r: r.get("source_label") or "")]
    rows = list(df.iter_rows(named=True))
    return Table(caption=_caption(title, subtitle),
                 columns=[Column(h, num) for h, num, _ in columns],
                 rows=[[f(r) for _, _, f in columns] for r in rows],
                 uncertain=[is_uncertain(r) for r in rows],
                 notes=_notes(df, per_row_source=per_row))


# --- one function per chart builder ------------------------------------------------------

def budget_breakdown(df, title: str, subtitle: str | None = None) -> ChartText:
    rows = list(df.iter_rows(named=True))
    specified = [r for r in rows if not r.get("unspecified")]
    gap = [r for r in rows if r.get("unspecified")]
    text = [f"Stolpediagram, {title}, {_count(len(rows), 'post', 'poster')}.",
            _extremes(specified, "amount_nok", norsk.nok, lambda r: r["label"])]
    for g in gap:
        text.append(f"Grå stolpe «{g['label']}»: del av oppgitt sum som kilden ikke "
                    f"fordeler, {norsk.nok(g['amount_nok'])}{_star(g)}.")
    if rows:
        text.append(f"Sum: {norsk.nok(int(df['amount_nok'].sum()))}.")
    text += [_uncertain_sentence(rows, "verdier", LABELLED_BARS), source_line(df) + "."]
    table = _table(title, subtitle, df, [
        ("Linje", False, lambda r: r["label"]),
        ("Beløp", True, lambda r: norsk.nok(r["amount_nok"]))])
    return ChartText(title, _sentence(*text), table, LABELLED_BARS)


def budget_comparison(df, title: str, subtitle: str | None = None) -> ChartText:
    rows = list(df.iter_rows(named=True))
    years = sorted(set(df["budget_year"].to_list()))
    lines = df["label"].unique(maintain_order=True).to_list()
    text = [f"Gruppert stolpediagram, {title}: {_count(len(lines), 'linje', 'linjer')} i "
            f"{' og '.join(map(str, years))}."]
    if rows:
        hi = max(rows, key=lambda r: r["amount_nok"])
        text.append(f"Størst beløp: {hi['label']} {hi['budget_year']}, "
                    f"{norsk.nok(hi['amount_nok'])}{_star(hi)}.")
        first = {r["label"]: r for r in rows if r["budget_year"] == years[0]}
        last = [r for r in rows if r["budget_year"] == years[-1] and r["label"] in first]
        up = max(last, key=lambda r: r["change_nok"] or 0, default=None)
        down = min(last, key=lambda r: r["change_nok"] or 0, default=None)
        if up and (up["change_nok"] or 0) > 0:
            text.append(f"Størst økning: {up['label']}, fra "
                        f"{norsk.nok(first[up['label']]['amount_nok'])} til "
                        f"{norsk.nok(up['amount_nok'])}.")
        if down and (down["change_nok"] or 0) < 0:
            text.append(f"Størst nedgang: {down['label']}, fra "
                        f"{norsk.nok(first[down['label']]['amount_nok'])} til "
                        f"{norsk.nok(down['amount_nok'])}.")
    text += [_uncertain_sentence(rows, "verdier", BARS), source_line(df) + "."]
    table = _table(title, subtitle, df, [
        ("Linje", False, lambda r: r["label"]),
        ("Budsjettår", False, lambda r: str(r["budget_year"])),
        ("Beløp", True, lambda r: norsk.nok(r["amount_nok"]))])
    return ChartText(title, _sentence(*text), table, BARS)


def _available(r) -> int | None:
    if r.get("available_nok") is None:
        return None
    return r["available_nok"] + (r.get("transferred_nok") or 0)


def grant_funnel(df, title: str, subtitle: str | None = None) -> ChartText:
    rows = list(df.iter_rows(named=True))
    text = [f"Stolpediagram i to deler, {title}, "
            f"{_count(len(rows), 'ordning', 'ordninger')}."]
    money = [(r, "søkt", r["applied_nok"]) for r in rows if r.get("applied_nok") is not None]
    money += [(r, "tilgjengelig", _available(r)) for r in rows if _available(r) is not None]
    if money:
        r, what, amount = max(money, key=lambda m: m[2])
        other = (f" mot {norsk.nok(_available(r))} tilgjengelig"
                 if what == "søkt" and _available(r) is not None else "")
        text.append(f"Beløp: størst {what} beløp hadde {r['scheme']}, {norsk.nok(amount)}"
                    f"{other}{_star(r)}.")
    apps = [r for r in rows if r.get("applications") is not None]
    if apps:
        hi = max(apps, key=lambda r: r["applications"])
        granted = hi.get("granted_projects")
        text.append(f"Antall: flest søknader hadde {hi['scheme']}, "
                    f"{_count(hi['applications'], 'søknad', 'søknader')}"
                    + (f", {norsk.number(granted)} innvilget" if granted is not None else "")
                    + f"{_star(hi)}. Til sammen "
                    f"{_count(int(sum(r['applications'] for r in apps)), 'søknad', 'søknader')}.")
    missing = [r for r in rows if r.get("applied_nok") is None]
    if missing:
        text.append(f"Søkt beløp er ikke oppgitt for "
                    f"{_count(len(missing), 'ordning', 'ordninger')}.")
    text += [_uncertain_sentence(rows, "ordninger", BARS), source_line(df) + "."]
    table = _table(title, subtitle, df, [
        ("Ordning", False, lambda r: r["scheme"]),
        ("Tilgjengelig", True, lambda r: norsk.nok(_available(r))),
        ("Søkt om", True, lambda r: norsk.nok(r.get("applied_nok"))),
        ("Søknader", True, lambda r: norsk.number(r.get("applications"))),
        ("Innvilget", True, lambda r: norsk.number(r.get("granted_projects")))])
    return ChartText(title, _sentence(*text), table, BARS)


def projects_cumulative(df, title: str, subtitle: str | None = None) -> ChartText:
    rows = list(df.iter_rows(named=True))
    if not rows:
        text = [f"Linjediagram, {title}: ingen prosjekter."]
    else:
        stated = [r["stated_cumulative_nok"] for r in rows
                  if r.get("stated_cumulative_nok") is not None]
        big = max(rows, key=lambda r: r["amount_nok"] or 0)
        text = [f"Linjediagram, {title}, {_count(len(rows), 'prosjekt', 'prosjekter')} i "
                f"tabellens rekkefølge.",
                f"Løpende sum etter siste prosjekt: "
                f"{norsk.nok(max(r['running_total_nok'] for r in rows))}."]
        if stated:
            text.append(f"Kilden oppgir akkumulert {norsk.nok(stated[-1])}.")
        text.append(f"Største prosjekt: {big['project']} "
                    f"({big.get('helsefellesskap') or 'ikke oppgitt'}), "
                    f"{norsk.nok(big['amount_nok'])}{_star(big)}.")
        text += [_uncertain_sentence(rows, "prosjekter", POINTS)]
    text.append(source_line(df) + ".")
    numbered = df.with_row_index("nr", offset=1)
    table = _table(title, subtitle, numbered, [
        ("Prosjekt", False, lambda r: f"{r['nr']}. {r['project']}"),
        ("Helsefellesskap", False, lambda r: r.get("helsefellesskap") or "Ikke oppgitt"),
        ("Beløp", True, lambda r: norsk.nok(r["amount_nok"])),
        ("Løpende sum", True, lambda r: norsk.nok(r["running_total_nok"])),
        ("Akkumulert i kilden", True, lambda r: norsk.nok(r.get("stated_cumulative_nok")))])
    return ChartText(title, _sentence(*text), table, POINTS)


def growth(df, title: str, value: str = "recipients",
           subtitle: str | None = None) -> ChartText:
    rows = sorted(df.iter_rows(named=True), key=lambda r: r["year"])
    if not rows:
        text = [f"Linjediagram, {title}: ingen tall."]
    else:
        first, last = rows[0], rows[-1]
        text = [f"Linjediagram, {title}, {first['year']}–{last['year']}, "
                f"{_count(len(rows), 'år', 'år')} med tall."]
        if len(rows) > 1:
            text.append(f"Fra {norsk.number(first[value])}{_star(first)} i {first['year']} "
                        f"til {norsk.number(last[value])}{_star(last)} i {last['year']}.")
            hi = max(rows, key=lambda r: r[value])
            if hi is not last and hi is not first:
                text.append(f"Høyest: {norsk.number(hi[value])}{_star(hi)} i {hi['year']}.")
        else:
            text.append(f"{norsk.number(first[value])}{_star(first)} i {first['year']}.")
        rate = df["annual_growth_rate_since_first"].drop_nulls() \
            if "annual_growth_rate_since_first" in df.columns else []
        if len(rate):
            text.append(f"Gjennomsnittlig årlig vekst: {norsk.percent(rate[-1], 1)}.")
        text += [_uncertain_sentence(rows, "verdier", LABELLED_POINTS)]
    text.append(source_line(df) + ".")
    table = _table(title, subtitle, df.sort("year"), [
        ("År", False, lambda r: str(r["year"])),
        ("Antall", True, lambda r: norsk.number(r[value]))])
    return ChartText(title, _sentence(*text), table, LABELLED_POINTS)


def survey_scores(df, title: str, subtitle: str | None = None) -> ChartText:
    rows = list(df.iter_rows(named=True))
    lo = int(df["scale_min"].min() or 1) if "scale_min" in df.columns else 1
    hi = int(df["scale_max"].max() or 5) if "scale_max" in df.columns else 5
    n = df["n"].drop_nulls() if "n" in df.columns else []
    questions = df["question"].unique(maintain_order=True).to_list()
    groups = df["group_name"].unique(maintain_order=True).to_list()
    text = [f"Gruppert stolpediagram, {title}, gjennomsnitt på skala {lo}–{hi}"
            + (f", n = {norsk.number(n[0])}" if len(n) else "") + ":",
            f"{_count(len(questions), 'dimensjon', 'dimensjoner')} for "
            f"{_count(len(groups), 'gruppe', 'grupper')} ({', '.join(groups)}).",
            _extremes(rows, "value", lambda v: norsk.number(v, 2),
                      lambda r: f"{r['question']} ({r['group_name']})", "Høyest", "Lavest"),
            _uncertain_sentence(rows, "verdier", BARS), source_line(df) + "."]
    table = _table(title, subtitle, df, [
        ("Dimensjon", False, lambda r: r["question"]),
        ("Gruppe", False, lambda r: r["group_name"]),
        ("Snitt", True, lambda r: norsk.number(r["value"], 2)),
        ("n", True, lambda r: norsk.number(r.get("n")))])
    return ChartText(title, _sentence(*text), table, BARS)


def counts(df, title: str, label: str = "group_name", subtitle: str | None = None,
           unit: str = "antall") -> ChartText:
    rows = sorted(df.iter_rows(named=True), key=lambda r: -(r["value"] or 0))
    text = [f"Stolpediagram, {title}" + (f" ({subtitle})" if subtitle else "") + ", "
            f"{_count(len(rows), 'stolpe', 'stolper')}.",
            _extremes(rows, "value", lambda v: f"{norsk.number(v)} {unit}",
                      lambda r: str(r[label]))]
    if len(rows) > 1:
        text.append(f"Sum: {norsk.number(int(df['value'].sum()))} {unit}.")
    text += [_uncertain_sentence(rows, "verdier", LABELLED_BARS), source_line(df) + "."]
    header = "År" if label == "year" else "Gruppe" if label == "group_name" else "Hva"
    # The chart sorts its bars by value, largest first; the table follows the chart.
    ordered = df.sort("value", descending=True, maintain_order=True)
    table = _table(title, subtitle, ordered, [
        (header, False, lambda r: str(r[label])),
        (unit[:1].upper() + unit[1:], True, lambda r: norsk.number(r["value"]))])
    return ChartText(title, _sentence(*text), table, LABELLED_BARS)


def amounts_over_time(df, title: str, group: str = "group_name",
                      subtitle: str | None = None) -> ChartText:
    rows = sorted(df.iter_rows(named=True), key=lambda r: (r["year"], -(r["value"] or 0)))
    groups = [g for g in df[group].unique(maintain_order=True).to_list() if g != "Alle"]
    years = sorted(set(df["year"].to_list()))
    text = [f"Linjediagram, {title}" + (f" ({subtitle})" if subtitle else "")
            + (f", {years[0]}–{years[-1]}" if years else "")
            + (f", {_count(len(groups), 'scenario', 'scenarioer')}" if groups else "") + "."]
    start = [r for r in rows if r[group] == "Alle"]
    if not groups:  # one series: every value, year by year
        text.append(", ".join(f"{r['year']}: {norsk.nok(r['value'])}{_star(r)}"
                              for r in rows) + "." if rows else "Ingen verdier.")
    elif start:
        text.append(f"Utgangspunkt {start[0]['year']}: {norsk.nok(start[0]['value'])}"
                    f"{_star(start[0])}.")
    for y in years if groups else []:
        at = [r for r in rows if r["year"] == y and r[group] != "Alle"]
        if at:
            text.append(f"{y}: " + ", ".join(f"{r[group]} {norsk.nok(r['value'])}{_star(r)}"
                                             for r in at) + ".")
    text += [_uncertain_sentence(rows, "verdier", POINTS), source_line(df) + "."]
    table = _table(title, subtitle, df, [
        ("Scenario", False, lambda r: str(r[group])),
        ("År", False, lambda r: str(r["year"])),
        ("Beløp", True, lambda r: norsk.nok(r["value"]))])
    return ChartText(title, _sentence(*text), table, POINTS)


# --- markup ------------------------------------------------------------------------------

def _cell(text: str, uncertain: bool) -> str:
    out = html.escape(text)
    if uncertain and text not in ("", "–"):
        out += (f'<span aria-hidden="true">{UNCERTAIN_MARK}</span>'
                f'<span class="wb-vh"> ({UNCERTAIN_WORD})</span>')
    return out


def table_html(table: Table) -> str:
    """``<table>`` with caption, ``<th scope>`` headers, numbers right-aligned and «*»
    (read as «usikker») on the numbers of uncertain rows; notes in ``<tfoot>``."""
    num = ' class="wb-num"'
    head = "".join(f'<th scope="col"{num if c.numeric else ""}>{html.escape(c.label)}</th>'
                   for c in table.columns)
    body = []
    for i, row in enumerate(table.rows):
        uncertain = i < len(table.uncertain) and table.uncertain[i]
        cells = []
        for j, (col, text) in enumerate(zip(table.columns, row, strict=False)):
            content = _cell(text, uncertain and col.numeric)
            if j == 0:
                cells.append(f'<th scope="row">{content}</th>')
            else:
                cells.append(f'<td{num if col.numeric else ""}>{content}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    foot = "".join(f'<tr><td colspan="{len(table.columns)}">{html.escape(n)}</td></tr>'
                   for n in table.notes)
    return (f'<table class="wb-table"><caption>{html.escape(table.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            + (f"<tfoot>{foot}</tfoot>" if foot else "") + "</table>")


def details_html(text: ChartText) -> str:
    """«Vis som tabell» without JavaScript (``<details>``), for notebooks and reports.

    On a narrow screen a wide table scrolls sideways inside its frame (data tables may
    keep their two dimensions, WCAG 1.4.10); the frame is then a named region that can
    be reached and scrolled by keyboard (no script here to tell whether it scrolls)."""
    title = html.escape(text.title)
    return (f'<details class="wb-table-details"><summary>Vis som tabell'
            f'<span class="wb-vh">: {title}</span></summary>'
            f'<div class="wb-table-wrap" role="region" tabindex="0" '
            f'aria-label="Tabell: {title}">{table_html(text.table)}</div></details>')


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def label_svg(svg: str, title: str, description: str = "", ident: str | None = None) -> str:
    """SVG markup named for assistive technology: ``role="img"``, ``<title>`` (the name)
    and ``<desc>`` (the description), referenced by ``aria-labelledby``/``-describedby``.
    ``ident`` (default: from the text) prefixes the two ids."""
    m = _SVG_OPEN.search(svg)
    if not m or not title:
        return svg
    ident = ident or "wb-" + hashlib.sha1((title + description).encode()).hexdigest()[:8]
    tag = re.sub(r'\s(role|aria-label|aria-labelledby|aria-describedby)="[^"]*"', "",
                 m.group(0))
    attrs = f' role="img" aria-labelledby="{ident}-t"'
    inner = f'<title id="{ident}-t">{html.escape(title)}</title>'
    if description:
        attrs += f' aria-describedby="{ident}-d"'
        inner += f'<desc id="{ident}-d">{html.escape(description)}</desc>'
    tag = tag[:4] + attrs + tag[4:]
    return svg[:m.start()] + tag + inner + svg[m.end():]


def css() -> str:
    return CSS_FILE.read_text(encoding="utf-8")
