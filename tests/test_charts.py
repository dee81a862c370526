"""Chart specifications: theme, locale, source lines, uncertainty marks, offline SVG."""
from __future__ import annotations

import json
import re

import altair as alt
import pytest

from workbench import charts, queries
from workbench.builder import build

from helpers import ROOT


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("c") / "warehouse.duckdb"
    build(ROOT / "data", path)
    return path


def q(db, name, **params):
    return queries.run(name, params, db=db)


def bottom_title(spec: dict) -> list[str]:
    title = spec["title"]
    assert title["orient"] == "bottom"
    return title["text"]


def test_theme_is_registered_with_norwegian_locale():
    assert alt.theme.active == charts.THEME
    config = alt.theme.get()()["config"]
    assert config["locale"]["number"]["decimal"] == ","
    assert config["locale"]["number"]["thousands"] == "\u00a0"


def test_source_line_and_uncertainty_footnote(db):
    chart = charts.budget_breakdown(q(db, "budget_breakdown", year=2026,
                                      parent="hod-2026"), "HOD 2026")
    spec = chart.to_dict()
    lines = bottom_title(spec)
    assert lines[0] == "Kilde: Nasjonalt e-helseråd 16.10.2025, sak 23/25"
    assert lines[1] == ("* og stiplet kant: usikker avlesning (middels eller lav sikkerhet "
                        "i kilden, f.eks. OCR); se merknaden i dataene.")
    assert spec["vconcat"][0]["title"]["text"] == "HOD 2026"
    text = json.dumps(spec, ensure_ascii=False)
    assert '"merke": "*"' in text  # uncertain rows carry the visible mark
    assert "datum.usikker" in text  # ... and a dashed outline (test_chart_text.py)


def test_no_footnote_when_everything_is_certain(db):
    spec = charts.budget_breakdown(q(db, "budget_breakdown", year=2026,
                                     parent="hto-2026"), "HTO").to_dict()
    assert bottom_title(spec) == ["Kilde: Nasjonalt e-helseråd 16.10.2025, sak 23/25"]


def test_source_line_lists_every_source_once(db):
    line = charts.source_line(q(db, "budget_comparison"))
    assert line == ("Kilde: Nasjonalt e-helseråd 14.12.2023, sak 31/23; Nasjonalt "
                    "e-helseråd 16.10.2025, sak 23/25; Nasjonalt e-helseråd 14.12.2023, "
                    "sak 37/23")


@pytest.mark.parametrize("build_chart", [
    lambda db: charts.budget_breakdown(q(db, "budget_breakdown", year=2024,
                                         parent="hto-2024")),
    lambda db: charts.budget_comparison(q(db, "budget_comparison")),
    lambda db: charts.grant_funnel(q(db, "grant_rounds", year=2024)),
    lambda db: charts.projects_cumulative(q(db, "grant_projects")),
    lambda db: charts.growth(q(db, "vft_growth")),
    lambda db: charts.survey_scores(q(db, "survey_scores")),
    lambda db: charts.counts(q(db, "municipal_counts",
                               indicator_id="journalanskaffelse-samarbeid-kommuner")),
    lambda db: charts.amounts_over_time(q(db, "municipal_counts",
                                          indicator_id="ehelse-kostnader-kommuner-"
                                                       "framskrevet")),
], ids=["breakdown", "comparison", "funnel", "cumulative", "growth", "survey", "counts",
        "amounts"])
def test_every_builder_renders_offline_with_source(db, build_chart):
    chart = build_chart(db)
    assert bottom_title(chart.to_dict())[0].startswith("Kilde: ")
    svg = charts.to_svg(chart)
    assert "http://" not in svg.replace("http://www.w3.org", "")
    assert len(re.findall(r"<path|<rect|<line", svg)) > 5
    assert "Kilde: " in svg
    png = charts.to_png(chart, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_growth_rate_annotated(db):
    spec = charts.growth(q(db, "vft_growth")).to_dict()
    assert spec["vconcat"][0]["title"]["subtitle"] == \
        "Gjennomsnittlig årlig vekst 2017–2024: 4,9\u00a0%"


def test_axis_numbers_use_norwegian_locale(db):
    svg = charts.to_svg(charts.growth(q(db, "vft_growth")))
    assert "140\u00a0000" in svg or "140&#160;000" in svg or "140&nbsp;000" in svg
    assert "133\u00a0731" in svg or "133&#160;731" in svg


def test_survey_scale_is_fixed_one_to_five(db):
    spec = json.dumps(charts.survey_scores(q(db, "survey_scores")).to_dict())
    assert '"domain": [1, 5]' in spec
