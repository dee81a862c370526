"""Universal design (WCAG 2.1 AA) of the real dashboards and the scheduled reports: issue
12's acceptance tests, in Debian's Chromium.

- axe-core (pinned in tests/a11y/package-lock.json, injected from node_modules; nothing
  is fetched) with the rules tagged wcag2a, wcag2aa, wcag21a and wcag21aa finds nothing
  on any dashboard, in its default state and after each enabled filter is set to each of
  its options (also at 320 px), on every report of `workbench schedule` with the
  repository's reports.toml, on the error pages and on the tilgjengelighetserklæring;
- every chart is named by its title and described from its data, and the description
  holds the chart's largest value exactly as the chart shows it (its value labels and
  its marks' aria-labels), and changes when a filter changes; its «Vis som tabell» holds
  exactly the rows of its «Last ned data»;
- keyboard only: every control is reached by Tab in page order with a visible focus,
  with no trap; arrows change a filter, Enter/Space open the table and download CSV,
  PNG and SVG;
- chart text ≥ 4.5:1 and marks ≥ 3:1, computed from the rendered SVG (axe leaves SVG
  text "incomplete");
- reflow at 320 and 640 CSS px (1280 px at 400 % and 200 %): no chart content clipped,
  no horizontal scroll of the page.

One server for the module; each dashboard is opened three times (states, keyboard,
contrast and reflow), each report once.
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import json
import threading
import urllib.request
from pathlib import Path

import httpx
import pytest

from workbench import cli
from workbench.embed.download import BOM
from workbench.serving import testing

from .conftest import NOTEBOOKS, ROOT, make_project, open_tab
from helpers import contrast, largest_shown, over

pytestmark = pytest.mark.slow

AXE_JS = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DASHBOARDS = ["Oversikt", "Budsjett", "Tilskudd", "Velferdsteknologi", "Kommuner"]
KINDS = ("Stolpediagram, ", "Gruppert stolpediagram, ", "Stolpediagram i to deler, ",
         "Linjediagram, ")
STATEMENT = "voila/templates/workbench/static/tilgjengelighet.html"


@pytest.fixture(scope="module")
def axe_js() -> Path:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` in tests/a11y "
                    "(make test and .ci/run do it)")
    return AXE_JS


AXE_RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                     resultTypes: ['violations', 'incomplete'],
                                     elementRef: true});
  const where = n => n.target.join(' ') + ' ' + (n.html || '').slice(0, 160);
  // The text colour and the first opaque background behind it (and whether an image
  // lies on the way), for what axe leaves undecided.
  const colours = e => {
    let background = 'rgb(255, 255, 255)', image = null;
    for (let x = e; x; x = x.parentElement) {
      const s = getComputedStyle(x);
      if (s.backgroundImage !== 'none' && !image) image = x.tagName;
      if (s.backgroundColor !== 'rgba(0, 0, 0, 0)') { background = s.backgroundColor; break; }
    }
    return {color: getComputedStyle(e).color, background, image};
  };
  return {
    violations: r.violations.map(v => ({id: v.id, impact: v.impact,
                                        nodes: v.nodes.map(where)})),
    // What axe could not decide, outside chart SVGs (SVG text is checked below).
    undecided: r.incomplete.flatMap(v => v.nodes
        .filter(n => !(n.element && n.element.closest('svg')))
        .map(n => ({rule: v.id, where: where(n), tag: n.element && n.element.tagName,
                    why: [...n.any, ...n.all, ...n.none].map(c => c.message).join(' / '),
                    ...(n.element ? colours(n.element) : {})}))),
  };
}"""


def axe(page, axe_js: Path, where: str) -> None:
    """axe-core's WCAG 2.0/2.1 A and AA rules: no violation. What axe leaves undecided
    outside the charts may only be text contrast, which is then computed here from the
    text colour and the first opaque background behind it; no background image may lie
    in between, except a <select>'s own arrow."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    result = page.evaluate(AXE_RUN, WCAG)
    found = json.dumps(result["violations"], ensure_ascii=False, indent=1)
    assert result["violations"] == [], f"{where}: {found}"
    for node in result["undecided"]:
        assert node["rule"] == "color-contrast", (where, node)
        assert node["image"] in (None, "SELECT") and node["image"] in (None, node["tag"]), \
            (where, node)
        ratio = contrast(over(node["color"], background=over(node["background"])))
        assert ratio >= 4.5, (where, node, ratio)


# --- what a chart exposes ------------------------------------------------------------

PROBE_JS = Path(__file__).with_name("a11y_probe.js")


def probe(page, what: str, arg=None):
    """``wbProbe.<what>(arg)`` from a11y_probe.js (injected once per page load)."""
    if not page.evaluate("typeof window.wbProbe !== 'undefined'"):
        page.add_script_tag(path=str(PROBE_JS))
    return page.evaluate(f"(arg) => wbProbe.{what}(arg)", arg)


def wait_drawn(page) -> None:
    """Every chart drawn by Vega with the version it was sent."""
    page.wait_for_function(
        """() => { const cs = [...document.querySelectorAll('.wb-chart')];
                   return cs.length > 0 && cs.every(c => c.dataset.wbRendered &&
                     c.dataset.wbRendered === c.dataset.wbVersion &&
                     c.querySelector('svg.marks .role-mark > *')); }""",
        timeout=60_000, polling=100)


def versions(page) -> list[int]:
    return [c["version"] for c in probe(page, "charts")]


def download_csv(page, i: int) -> list[list[str]]:
    """«Last ned data» of chart ``i``: the CSV's rows (header first)."""
    with page.expect_download(timeout=30_000) as info:
        page.locator(".wb-chart").nth(i).locator("button.wb-download").click()
    body = Path(info.value.path()).read_bytes()
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM):].decode("utf-8")), delimiter=";"))


def settle(page) -> list[list[list[str]]]:
    """Download every chart's CSV, then wait until every chart is drawn. A download is a
    round trip through the kernel, which handles messages in order: by the time the file
    arrives, every update the kernel sent before (filters, charts) has arrived too."""
    files = [download_csv(page, i) for i in range(page.locator(".wb-chart").count())]
    wait_drawn(page)
    return files


def check_charts(page, files, where: str) -> list[str]:
    """Names, descriptions (with the largest value as shown), tables = CSV rows."""
    charts = probe(page, "charts")
    assert charts and len(charts) == len(files)
    assert page.locator(".vega-embed details, [aria-label='Vega visualization']").count() == 0
    for n, (c, rows) in enumerate(zip(charts, files, strict=True)):
        here = f"{where}, chart {n + 1} ({c['title']})"
        assert c["role"] == "graphics-document", here
        assert c["title"] and c["name"] == c["title"], here  # named by its title
        text = c["description"]
        assert text and text.startswith(KINDS) and c["title"] in text, (here, text)
        largest = largest_shown(c["shown"])
        assert largest, (here, c["shown"])
        for shown in largest.values():
            assert shown in text, f"{here}: largest value «{shown}» not in «{text}»"
        # «Vis som tabell»: caption, headers, exactly the rows of «Last ned data».
        header, *data = rows
        table = c["table"]
        assert c["toggle"] and table and table["caption"].startswith(c["title"]), here
        assert set(table["cols"]) == {"col"}, here
        assert len(table["rows"]) == len(data) > 0, here
        assert f"({len(data)} {'rad' if len(data) == 1 else 'rader'})" in c["csv"]["text"]
        unmatched = [list(r) for r in data]
        for label in table["rows"]:
            label = label.split(". ", 1)[1] if label[:1].isdigit() and ". " in label \
                else label
            hit = next((r for r in unmatched if label in r), None)
            assert hit is not None, f"{here}: table row «{label}» is not a row of the CSV"
            unmatched.remove(hit)
    return [c["description"] for c in charts]


@pytest.fixture(scope="module")
def server(dashboards_server):
    """`workbench serve` on the repository's dashboards/ (conftest), one for the module."""
    return dashboards_server


def open_dashboard(page, srv, name: str, width: int = 1280) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(srv.page(f"{name}.ipynb"))
    wait_drawn(page)


# --- 1. axe, names, descriptions and tables in every state ------------------------------

@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_state_passes_axe_and_describes_its_charts(name, browser, server, axe_js):
    with open_tab(browser) as tab:
        page = tab.page
        open_dashboard(page, server, name)
        where = f"{name} (standard)"
        axe(page, axe_js, where)
        described = check_charts(page, settle(page), where)
        scanned = 1
        for sel in probe(page, "selects"):
            if sel["disabled"]:
                continue
            select = page.locator(".widget-dropdown select").nth(sel["i"])
            default = sel["index"]
            for k in [k for k in range(sel["options"]) if k != default] + [default]:
                before = versions(page)
                select.select_option(index=k)
                page.wait_for_function(
                    """(before) => [...document.querySelectorAll('.wb-chart')].some(
                         (c, i) => Number(c.dataset.wbVersion || 0) > before[i])""",
                    arg=before, timeout=30_000)
                where = f"{name}, {sel['label']} = option {k + 1}"
                files = settle(page)
                axe(page, axe_js, where)
                now = check_charts(page, files, where)
                assert now != described, f"{where}: no description changed"
                # ... and a redrawn chart says so to screen readers (a status message).
                redrawn = [c for c, a, b in zip(probe(page, "charts"), described, now,
                                                strict=True) if a != b]
                assert all(c["status"] == f"Grafen er oppdatert: {c['title']}."
                           for c in redrawn), (where, [c["status"] for c in redrawn])
                described = now
                scanned += 1
        assert not tab.errors, tab.errors
    assert scanned > 1  # every dashboard has a filter with something to choose


# --- 2. keyboard only -----------------------------------------------------------------

def tab_through(page) -> list[dict]:
    """Tab from the top of the page until focus leaves the page: every stop, in order.
    Fails if focus never leaves (a keyboard trap)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops: list[dict] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        here = probe(page, "focus")
        if here is None or (stops and here["key"] == stops[0]["key"]):
            return stops
        assert not stops or here["key"] != stops[-1]["key"], f"focus stuck on {here}"
        stops.append(here)
    raise AssertionError(f"keyboard trap: Tab never left the page ({stops[-3:]})")


def press_for_file(page, button, key: str) -> tuple[str, bytes]:
    button.focus()
    with page.expect_download(timeout=30_000) as info:
        page.keyboard.press(key)
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


@pytest.mark.parametrize("name", DASHBOARDS)
def test_keyboard_only(name, browser, server):
    with open_tab(browser) as tab:
        page = tab.page
        open_dashboard(page, server, name)
        stops = tab_through(page)
        # Every control, in page order, each once; the focus is visible on each.
        assert [s["key"] for s in stops] == probe(page, "reachable")
        tags = {s["tag"] for s in stops}
        assert "BUTTON" in tags and "A" in tags  # chart buttons; the statement link
        for s in stops:
            assert s["outlineStyle"] not in ("none", "") and s["outlineWidth"] >= 2, s
            assert contrast(over(s["outlineColor"])) >= 3.0, s
        # Shift+Tab walks back the same way.
        page.keyboard.press("Shift+Tab")
        assert probe(page, "focus")["key"] == stops[-1]["key"]
        page.keyboard.press("Shift+Tab")
        assert probe(page, "focus")["key"] == stops[-2]["key"]

        chart = page.locator(".wb-chart").first
        # A filter, by arrow keys (Oversikt, Budsjett, Kommuner have one before the
        # first chart; Tilskudd and Velferdsteknologi further down).
        selects = page.locator(".widget-dropdown select:not([disabled])")
        if selects.count():
            before = versions(page)
            select = selects.first
            select.focus()
            last = select.evaluate("s => s.selectedIndex === s.options.length - 1")
            page.keyboard.press("ArrowUp" if last else "ArrowDown")
            page.wait_for_function(
                """(before) => [...document.querySelectorAll('.wb-chart')].some(
                     (c, i) => Number(c.dataset.wbVersion || 0) > before[i])""",
                arg=before, timeout=30_000)
            settle(page)
        # «Vis som tabell»: Enter opens it, Space closes it; focus stays on the button.
        toggle = chart.locator("button.wb-table-toggle")
        box = page.locator(f"#{toggle.get_attribute('aria-controls')}")
        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true" and box.is_visible()
        assert box.locator("tbody tr").count() > 0 and box.locator("caption").is_visible()
        assert "Skjul tabellen" in toggle.inner_text()
        assert page.evaluate("document.activeElement.classList.contains('wb-table-toggle')")
        page.keyboard.press("Space")
        assert toggle.get_attribute("aria-expanded") == "false" and not box.is_visible()
        # Downloads: CSV (Enter), PNG (Enter), SVG (Space).
        csv_button = chart.locator("button.wb-download")
        filename, body = press_for_file(page, csv_button, "Enter")
        assert filename == csv_button.get_attribute("title") and body.startswith(BOM)
        stem = filename[:-4]
        filename, body = press_for_file(page, chart.locator("button.wb-png"), "Enter")
        assert filename == f"{stem}.png" and body.startswith(b"\x89PNG\r\n\x1a\n")
        filename, body = press_for_file(page, chart.locator("button.wb-svg"), "Space")
        svg = body.decode("utf-8")
        title = probe(page, "charts")[0]["title"]
        assert filename == f"{stem}.svg" and svg.startswith("<svg role=\"img\"")
        assert f"<title>{title}</title>" in svg.replace("&amp;", "&") and "<desc>" in svg
        assert not tab.errors, tab.errors


# --- 3. contrast in the charts, page structure, reflow ----------------------------------

def paint(colour: str, alpha: float) -> float | None:
    if not colour or colour in ("none", "transparent") or colour.startswith("url("):
        return None
    return contrast(over(colour, alpha))


def chart_contrast(page, root: str | None = None) -> tuple[float, float]:
    """(lowest text ratio, lowest mark ratio) of the chart SVGs; asserts 4.5:1 and 3:1.
    A mark's ratio is that of its most visible edge: its fill or its outline."""
    found = probe(page, "marks", root)
    assert found["text"] and found["marks"]
    assert all(b == "rgb(255, 255, 255)" for b in found["backgrounds"]), found["backgrounds"]
    lowest_text = min(paint(t["fill"], t["alpha"]) or 21 for t in found["text"])
    bad = [t for t in found["text"] if (paint(t["fill"], t["alpha"]) or 21) < 4.5]
    assert not bad, f"text under 4.5:1: {bad[:5]}"
    ratios = []
    for m in found["marks"]:
        edges = [paint(m["fill"], m["fillAlpha"])]
        if m["strokeWidth"] >= 1:
            edges.append(paint(m["stroke"], m["strokeAlpha"]))
        best = max((e for e in edges if e is not None), default=None)
        assert best is not None and best >= 3.0, f"mark under 3:1: {m} ({best})"
        ratios.append(best)
    return lowest_text, min(ratios)


def assert_structure(page, title: str | None = None) -> dict:
    s = probe(page, "structure")
    assert s["lang"] == "nb" and s["h1"] == 1 and s["main"] == 1, s
    levels = s["levels"]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), s
    if title:
        assert s["title"] == title, s
    return s


@pytest.mark.parametrize("name", DASHBOARDS)
def test_contrast_structure_and_reflow(name, browser, server, axe_js):
    with open_tab(browser) as tab:
        page = tab.page
        open_dashboard(page, server, name)
        chart_contrast(page)
        s = assert_structure(page, f"{name} – e-helse workbench")
        links = [link for footer in s["footer"] for link in footer]
        assert [text for text, _ in links] == ["Tilgjengelighetserklæring"], s["footer"]
        assert links[0][1].endswith(STATEMENT)
        for width in (320, 640):  # 1280 px at 400 % and at 200 % zoom
            page.set_viewport_size({"width": width, "height": 800})
            page.wait_for_function(f"window.innerWidth === {width}")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            assert probe(page, "reflow") == [], f"{name} at {width} px"
            axe(page, axe_js, f"{name} at {width} px")
        # The tables reflow too (opened at 320 px): the page does not scroll sideways.
        page.set_viewport_size({"width": 320, "height": 800})
        page.wait_for_function("window.innerWidth === 320")
        for toggle in page.locator("button.wb-table-toggle").all():
            toggle.click()
        assert probe(page, "reflow") == [], f"{name} at 320 px, tables open"
        axe(page, axe_js, f"{name} at 320 px, tables open")
        assert not tab.errors, tab.errors


# --- 4. the scheduled reports -----------------------------------------------------------

@pytest.fixture(scope="module")
def scheduled(server, tmp_path_factory):
    """`workbench schedule` with the repository's reports.toml (against the database the
    server built), its run folder served as plain files on 127.0.0.1 (as on an intranet
    web server): the URL of every page, index.html included."""
    out = tmp_path_factory.mktemp("scheduled")
    db = Path(server.log_path).parent / "data" / "warehouse.duckdb"
    rc = cli.main(["schedule", "--config", str(ROOT / "reports.toml"), "--db", str(db),
                   "--output", str(out)])
    assert rc == 0
    run = (out / "latest").resolve()
    pages = sorted(p.name for p in run.glob("*.html"))
    assert len(pages) >= 8  # 7 reports and the index
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(run))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield [f"http://127.0.0.1:{site.server_port}/{name}" for name in pages]
    site.shutdown()
    site.server_close()


def test_every_scheduled_report_passes_axe_and_describes_its_charts(browser, scheduled,
                                                                     axe_js):
    lowest = []
    with open_tab(browser) as tab:
        page = tab.page
        for url in scheduled:
            name = url.rsplit("/", 1)[1]
            page.set_viewport_size({"width": 1280, "height": 900})
            assert page.goto(url).status == 200
            axe(page, axe_js, name)
            assert_structure(page)
            info = probe(page, "report")
            # Tab stops: links and the tables' «Vis som tabell», nothing else.
            assert set(info["stops"]) <= {"A", "SUMMARY"}, (name, info["stops"])
            if name == "index.html":
                continue
            assert info["svgs"], name
            for svg in info["svgs"]:
                assert svg["role"] == "img" and svg["title"] == svg["visibleTitle"], svg
                assert svg["desc"] and svg["desc"].startswith(KINDS), svg
                for shown in largest_shown(svg["shown"]).values():
                    assert shown in svg["desc"], (name, shown, svg["desc"])
                assert svg["rows"] > 0, f"{name}: no table after {svg['title']}"
            lowest.append(chart_contrast(page))
            # A table opens by keyboard and reflows at 320 px with the page.
            summary = page.locator("details.wb-table-details > summary").first
            summary.focus()
            page.keyboard.press("Enter")
            assert page.locator("details.wb-table-details").first.evaluate("d => d.open")
            page.set_viewport_size({"width": 320, "height": 800})
            page.wait_for_function("window.innerWidth === 320")
            assert probe(page, "reflow") == [], f"{name} at 320 px"
            axe(page, axe_js, f"{name} at 320 px")
    assert lowest


# --- 5. error pages, the landing list, the tilgjengelighetserklæring --------------------

def test_error_pages_and_the_statement(browser, server, axe_js, tmp_path):
    with open_tab(browser) as tab:
        page = tab.page
        response = page.goto(server.page("Finnes_ikke.ipynb"))
        assert response.status == 404
        axe(page, axe_js, "404")
        assert_structure(page, "404 – e-helse workbench")
        assert "Adressen peker ikke" in page.locator("main [role=alert]").inner_text()

        response = page.goto(server.url + STATEMENT)
        assert response.status == 200
        axe(page, axe_js, "tilgjengelighetserklæringen")
        s = assert_structure(page)
        assert s["title"].startswith("Tilgjengelighetserklæring")
        text = page.locator("main").inner_text()
        for part in ("I hvilken grad", "Meld gjerne fra", "Klage", "ikke i samsvar",
                     "1.1.1", "Hvordan løsningen er testet", "Ikke testet"):
            assert part in text, part

    # The 503 page («prøv igjen om litt») and the plain list at / (no Oversikt here),
    # from a server with room for one kernel.
    project = make_project(tmp_path, [NOTEBOOKS / "Trivial.ipynb"])
    with testing.start(project / "dashboards", db=project / "data" / "warehouse.duckdb",
                       data=project / "data", log_path=tmp_path / "serve.log", pool=False,
                       voila_args="--VoilaConfiguration.preheat_kernel=False "
                                  "--CappedKernelManager.max_kernels=1") as srv, \
            open_tab(browser) as tab:
        page = tab.page
        response = page.goto(srv.url)
        assert response.status == 200
        axe(page, axe_js, "/ (list)")
        assert_structure(page, "Dashbord – e-helse workbench")
        with urllib.request.urlopen(srv.page("Trivial.ipynb")) as first:  # takes the kernel
            assert first.status == 200
        response = page.goto(srv.page("Trivial.ipynb"))
        assert response.status == 503
        axe(page, axe_js, "503")
        assert_structure(page, "Opptatt – prøver igjen – e-helse workbench")
        assert "prøver igjen av seg selv" in page.locator("main [role=alert]").inner_text()


def test_connection_lost_message_passes_axe(browser, server, axe_js):
    """The page whose kernel is gone (kernel-watch.js): announced, focused, axe-clean."""
    with open_tab(browser) as tab:
        page = tab.page
        open_dashboard(page, server, "Oversikt")
        kernel = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                               ".textContent).kernelId")
        with httpx.Client(base_url=server.url, timeout=30) as c:
            c.get("voila/tree/")
            assert c.post(f"voila/api/shutdown/{kernel}",
                          data={"_xsrf": c.cookies.get("_xsrf")}).status_code == 204
        alert = page.locator('main .wb-frakoblet[role="alert"]')
        alert.wait_for(timeout=30_000)
        assert page.evaluate("document.activeElement.textContent") == "Last inn siden på nytt"
        axe(page, axe_js, "Oversikt, forbindelsen brutt")
        assert_structure(page, "Oversikt – e-helse workbench")


def test_nginx_page_when_no_replica_answers(browser, axe_js, tmp_path):
    """deploy/nginx/workbench.conf's own page (every replica down): Norwegian, announced,
    axe-clean, no timed reload the viewer could not stop."""
    if not Path(testing.NGINX).exists():
        pytest.fail(f"{testing.NGINX} is missing (.ci/run installs Debian's nginx)")
    down = [f"127.0.0.1:{testing.free_port()}", f"127.0.0.1:{testing.free_port()}"]
    with testing.start_nginx(down, workdir=tmp_path) as proxy, open_tab(browser) as tab:
        page = tab.page
        response = page.goto(proxy.url + "voila/render/Oversikt.ipynb")
        assert response.status == 503 and response.headers["retry-after"] == "10"
        axe(page, axe_js, "nginx: ingen replika svarer")
        assert_structure(page, "Ikke tilgjengelig – e-helse workbench")
        assert "Prøv igjen om litt" in page.locator("main [role=alert]").inner_text()
        assert page.locator("meta[http-equiv=refresh]").count() == 0
