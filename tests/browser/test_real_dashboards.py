"""The real dashboards (dashboards/*.ipynb) in a real browser: issue 5's acceptance tests.

One server for the module (the repository's dashboards/, database built from data/ into
a temporary folder) and one page per dashboard. On every page: no error message, no
traceback, no code; every chart drawn by Vega with one mark per row of its query; every
filter that has something to choose redraws its chart (and changes its key figures and
the download's file name and row count); «Last ned data» gives exactly the rows that
``workbench.queries.run`` returns for the same filter (UTF-8 with BOM, ``;``). The
landing page leads to Oversikt, whose links go to every other dashboard. No request
leaves 127.0.0.1 (the tab fixture fails the test otherwise).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from workbench import queries
from workbench.embed.download import BOM, csv_bytes

pytestmark = pytest.mark.slow

# Vega's SVG: one <g class="mark-rect role-mark …"> per mark layer, one child per datum.
# (Legends have their own mark-symbol groups, with role-legend-symbol, not role-mark.)
MARKS = {"rect": "g.mark-rect.role-mark > path", "symbol": "g.mark-symbol.role-mark > path",
         "line": "g.mark-line.role-mark > path", "text": "g.mark-text.role-mark > text"}
LEAKS = ("Traceback", "Error", "Exception", "Noe gikk galt", "build()", "from workbench",
         "import ")
DASHBOARDS = ["Budsjett.ipynb", "Kommuner.ipynb", "Tilskudd.ipynb",
              "Velferdsteknologi.ipynb"]

# The marks of the panel, and a fingerprint of them: the chart changed if it changed.
MARKS_JS = """([i, selector]) => {
  const chart = document.querySelectorAll('.wb-chart')[i];
  const marks = [...chart.querySelectorAll('svg.marks .role-mark > *')];
  return {version: Number(chart.dataset.wbRendered || 0),
          count: chart.querySelectorAll(selector).length,
          all: marks.length,
          snapshot: chart.querySelectorAll('.wb-snapshot').length,
          fingerprint: marks.map(m => [m.getAttribute('d'), m.getAttribute('transform'),
                                       m.textContent].join('|')).join('\\n')};
}"""


def run(server_db: Path, name: str, **params) -> pl.DataFrame:
    return queries.run(name, params, db=server_db)


def db_of(srv) -> Path:
    return Path(srv.log_path).parent / "data" / "warehouse.duckdb"


@dataclass
class Dashboard:
    """A dashboard page and the server it came from."""

    page: object
    srv: object
    log_start: int = 0

    def open(self, notebook: str) -> Dashboard:
        self.log_start = len(self.srv.log())
        self.page.goto(self.srv.page(notebook))
        self.wait_drawn()
        return self

    def wait_drawn(self) -> None:
        self.page.wait_for_function(
            """() => { const cs = [...document.querySelectorAll('.wb-chart')];
                       return cs.length > 0 && cs.every(c => c.dataset.wbRendered &&
                         !c.querySelector('.wb-snapshot') &&
                         c.querySelector('svg.marks .role-mark > *')); }""",
            timeout=60_000, polling=100)

    # --- what the page shows ---------------------------------------------------------

    def marks(self, i: int, kind: str = "rect") -> dict:
        return self.page.evaluate(MARKS_JS, [i, MARKS[kind]])

    def figures(self) -> list[str]:
        return self.page.locator(".wb-figure").all_inner_texts()

    def select(self, description: str):
        return self.page.locator(
            f'.widget-dropdown:has(> label:text-is("{description}")) select')

    def options(self, description: str) -> list[str]:
        return [plain(o) for o in
                self.select(description).locator("option").all_text_contents()]

    def button(self, i: int):
        return self.page.locator(".wb-download").nth(i)

    def assert_clean(self) -> None:
        """No error message, traceback or code on the page, none in the server log."""
        page = self.page
        assert page.locator(".wb-feil").count() == 0
        text = page.locator("body").inner_text()
        for leak in LEAKS:
            assert leak not in text, f"{leak!r} visible on the page"
        assert page.locator(".jp-InputArea-editor, .jp-InputPrompt, .highlight, "
                            ".jp-OutputArea-executeResult pre").count() == 0
        html = page.content()
        assert "Traceback" not in html and "dashboards import" not in html
        # Every chart carries the source line of its rows (drawn in the chart, so that
        # it stays with an exported image).
        sources = page.evaluate("[...document.querySelectorAll('.wb-chart')]"
                                ".map(c => c.textContent)")
        assert sources and all("Kilde: " in t and "Kilde: ikke oppgitt" not in t
                               for t in sources), sources
        log = self.srv.log()[self.log_start:]
        assert "ERROR" not in log and "Traceback" not in log, log[-3000:]

    # --- filters, charts, downloads ----------------------------------------------------

    def change(self, description: str, label: str, panel: int, kind: str,
               filename: str, rows: int) -> dict:
        """Choose ``label``; wait until panel ``panel`` is redrawn and offers ``rows`` rows
        as ``filename``; return its marks (asserting they changed)."""
        before = self.marks(panel, kind)
        # ipywidgets shows an option's spaces as no-break spaces.
        index = self.options(description).index(plain(label))
        self.select(description).select_option(index=index)
        self.page.wait_for_function(
            """([i, v, name, text]) => {
                 const c = document.querySelectorAll('.wb-chart')[i];
                 const b = document.querySelectorAll('.wb-download')[i];
                 return Number(c.dataset.wbRendered) > v && b.title === name &&
                        b.textContent.includes(text); }""",
            arg=[panel, before["version"], filename, rows_text(rows)], timeout=30_000)
        after = self.marks(panel, kind)
        assert after["fingerprint"] != before["fingerprint"], \
            f"{description} = {label}: the chart did not change"
        assert after["snapshot"] == 0
        return after

    def download(self, panel: int, filename: str, expected: pl.DataFrame,
                 key: str) -> None:
        """«Last ned data» of ``panel`` gives exactly ``expected`` (compared on ``key``)."""
        button = self.button(panel)
        assert button.get_attribute("title") == filename
        assert rows_text(expected.height) in button.inner_text()
        with self.page.expect_download(timeout=30_000) as info:
            button.click()
        download = info.value
        assert download.suggested_filename == filename
        body = Path(download.path()).read_bytes()
        assert body.startswith(BOM)
        lines = body[len(BOM):].decode("utf-8").splitlines()
        assert lines[0].split(";") == expected.columns
        got = pl.read_csv(io.BytesIO(body[len(BOM):]), separator=";",
                          decimal_comma=True, infer_schema=False)
        assert got.height == expected.height > 0
        assert got[key].to_list() == [None if v is None else str(v)
                                      for v in expected[key].to_list()]
        assert body == csv_bytes(expected)  # every column, every value


def plain(text: str) -> str:
    """Norwegian numbers use no-break spaces (56\u00a0700): compare with plain ones."""
    return text.replace("\u00a0", " ")


def rows_text(n: int) -> str:
    return f"({n} {'rad' if n == 1 else 'rader'})"


def funnel_bars(df: pl.DataFrame) -> int:
    """Bars of charts.grant_funnel: available, applied for, applications, granted."""
    available = df["available_nok"] + df["transferred_nok"].fill_null(0)
    return sum(s.drop_nulls().len() for s in (available, df["applied_nok"],
                                              df["applications"], df["granted_projects"]))


def assert_single_choice(d: Dashboard, description: str, value: str) -> None:
    """A filter with one option cannot filter anything: shown, but disabled."""
    assert d.options(description) == [value]
    assert d.select(description).is_disabled()


def open_dashboard(tab, srv, notebook: str, charts: int):
    """Open a dashboard; assert it is clean and shows ``charts`` charts.
    Returns the Dashboard and the server's database."""
    d = Dashboard(tab.page, srv).open(notebook)
    d.assert_clean()
    assert tab.page.locator(".wb-chart").count() == charts
    return d, db_of(srv)


def assert_still_clean(d: Dashboard, tab) -> None:
    """After all the filtering: no error on the page, in the log or in the browser."""
    d.assert_clean()
    assert not tab.errors


# --- the dashboards --------------------------------------------------------------------


def test_landing_page_and_oversikt(dashboard_tab, dashboards_server):
    srv, page = dashboards_server, dashboard_tab.page
    db = db_of(srv)
    d = Dashboard(page, srv)
    d.log_start = len(srv.log())
    page.goto(srv.url)  # / → Oversikt
    page.wait_for_url("**/voila/render/Oversikt.ipynb")
    d.wait_drawn()
    d.assert_clean()
    assert page.locator("h1").first.inner_text().startswith("Oversikt")

    assert page.locator(".wb-chart").count() == 1
    assert d.options("Helseteknologiordningen, år") == ["2024", "2026"]
    hto26 = run(db, "budget_breakdown", year=2026, parent="hto-2026")
    assert d.marks(0)["count"] == hto26.height  # one bar per row
    figures = d.figures()
    assert any("Helseteknologiordningen 2026" in f for f in figures)
    assert "179,1 mill. kr" in plain(" ".join(figures))
    d.download(0, "helseteknologiordningen-2026.csv", hto26, "line_id")

    hto24 = run(db, "budget_breakdown", year=2024, parent="hto-2024")
    after = d.change("Helseteknologiordningen, år", "2024", 0, "rect",
                     "helseteknologiordningen-2024.csv", hto24.height)
    assert after["count"] == hto24.height
    new_figures = d.figures()
    assert new_figures != figures
    assert any("Helseteknologiordningen 2024" in f for f in new_figures)
    assert not any("Helseteknologiordningen 2026" in f for f in new_figures)
    assert "Helseteknologiordningen 2024" in page.locator(".wb-chart").inner_text()
    d.download(0, "helseteknologiordningen-2024.csv", hto24, "line_id")

    # Links to every other dashboard, titled by their heading; one followed.
    links = page.locator(".wb-dashboards a")
    names = sorted(links.evaluate_all("els => els.map(e => e.dataset.notebook)"))
    assert names == DASHBOARDS
    hrefs = links.evaluate_all("els => els.map(e => e.href)")
    assert sorted(hrefs) == [srv.page(n) for n in DASHBOARDS]
    assert links.all_inner_texts() == ["Budsjett", "Kommuner", "Tilskudd", "Velferdsteknologi"]
    d.assert_clean()
    d.log_start = len(srv.log())
    page.click(".wb-dashboards a[data-notebook='Tilskudd.ipynb']")
    page.wait_for_url("**/voila/render/Tilskudd.ipynb")
    d.wait_drawn()
    assert page.locator("h1").first.inner_text() == "Tilskudd"
    assert_still_clean(d, dashboard_tab)


def test_budsjett(dashboard_tab, dashboards_server):
    d, db = open_dashboard(dashboard_tab, dashboards_server, "Budsjett.ipynb", charts=2)

    # Breakdown: year 2026, the largest line first.
    assert d.options("Budsjettår") == ["2024", "2026"]
    lines26 = d.options("Budsjettlinje")
    assert len(lines26) == 5 and lines26[-1] == "(hovedlinjer)"
    hod = run(db, "budget_breakdown", year=2026, parent="hod-2026")
    assert d.marks(0)["count"] == hod.height
    d.download(0, "budsjett-2026-hod-2026.csv", hod, "line_id")
    figures = d.figures()

    hto = run(db, "budget_breakdown", year=2026, parent="hto-2026")
    label = next(x for x in lines26 if x.startswith("Helseteknologiordningen"))
    assert d.change("Budsjettlinje", label, 0, "rect", "budsjett-2026-hto-2026.csv",
                    hto.height)["count"] == hto.height
    assert d.figures() != figures
    d.download(0, "budsjett-2026-hto-2026.csv", hto, "line_id")

    top = run(db, "budget_breakdown", year=2026)
    figures = d.figures()
    assert d.change("Budsjettlinje", "(hovedlinjer)", 0, "rect",
                    "budsjett-2026-hovedlinjer.csv", top.height)["count"] == top.height
    assert d.figures() != figures
    d.download(0, "budsjett-2026-hovedlinjer.csv", top, "line_id")

    # Another year: the lines of that year, the first one shown.
    hto24 = run(db, "budget_breakdown", year=2024, parent="hto-2024")
    figures = d.figures()
    assert d.change("Budsjettår", "2024", 0, "rect", "budsjett-2024-hto-2024.csv",
                    hto24.height)["count"] == hto24.height
    assert d.options("Budsjettlinje") == [
        "Helseteknologiordningen (150 mill. kr)", "(hovedlinjer)"]
    assert "Helseteknologiordningen 2024" in d.page.locator(".wb-chart").first.inner_text()
    assert d.figures() != figures
    d.download(0, "budsjett-2024-hto-2024.csv", hto24, "line_id")

    # Comparison: two budget years in the data, so nothing to choose.
    assert_single_choice(d, "Sammenlign fra", "2024")
    assert_single_choice(d, "til", "2026")
    cmp = run(db, "budget_comparison", from_year=2024, to_year=2026)
    assert d.marks(1)["count"] == cmp.height
    d.download(1, "budsjett-2024-2026.csv", cmp, "line_key")
    assert_still_clean(d, dashboard_tab)


def test_tilskudd(dashboard_tab, dashboards_server):
    d, db = open_dashboard(dashboard_tab, dashboards_server, "Tilskudd.ipynb", charts=2)

    # Grant rounds: one year in the data.
    rounds = run(db, "grant_rounds", year=2024)
    assert_single_choice(d, "År", "2024")
    assert d.marks(0)["count"] == funnel_bars(rounds)
    d.download(0, "tilskuddsrunder-2024.csv", rounds, "scheme_id")

    # Helse Nord projects, per helsefellesskap.
    groups = run(db, "helsefellesskap")["helsefellesskap"].to_list()
    assert d.options("Helsefellesskap") == ["Alle"] + groups
    everything = run(db, "grant_projects")
    assert d.marks(1, "symbol")["count"] == everything.height
    d.download(1, "helse-nord-prosjekter-alle.csv", everything, "project_id")
    figures = d.figures()
    assert f"{everything.height}" in figures[3]  # «19* Prosjekter»

    finnmark = run(db, "grant_projects", helsefellesskap="Finnmark")
    assert d.change("Helsefellesskap", "Finnmark", 1, "symbol",
                    "helse-nord-prosjekter-finnmark.csv",
                    finnmark.height)["count"] == finnmark.height
    new_figures = d.figures()
    assert new_figures[:3] == figures[:3]  # the grant-round figures stay
    assert new_figures[3:] != figures[3:]
    assert new_figures[3].startswith(str(finnmark.height))
    d.download(1, "helse-nord-prosjekter-finnmark.csv", finnmark, "project_id")

    name = "Lofoten, Vesterålen, Salten"
    lvs = run(db, "grant_projects", helsefellesskap=name)
    d.change("Helsefellesskap", name, 1, "symbol",
             "helse-nord-prosjekter-lofoten-vesterålen-salten.csv", lvs.height)
    d.download(1, "helse-nord-prosjekter-lofoten-vesterålen-salten.csv", lvs, "project_id")
    assert_still_clean(d, dashboard_tab)


def test_velferdsteknologi(dashboard_tab, dashboards_server):
    d, db = open_dashboard(dashboard_tab, dashboards_server, "Velferdsteknologi.ipynb", charts=2)

    # Recipients: the sources give the total only.
    techs = run(db, "vft_technologies")["technology"].to_list()
    assert techs == ["Alle"]
    assert_single_choice(d, "Teknologi", "Alle")
    growth = run(db, "vft_growth")
    marks = d.marks(0, "symbol")
    assert marks["count"] == growth.height
    assert "133 731" in plain(marks["fingerprint"])  # labelled points, Norwegian format
    figures = d.figures()
    assert plain(figures[0]).startswith("133 731")
    d.download(0, "velferdsteknologi-mottakere-alle.csv", growth, "year")

    # Adoption, per unit.
    adoption = run(db, "adoption")
    units = sorted(set(adoption["unit"]))
    assert len(d.options("Enhet")) == len(units) > 1
    kommuner = adoption.filter(pl.col("unit") == "kommuner")
    assert d.marks(1)["count"] == kommuner.height
    d.download(1, "utbredelse-kommuner.csv", kommuner, "indicator_id")
    for unit in ("systemer", "personer"):
        rows = adoption.filter(pl.col("unit") == unit)
        assert d.change("Enhet", unit, 1, "rect", f"utbredelse-{unit}.csv",
                        rows.height)["count"] == rows.height
        d.download(1, f"utbredelse-{unit}.csv", rows, "indicator_id")
    assert d.figures() == figures  # the recipient figures do not depend on the unit
    assert_still_clean(d, dashboard_tab)


def test_kommuner(dashboard_tab, dashboards_server):
    d, db = open_dashboard(dashboard_tab, dashboards_server, "Kommuner.ipynb", charts=3)

    # Survey scores.
    ks = "ks-fou-224004-gevinster-helseteknologi"
    scores = run(db, "survey_scores", survey_id=ks)
    assert d.marks(0)["count"] == scores.height
    d.download(0, f"undersokelse-{ks}.csv", scores, "question")
    figures = d.figures()
    surveys = run(db, "surveys").filter(pl.col("statistics").str.contains("mean"))
    assert len(d.options("Undersøkelse")) == surveys.height == 2
    other = surveys.filter(pl.col("survey_id") != ks).row(0, named=True)
    other_scores = run(db, "survey_scores", survey_id=other["survey_id"])
    assert d.change("Undersøkelse", other["survey"], 0, "rect",
                    f"undersokelse-{other['survey_id']}.csv",
                    other_scores.height)["count"] == other_scores.height
    new_figures = d.figures()
    assert new_figures != figures and len(new_figures) == 3
    n = other_scores["n"].drop_nulls()
    assert new_figures[0].startswith(str(n[0]))
    d.download(0, f"undersokelse-{other['survey_id']}.csv", other_scores, "question")

    # Counts about kommuner.
    first = "journalanskaffelse-samarbeid-kommuner"
    counts = run(db, "municipal_counts", indicator_id=first)
    assert d.marks(1)["count"] == counts.height
    d.download(1, f"kommunetall-{first}.csv", counts, "group_name")
    # Largest first (the bars' order on the axis is the labels' order in the SVG).
    names = set(counts["group_name"])
    axis = [t for t in d.page.locator(".wb-chart").nth(1).locator(
        "g.role-axis-label text").all_text_contents() if t in names]
    ordered = counts.sort("value", descending=True, maintain_order=True)["group_name"]
    assert axis == ordered.to_list()
    older = "kommuner-kvart-av-innbyggerne-over-67"
    rows = run(db, "municipal_counts", indicator_id=older)
    assert d.change("Tall", "Kommuner der hver fjerde innbygger er over 67", 1, "rect",
                    f"kommunetall-{older}.csv", rows.height)["count"] == rows.height
    d.download(1, f"kommunetall-{older}.csv", rows, "year")
    assert d.figures() == new_figures  # key figures belong to the survey

    # Projected costs: each scenario's line starts at the common 2021 value.
    costs_id = "ehelse-kostnader-kommuner-framskrevet"
    costs = run(db, "municipal_counts", indicator_id=costs_id)
    marks = d.marks(2, "symbol")
    assert marks["count"] == costs.height
    scenarios = costs.filter(pl.col("group_name") != "Alle")["group_name"].n_unique()
    assert d.marks(2, "line")["count"] == scenarios
    d.download(2, f"kostnader-{costs_id}.csv", costs, "group_name")
    care = "helse-omsorg-kostnader-kommuner-framskrevet"
    rows = run(db, "municipal_counts", indicator_id=care)
    assert d.change("Kostnader", "Kommunale helse- og omsorgskostnader", 2, "symbol",
                    f"kostnader-{care}.csv", rows.height)["count"] == rows.height
    d.download(2, f"kostnader-{care}.csv", rows, "year")
    assert_still_clean(d, dashboard_tab)
