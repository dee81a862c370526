"""Text alternatives of charts (workbench.chart_text): name, description from the data,
«Vis som tabell», labelled SVG; colours that meet WCAG 2.1 AA. Browser checks of the same
things on the served dashboards and reports are in tests/browser/test_accessibility.py."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from workbench import chart_text, charts, norsk, queries
from workbench.builder import build

from helpers import ROOT, contrast, largest_shown, over


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("t") / "warehouse.duckdb"
    build(ROOT / "data", path)
    return path


def q(db, name, **params):
    return queries.run(name, params, db=db)


# (builder, kind word the description starts with, frame, builder keywords)
BUILDERS = {
    "breakdown": (charts.budget_breakdown, "Stolpediagram,",
                  lambda db: q(db, "budget_breakdown", year=2026, parent="hod-2026"),
                  {"title": "HOD 2026"}),
    "comparison": (charts.budget_comparison, "Gruppert stolpediagram,",
                   lambda db: q(db, "budget_comparison"), {"title": "Samme linjer"}),
    "funnel": (charts.grant_funnel, "Stolpediagram i to deler,",
               lambda db: q(db, "grant_rounds", year=2024), {"title": "Runder 2024"}),
    "cumulative": (charts.projects_cumulative, "Linjediagram,",
                   lambda db: q(db, "grant_projects"), {}),
    "growth": (charts.growth, "Linjediagram,", lambda db: q(db, "vft_growth"), {}),
    "survey": (charts.survey_scores, "Gruppert stolpediagram,",
               lambda db: q(db, "survey_scores"), {}),
    "counts": (charts.counts, "Stolpediagram,",
               lambda db: q(db, "municipal_counts",
                            indicator_id="journalanskaffelse-samarbeid-kommuner"),
               {"title": "Samarbeid", "unit": "kommuner"}),
    "amounts": (charts.amounts_over_time, "Linjediagram,",
                lambda db: q(db, "municipal_counts",
                             indicator_id="ehelse-kostnader-kommuner-framskrevet"),
                {"title": "Kostnader"}),
    # One series only (no scenarios): every value is said, the largest last.
    "amounts-one-series": (charts.amounts_over_time, "Linjediagram,",
                           lambda db: q(db, "municipal_counts",
                                        indicator_id="helse-omsorg-kostnader-kommuner-"
                                                     "framskrevet"),
                           {"title": "Helse og omsorg"}),
}


def built(db, key):
    builder, word, frame, kwargs = BUILDERS[key]
    df = frame(db)
    spec = builder(df, **kwargs).to_dict()
    return df, spec, chart_text.from_spec(spec), word


def spec_rows(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def inner_title(spec: dict) -> str:
    return spec["vconcat"][0]["title"]["text"]


@pytest.mark.parametrize("key", BUILDERS)
def test_every_builder_attaches_name_description_and_table(db, key):
    df, spec, text, word = built(db, key)
    assert text is not None
    assert text.title == inner_title(spec)  # the name is the chart's title
    assert spec["description"] == text.description  # Vega's own aria-label
    assert text.description.startswith(f"{word} {text.title}")
    assert text.description.endswith(charts.source_line(df) + ".")
    assert "Vega" not in text.description and "datum" not in text.description
    table = text.table
    assert len(table.rows) == df.height > 0  # one row per row of the chart's data
    assert all(len(r) == len(table.columns) and r[0] for r in table.rows)
    assert table.caption.startswith(text.title)
    assert any(n.startswith("Kilde: ") for n in table.notes) or \
        table.columns[-1].label == "Kilde"
    assert sum(table.uncertain) == int((df["confidence"] != "high").sum())


@pytest.mark.parametrize("key", BUILDERS)
def test_description_holds_the_largest_value_as_the_marks_say_it(db, key):
    """What a screen reader says for each mark (the ``description`` channel) is made with
    the labels' formatter; the largest of those values is in the chart's description."""
    _, spec, text, _ = built(db, key)
    said = [row["lest"] for row in spec_rows(spec) if "lest" in row]
    assert said, "every mark has a Norwegian aria-label"
    largest = largest_shown(said)
    assert largest
    for shown in largest.values():
        assert shown in text.description, (shown, text.description)


def test_uncertain_values_are_said_in_words_and_marked_without_colour(db):
    df, spec, text, _ = built(db, "breakdown")
    assert (df["confidence"] != "high").sum() == 5
    assert "47,9 mrd. kr (usikker)" in text.description
    assert "5 av 6 verdier" in text.description and "stiplet kant" in text.description
    foot = spec["title"]["text"]
    assert foot[1].startswith("* og stiplet kant: usikker avlesning")
    bars = spec["vconcat"][0]["layer"][0]
    enc = bars["encoding"]
    assert enc["strokeDash"]["condition"]["test"] == "datum.usikker"
    assert enc["stroke"] == enc["color"]  # the dashed outline has the bar's own colour
    assert "opacity" not in enc  # the outline stays at full strength
    html = chart_text.table_html(text.table)
    assert html.count('<span aria-hidden="true">*</span><span class="wb-vh"> (usikker)') == 5


def test_points_are_open_when_uncertain(db):
    _, spec, text, _ = built(db, "cumulative")
    layers = spec["vconcat"][0]["layer"]
    points = [layer for layer in layers if layer["mark"]["type"] == "point"]
    # Every project in the source is an uncertain reading: only the open layer is drawn.
    assert [p["mark"]["filled"] for p in points] == [False]
    assert "åpent punkt" in text.description and "alle prosjekter" in text.description
    _, spec, _, _ = built(db, "growth")
    points = [layer for layer in spec["vconcat"][0]["layer"]
              if layer["mark"]["type"] == "point"]
    assert [p["mark"]["filled"] for p in points] == [True]  # both readings certain


def test_description_follows_the_data(db):
    a = chart_text.from_spec(charts.budget_breakdown(
        q(db, "budget_breakdown", year=2024, parent="hto-2024"), "HTO 2024").to_dict())
    b = chart_text.from_spec(charts.budget_breakdown(
        q(db, "budget_breakdown", year=2026, parent="hto-2026"), "HTO 2026").to_dict())
    assert a.description != b.description
    assert "Sum: 150 mill. kr." in a.description and "Sum: 179,1 mill. kr." in b.description


def test_table_html_is_a_real_table():
    table = chart_text.Table(
        caption="Tittel <b>", columns=[chart_text.Column("Linje"),
                                       chart_text.Column("Beløp", numeric=True)],
        rows=[["A & B", norsk.nok(72_600_000)], ["C", "–"]], uncertain=[True, True],
        notes=["Kilde: X."])
    html = chart_text.table_html(table)
    root = ET.fromstring(html.replace("&nbsp;", "\u00a0"))
    assert root.tag == "table" and root.find("caption").text == "Tittel <b>"
    assert [th.get("scope") for th in root.find("thead").iter("th")] == ["col", "col"]
    rows = root.find("tbody").findall("tr")
    assert [r[0].tag for r in rows] == ["th", "th"]
    assert all(r[0].get("scope") == "row" for r in rows)
    assert rows[0][0].text == "A & B" and rows[0][1].get("class") == "wb-num"
    assert rows[0][1].text == "72,6 mill. kr"
    assert rows[1][1].find("span") is None  # no «*» on a missing value
    assert root.find("tfoot").find("tr/td").get("colspan") == "2"


def test_svg_is_named_and_described(db):
    df = q(db, "budget_breakdown", year=2026, parent="hto-2026")
    chart = charts.budget_breakdown(df, "Helseteknologiordningen 2026")
    svg = charts.to_svg(chart)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    title, desc = root[0], root[1]
    assert title.tag == f"{ns}title" and title.text == "Helseteknologiordningen 2026"
    assert desc.tag == f"{ns}desc" and desc.text.startswith("Stolpediagram, Helsetekn")
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert "72,6 mill. kr" in desc.text


def test_charts_show_adds_the_table_under_the_svg(db, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    charts.show(charts.counts(q(db, "municipal_counts",
                                indicator_id="journalanskaffelse-samarbeid-kommuner")))
    assert shown[0]._repr_svg_().startswith("<svg role=\"img\"")
    details = shown[1].data
    assert details.startswith('<details class="wb-table-details"><summary>Vis som tabell')
    assert details.count('<th scope="row">') == 12


def test_colours_meet_wcag_aa_on_white():
    assert all(contrast(c) >= 3.0 for c in charts.PALETTE), \
        [(c, round(contrast(c), 2)) for c in charts.PALETTE]
    assert contrast(charts.GAP_COLOR) >= 3.0 and contrast(charts.AXIS) >= 3.0
    assert contrast(charts.MUTED) >= 4.5 and contrast(charts.INK) >= 4.5
    # An uncertain bar's light fill alone would not be enough; its outline is.
    assert contrast(over(charts.PALETTE[0], 0.4)) < 3.0


def test_axes_legends_and_titles_are_hidden_from_screen_readers(db):
    _, spec, _, _ = built(db, "comparison")
    config = spec["config"]
    assert config["axis"]["aria"] is False and config["legend"]["aria"] is False
    assert spec["title"]["aria"] is False and spec["vconcat"][0]["title"]["aria"] is False
    text = json.dumps(spec)
    assert '"aria": false' in text
