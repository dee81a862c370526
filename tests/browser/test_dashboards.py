"""Dashboards in a real browser: charts drawn, filters, downloads, errors, no source."""

from __future__ import annotations

import urllib.request

import duckdb
import pytest

from workbench import embed
from workbench.builder import build, load
from workbench.serving import testing

from .conftest import NOTEBOOKS, open_tab

pytestmark = pytest.mark.slow

BARS = ".wb-chart g.mark-rect path"
SECRET_SOURCE = "KILDEKODE-MARKOR-7f3a"  # a comment in Graf.ipynb's code cell


def rendered(page, version: int, timeout: float = 30_000) -> None:
    page.wait_for_selector(f'.wb-chart[data-wb-rendered="{version}"] g.mark-rect path',
                           timeout=timeout)


def budget_rows(server, year: int):
    with duckdb.connect(str(server_db(server)), read_only=True) as con:
        return con.sql("SELECT line_id, label, amount_nok FROM budget_lines "
                       "WHERE budget_year = ? ORDER BY line_id", params=[year]).pl()


def server_db(server):
    return server.dashboards.parent / "data" / "warehouse.duckdb"


def test_serve_built_the_missing_database(wb_server):
    assert server_db(wb_server).exists()
    assert "Bygger databasen" in wb_server.log()


def test_chart_renders_offline_with_marks(tab, wb_server):
    page = tab.page
    page.goto(wb_server.page("Graf.ipynb"))
    rendered(page, 1)
    n2024 = budget_rows(wb_server, 2024).height
    assert page.locator(BARS).count() == n2024 > 0
    assert "Budsjettlinjer 2024" in page.locator(".wb-chart").text_content()
    # Norwegian number format on the axis: no-break space as thousands separator.
    assert "200\u00a0000\u00a0000" in page.locator(".wb-chart svg.marks").text_content()
    assert page.locator(".wb-feil").count() == 0
    assert not tab.errors
    # The page really loaded Vega from this server (one file, served by the template).
    assert page.evaluate("typeof window.vegaEmbed") == "function"


def test_dropdown_redraws_the_chart_in_place(tab, wb_server):
    page = tab.page
    page.goto(wb_server.page("Graf.ipynb"))
    rendered(page, 1)
    page.select_option(".widget-dropdown select", label="2026")
    rendered(page, 2)
    assert page.locator(BARS).count() == budget_rows(wb_server, 2026).height
    assert page.locator(".wb-chart .vega-embed").count() == 1  # replaced, not added
    assert "Budsjettlinjer 2026" in page.locator(".wb-chart").text_content()
    page.select_option(".widget-dropdown select", label="2024")
    rendered(page, 3)
    assert page.locator(BARS).count() == budget_rows(wb_server, 2024).height


def test_download_gives_exactly_the_filtered_rows(tab, wb_server):
    page = tab.page
    page.goto(wb_server.page("Graf.ipynb"))
    rendered(page, 1)
    for year, version in ((2024, 1), (2026, 2)):
        if version > 1:
            page.select_option(".widget-dropdown select", label=str(year))
            rendered(page, version)
            page.wait_for_function(
                "n => document.querySelector('.wb-download').textContent.includes(n)",
                arg=f"({budget_rows(wb_server, year).height} rader)")
        with page.expect_download() as info:
            page.click(".wb-download")
        download = info.value
        assert download.suggested_filename == f"budsjett-{year}.csv"
        body = open(download.path(), "rb").read()
        expected = budget_rows(wb_server, year)
        assert body.startswith(b"\xef\xbb\xbf")
        assert body == embed.csv_bytes(expected)
        lines = body[3:].decode("utf-8").splitlines()
        assert lines[0] == "line_id;label;amount_nok"
        assert len(lines) == 1 + expected.height


def test_errors_show_a_norwegian_message_and_no_traceback(tab, wb_server):
    page = tab.page
    page.goto(wb_server.page("Feil.ipynb"))
    page.wait_for_selector("text=etter guarded")
    page.wait_for_function("document.querySelectorAll('.wb-feil').length >= 2")
    page.click("text=Utløs feil")  # the callback raises inside an ipywidgets.Output
    page.wait_for_function("document.querySelectorAll('.wb-feil').length >= 3")
    text = page.locator("body").inner_text()
    assert text.count("Noe gikk galt") == 3
    for leak in ("HEMMELIG", "Traceback", "ValueError", "RuntimeError", "raise ",
                 "There was an error", "denne cellen kjøres ikke"):
        assert leak not in text
        assert leak not in page.content()
    log = wb_server.log()  # ... but the server log has the details
    for secret in ("HEMMELIG-FEIL-guarded", "HEMMELIG-FEIL-celle", "HEMMELIG-FEIL-callback"):
        assert secret in log


def test_error_without_the_helpers_is_still_norwegian(tab, wb_server):
    page = tab.page
    page.goto(wb_server.page("Uten_embed.ipynb"))
    page.wait_for_selector(".wb-feil")
    html = page.content()
    assert "Noe gikk galt" in page.locator(".wb-feil").inner_text()
    assert "HEMMELIG" not in html and "KeyError" not in html and "Traceback" not in html


def test_no_source_code_reaches_the_browser(tab, wb_server):
    html = urllib.request.urlopen(wb_server.page("Graf.ipynb"), timeout=60).read().decode()
    assert "Budsjettlinjer" in html  # the Markdown is there ...
    assert SECRET_SOURCE not in html  # ... the code is not
    assert "workbench.connect()" not in html
    page = tab.page
    page.goto(wb_server.page("Graf.ipynb"))
    rendered(page, 1)
    assert SECRET_SOURCE not in page.content()
    assert page.locator(".jp-InputArea-editor, .jp-InputPrompt, .highlight").count() == 0


def test_landing_page_links_every_dashboard(tab, wb_server):
    page = tab.page
    page.goto(wb_server.url)  # / redirects to Oversikt.ipynb when there is one
    page.wait_for_url("**/voila/render/Oversikt.ipynb")
    links = page.locator(".wb-dashboards a")
    page.wait_for_selector(".wb-dashboards a")
    names = sorted(links.evaluate_all("els => els.map(e => e.dataset.notebook)"))
    assert names == ["Feil.ipynb", "Graf.ipynb", "Tabell.ipynb", "Trivial.ipynb",
                     "Uten_embed.ipynb"]
    assert "Budsjettlinjer" in page.locator(".wb-dashboards").inner_text()  # titles
    page.click("text=Budsjettlinjer")
    rendered(page, 1)


def test_the_table_button_and_the_table_stay_in_step(tab, wb_server):
    """«Vis som tabell» open, then an error, then the chart back: the button says «Vis
    som tabell» (aria-expanded false) over a hidden table, and one press opens it."""
    page = tab.page
    page.goto(wb_server.page("Tabell.ipynb"))
    page.wait_for_selector('.wb-chart[data-wb-rendered="1"] svg.marks')
    toggle = page.locator(".wb-chart button.wb-table-toggle")
    table = page.locator(".wb-chart .wb-chart-table")

    def state():
        return (toggle.get_attribute("aria-expanded"), table.is_visible(),
                toggle.inner_text())

    toggle.click()
    assert state() == ("true", True, "Skjul tabellen")
    page.click("text=Vis feil")
    page.wait_for_selector(".wb-chart .wb-feil")
    assert not table.is_visible()
    page.click("text=Tilbake")
    page.wait_for_selector('.wb-chart[data-wb-rendered="3"] svg.marks')
    assert state() == ("false", False, "Vis som tabell")
    toggle.click()
    assert state() == ("true", True, "Skjul tabellen")
    assert "Alfa" in table.inner_text() and not tab.errors


def test_a_downloaded_file_carries_no_formulas(browser, new_project, tmp_path):
    """Cells such as =HYPERLINK(…) are stored as read, and «Last ned data» writes them
    with a leading apostrophe so that Excel shows text instead of running a formula."""
    project = new_project(tmp_path, [NOTEBOOKS / "Graf.ipynb"])
    db = project / "data" / "warehouse.duckdb"
    build(project / "data", db)
    hostile = tmp_path / "formler.csv"
    header = ("line_id,line_key,parent_id,budget_year,label,chapter,post,kind,amount_nok,"
              "period_start,period_end,source_id,locator,confidence,derived,note")
    rows = [(f"formel-{i},formel-{i},,2024,\"{label}\",,,appropriation,{i + 1}000,,,"
             "ehr-2023-12-s31,test,high,false,test")
            for i, label in enumerate(['=HYPERLINK(""http://evil.example"",""klikk"")',
                                       "@SUM(A1)", "-2+3", "+cmd|calc"])]
    hostile.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    load(hostile, "budget_lines", db=db, data=project / "data", keep=False)
    with testing.start(project / "dashboards", db=db, data=project / "data",
                       log_path=tmp_path / "serve.log", pool=False,
                       voila_args="--VoilaConfiguration.preheat_kernel=False") as srv, \
            open_tab(browser) as tab:
        page = tab.page
        page.goto(srv.page("Graf.ipynb"))
        rendered(page, 1)
        with page.expect_download() as info:
            page.click(".wb-download")
        text = open(info.value.path(), "rb").read().decode("utf-8-sig")
    got = {line.split(";", 1)[0]: line for line in text.splitlines()[1:]}
    assert got["formel-0"] == 'formel-0;"\'=HYPERLINK(""http://evil.example"",""klikk"")";1000'
    assert got["formel-1"] == "formel-1;'@SUM(A1);2000"
    assert got["formel-2"] == "formel-2;'-2+3;3000"
    assert got["formel-3"] == "formel-3;'+cmd|calc;4000"
    with duckdb.connect(str(db), read_only=True) as con:  # stored as read
        assert con.execute("SELECT label FROM budget_lines WHERE line_id = 'formel-2'"
                           ).fetchall() == [("-2+3",)]
