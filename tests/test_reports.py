"""Report runner: `workbench report` and `workbench schedule`, end to end.

The slow tests start real kernels through real papermill and open the HTML in headless
Chromium with every request that is not file:// aborted (and counted).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workbench import chart_render, cli, reports
from workbench.builder import build
from workbench.errors import WorkbenchError
from workbench.reports import export, kernel, pool

from helpers import ROOT

FIXTURES = Path(__file__).resolve().parent / "reports_fixtures"
ROOT_DIR = Path(__file__).resolve().parent.parent
REPORTS = sorted((ROOT / "notebooks" / "reports").glob("*.ipynb"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports-db") / "warehouse.duckdb"
    build(ROOT / "data", path)
    return path


@pytest.fixture
def no_kernels(monkeypatch):
    """Fails the test if anything tries to start a kernel."""
    def refuse(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(kernel.Kernel, "start", refuse)
    from jupyter_client import AsyncKernelManager, KernelManager
    monkeypatch.setattr(AsyncKernelManager, "start_kernel", refuse)
    monkeypatch.setattr(KernelManager, "start_kernel", refuse)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- parameters, validated without a kernel -------------------------------------------

def test_parameters_are_read_from_the_parameters_cell_without_running_it(tmp_path):
    src = ("import datetime\n"
           "aar = 2024  # budsjettår\n"
           "faktor = 1.5\n"
           "vis: bool = False\n"
           "navn = 'Alle'\n"
           "grupper = ['a', 'b']\n"
           "grense: Optional[int] = None\n"
           "dato = str(datetime.date.today())\n"
           "x, y = 1, 2\n")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "language": "python", "display_name": "Python 3"}})
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tittel"), cell]
    nbformat.write(nb, tmp_path / "r.ipynb")
    r = reports.read(tmp_path / "r.ipynb")
    p = r.params
    assert r.title == "Tittel"
    assert list(p) == ["aar", "faktor", "vis", "navn", "grupper", "grense", "dato"]
    assert (p["aar"].kind, p["aar"].default, p["aar"].help) == ("int", 2024, "budsjettår")
    assert [p[k].kind for k in ("faktor", "vis", "navn", "grupper")] == \
        ["float", "bool", "str", "list"]
    assert p["grense"].kind == "int" and p["grense"].optional
    assert p["dato"].kind == "any"
    assert r.validate({"grense": "null", "vis": "sann"}, from_text=True) == \
        {"vis": True, "grense": None}


def test_values_from_the_command_line_get_the_type_of_the_default():
    r = reports.read(FIXTURES / "enkel.ipynb")
    got = r.validate({"aar": "2025", "faktor": "2", "vis_tabell": "nei",
                      "grupper": '["x", "y", "z"]', "tittel": "2024"}, from_text=True)
    assert got == {"aar": 2025, "tittel": "2024", "faktor": 2.0, "vis_tabell": False,
                   "grupper": ["x", "y", "z"]}
    assert r.validate({"aar": 2026, "faktor": 3}) == {"aar": 2026, "faktor": 3.0}
    for bad in ({"aar": "2024.5"}, {"aar": "tjue"}, {"vis_tabell": "kanskje"},
                {"grupper": "x"}):
        with pytest.raises(WorkbenchError):
            r.validate(bad, from_text=True)
    for bad in ({"aar": "2024"}, {"aar": True}, {"tittel": 5}, {"faktor": "1.5"}):
        with pytest.raises(WorkbenchError):
            r.validate(bad)


def test_unknown_parameter_is_one_line_exit_2_and_no_kernel(capsys, no_kernels, tmp_path):
    rc, out, err = run_cli(capsys, "report", "enkel", "--reports-dir", FIXTURES,
                           "-p", "aaar=2024", "--out", tmp_path)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1
    assert "unknown parameter 'aaar' (did you mean aar?)" in err
    assert not list(tmp_path.iterdir())


def test_wrong_type_is_one_line_exit_2_and_no_kernel(capsys, no_kernels, tmp_path):
    rc, _, err = run_cli(capsys, "report", "enkel", "--reports-dir", FIXTURES,
                         "-p", "aar=tjuetjuefire", "--out", tmp_path)
    assert rc == 2 and err.count("\n") == 1
    assert "parameter aar must be a whole number (default 2024), got 'tjuetjuefire'" in err


def test_unknown_report_is_one_line_exit_2_and_no_kernel(capsys, no_kernels, tmp_path):
    rc, _, err = run_cli(capsys, "report", "enkell", "--reports-dir", FIXTURES,
                         "--out", tmp_path)
    assert rc == 2 and err.count("\n") == 1
    assert "unknown report 'enkell' (did you mean enkel?)" in err
    rc, _, err = run_cli(capsys, "report", "../etc/passwd", "--reports-dir", FIXTURES)
    assert rc == 2 and "unknown report" in err


def test_bad_schedule_config_stops_before_any_kernel(capsys, no_kernels, tmp_path, db):
    cases = {
        'name = "enkel"\nparams = [{aar = "2024"}]': "parameter aar must be a whole number",
        'name = "enkel"\nparams = [{ukjent = 1}]': "unknown parameter 'ukjent'",
        'name = "finnes_ikke"': "unknown report 'finnes_ikke'",
        'name = "enkel"\nparams_query = "SELECT 1 AS nei"': "unknown parameter 'nei'",
        'name = "enkel"\nparams_query = "SELECT * FROM mangler"': "params_query failed",
        'name = "enkel"\nparmas = [{}]': "unknown key 'parmas'",
    }
    for report, message in cases.items():
        cfg = write_config(tmp_path / "r.toml", f'[schedule]\noutput = "out"\nreports_dir = '
                           f'"{FIXTURES}"\n[[report]]\n{report}\n')
        rc, _, err = run_cli(capsys, "schedule", "--config", cfg, "--db", db)
        assert rc == 2 and message in err and err.count("\n") == 1, (report, err)
    assert not (tmp_path / "out").exists()
    cfg = write_config(tmp_path / "r.toml", f'[schedule]\nreports_dir = "{FIXTURES}"\n'
                       '[[report]]\nname = "enkel"\n')
    rc, _, err = run_cli(capsys, "schedule", "--config", cfg, "--db", db, "--only", "x")
    assert rc == 2 and "--only x: not in r.toml" in err


def test_params_query_expands_into_one_run_per_row(capsys, no_kernels, tmp_path, db):
    cfg = write_config(tmp_path / "r.toml", f'''
[schedule]
reports_dir = "{FIXTURES}"
[[report]]
name = "enkel"
params = [{{tittel = "Kort"}}, {{tittel = "Lang"}}]
params_query = "SELECT DISTINCT year AS aar FROM vft_recipients ORDER BY 1"
''')
    rc, out, _ = run_cli(capsys, "schedule", "--config", cfg, "--db", db, "--dry-run")
    assert rc == 0
    stems = [line.split("\t")[2] for line in out.splitlines()]
    assert stems == ["enkel_aar-2017_tittel-kort", "enkel_aar-2024_tittel-kort",
                     "enkel_aar-2017_tittel-lang", "enkel_aar-2024_tittel-lang"]


def test_output_names_come_from_report_and_parameters():
    assert reports.output_stem("budsjett", {}) == "budsjett"
    assert reports.output_stem("b", {"aar": 2026, "omraade": "Helse Sør-Øst/Æ å"}) == \
        "b_aar-2026_omraade-helse-sor-ost-ae-a"
    assert reports.output_stem("b", {"vis": True, "g": [1, 2]}) == "b_vis-true_g-1-2"
    assert len(reports.output_stem("b", {"x": "y" * 500})) <= 120


def test_the_shipped_reports_toml_is_valid(db, no_kernels):
    cfg = reports.load_config(ROOT / "reports.toml")
    jobs = reports.plan(cfg, db)
    assert jobs and len({j.stem for j in jobs}) == len(jobs)


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_report_notebooks_follow_the_conventions(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert cells[0]["cell_type"] == "markdown"
    intro = "".join(cells[0]["source"])
    report = reports.read(path)
    assert report.params, "a report has parameters"
    for name in report.params:
        assert f"`{name}`" in intro, f"{name} is described in the first markdown cell"
    headings = [line for c in cells if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert headings[-1] == "## Om dataene"
    for c in cells:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None


def test_html_for_readers_has_no_code_and_loads_nothing():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Tittel\n\nTekst med [lenke](https://example.org)."),
        nbformat.v4.new_code_cell("hemmelig_kode = 1", outputs=[
            nbformat.v4.new_output("stream", name="stderr", text="advarsel\n"),
            nbformat.v4.new_output("display_data", data={
                "image/svg+xml": '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
                                 '<defs><clipPath id="c"><rect/></clipPath></defs>'
                                 '<g class="mark-rect" clip-path="url(#c)"><path d="M0,0"/>'
                                 '</g><script>alert(1)</script></svg>',
                "text/plain": "<SVG>"}),
        ]),
        nbformat.v4.new_code_cell("skjult = 2", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="synlig\n")], metadata={"tags": ["skjul"]}),
    ])
    page = export.to_html(nb, "Tittel")
    assert "hemmelig_kode" not in page and "skjult" not in page
    assert "advarsel" not in page and "alert(1)" not in page and "<script" not in page
    assert 'id="wb1-c"' in page and "url(#wb1-c)" in page
    assert export.external_resources(page) == []
    assert '<html lang="nb">' in page
    cdn = ('<script src="https://cdnjs.cloudflare.com/x.js"></script>'
           '<link rel="stylesheet" href="//fonts.example/f.css">'
           '<style>@import url("https://f"); </style><a href="https://ok">ok</a>')
    assert export.external_resources(cdn) == [
        "https://cdnjs.cloudflare.com/x.js", "//fonts.example/f.css", "https://f"]


def test_report_charts_are_named_described_and_tabled(db):
    """Each chart SVG is an image named by its title and described from its data (ids
    unique on the page), its «Vis som tabell» follows it, cells are no tab stops, and
    the footer is outside <main>. (Axe and keyboard: tests/browser/test_accessibility.py.)"""
    from bs4 import BeautifulSoup

    from workbench import chart_text, charts, queries

    outputs = []
    for year in (2024, 2026):
        df = queries.run("budget_breakdown", {"year": year, "parent": f"hto-{year}"}, db=db)
        spec = charts.budget_breakdown(df, f"HTO {year}").to_dict()
        outputs += [nbformat.v4.new_output("display_data", data={
                        "image/svg+xml": chart_render.svg_from_spec(spec), "text/plain": "<SVG>"}),
                    nbformat.v4.new_output("display_data", data={
                        "text/html": chart_text.details_html(chart_text.from_spec(spec)),
                        "text/plain": "<HTML>"})]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Tittel\n\n## Del"),
        nbformat.v4.new_code_cell("x = 1", outputs=outputs)])
    soup = BeautifulSoup(export.to_html(nb, "Tittel", footer="Laget nå"), "html.parser")
    svgs = soup.select("svg.marks")
    assert len(svgs) == 2
    for svg, year in zip(svgs, (2024, 2026), strict=True):
        assert svg["role"] == "img"
        title = soup.find(id=svg["aria-labelledby"])
        desc = soup.find(id=svg["aria-describedby"])
        assert title.name == "title" and title.text == f"HTO {year}"
        assert desc.name == "desc" and desc.text.startswith(f"Stolpediagram, HTO {year}")
    assert svgs[0]["aria-labelledby"] != svgs[1]["aria-labelledby"]
    tables = soup.select("details.wb-table-details table.wb-table")
    assert [t.caption.text for t in tables] == ["HTO 2024", "HTO 2026"]
    assert soup.select("[tabindex]") == soup.select(".wb-table-wrap")  # only the tables
    footer = soup.find("footer")
    assert footer.text == "Laget nå" and footer.find_parent("main") is None
    assert soup.find("main").find("h1").text.startswith("Tittel")


def test_a_chart_without_a_workbench_name_is_named_by_its_vega_title():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" class="marks"><g class="mark-text '
           'role-title-text" aria-label="Title text \'Egen graf\'"><text>Egen graf</text>'
           '</g></svg>')
    out = export.inline_svg(svg, "wb3-")
    assert out.startswith('<svg role="img" aria-labelledby="wb3-wb-')
    assert "<title id=\"wb3-wb-" in out and ">Egen graf</title>" in out
    assert export.inline_svg('<svg class="marks"><path/></svg>', "wb4-") == \
        '<svg class="marks"><path/></svg>'  # nothing to name it by: left as it is


def test_retention_keeps_the_newest_runs(tmp_path):
    for name in ("20260101-030000", "20260102-030000", "20260102-030000-2",
                 "20260103-030000", "not-a-run"):
        (tmp_path / name).mkdir()
    deleted = reports.prune(tmp_path, 2)
    assert sorted(p.name for p in deleted) == ["20260101-030000", "20260102-030000"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "20260102-030000-2", "20260103-030000", "not-a-run"]


# --- real kernels ---------------------------------------------------------------------

def check_in_browser(pages: list[Path]) -> list[dict]:
    """Open each page offline; every chart drawn, no code, nothing fetched."""
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            for page_path in pages:
                page = browser.new_page()
                attempted: list[str] = []

                def route(r, attempted=attempted):
                    if r.request.url.startswith("file://"):
                        r.continue_()
                    else:
                        attempted.append(r.request.url)
                        r.abort()

                page.route("**/*", route)
                page.goto(page_path.as_uri(), wait_until="load")
                info = page.evaluate("""() => ({
                    charts: [...document.querySelectorAll('.jp-RenderedSVG > svg')].map(s => ({
                        marks: s.querySelectorAll('g[class*="mark-"] path, g[class*="mark-"] '
                               + 'rect, g[class*="mark-"] line, g[class*="mark-"] text').length,
                        width: s.getBoundingClientRect().width,
                        height: s.getBoundingClientRect().height})),
                    code: document.querySelectorAll('.jp-CodeCell .jp-InputArea, '
                          + '.jp-InputPrompt, .jp-OutputPrompt, .CodeMirror, .highlight').length,
                    scripts: document.querySelectorAll('script').length,
                    text: document.body.innerText})""")
                info["attempted"] = attempted
                found.append(info)
                page.close()
        finally:
            browser.close()
    for info in found:
        assert info["attempted"] == [], info["attempted"]
        assert info["code"] == 0 and info["scripts"] == 0
        for chart in info["charts"]:
            assert chart["marks"] > 0 and chart["width"] > 100 and chart["height"] > 50
    return found


def svg_outputs(notebook: Path) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum("image/svg+xml" in o.get("data", {}) for c in nb.cells
               if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_report_writes_offline_html_without_code_and_the_executed_notebook(
        capsys, tmp_path, db):
    rc, out, err = run_cli(capsys, "report", "velferdsteknologi", "-p", "fra_aar=2017",
                           "--db", db, "--out", tmp_path, "--timeout", 120)
    assert rc == 0, err
    html = tmp_path / "velferdsteknologi_fra_aar-2017.html"
    notebook = tmp_path / "velferdsteknologi_fra_aar-2017.ipynb"
    assert out.strip() == str(html) and notebook.exists()
    text = html.read_text(encoding="utf-8")
    assert "import workbench" not in text and "con.sql(" not in text
    (info,) = check_in_browser([html])
    assert len(info["charts"]) == svg_outputs(notebook) >= 1
    # Norwegian formatting groups thousands with a no-break space.
    assert "Om dataene" in info["text"] and "95\u00a0718" in info["text"]


@pytest.mark.slow
def test_schedule_with_a_failing_report_keeps_going_and_says_where(capsys, tmp_path, db):
    out = tmp_path / "out"
    for old in ("20200101-030000", "20200102-030000", "20200103-030000"):
        (out / old).mkdir(parents=True)
    cfg = write_config(tmp_path / "reports.toml", f'''
[schedule]
output = "out"
reports_dir = "{FIXTURES}"
keep = 2
workers = 2
timeout = 60
[[report]]
name = "enkel"
params = [{{}}, {{aar = 2025, grupper = ["x", "y"]}}]
[[report]]
name = "feiler"
[[report]]
name = "treg"
timeout = 2
''')
    rc, _, err = run_cli(capsys, "schedule", "--config", cfg, "--db", db)
    assert rc == 1, err
    run = (out / "latest").resolve()
    m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    by = {r["html"] or r["notebook"]: r for r in m["reports"]}
    assert m["status"] == "failed" and m["counts"] == {"ok": 2, "failed": 2}
    assert [r["status"] for r in m["reports"]] == ["ok", "ok", "failed", "timeout"]

    failed = by["feiler.ipynb"]
    assert failed["error"] == "RuntimeError: bevisst feil for 2024"
    assert failed["failed_cell"] == {"index": 3, "id": "feilcelle", "tags": ["feilcelle"],
                                     "first_line": 'raise RuntimeError(f"bevisst feil for {aar}")'}
    assert not (run / "feiler.html").exists()
    executed = nbformat.read(run / "feiler.ipynb", as_version=4)
    errors = [c for c in executed.cells if c.cell_type == "code"
              and any(o.output_type == "error" for o in c.outputs)]
    assert [c.id for c in errors] == ["feilcelle"]
    assert not [c for c in executed.cells if c.get("id") == "etter" and c.outputs]

    slow = by["treg.ipynb"]
    assert slow["error"] == "timed out after 2 s" and slow["failed_cell"]["id"] == "sov"

    for r in m["reports"][:2]:
        assert (run / r["html"]).exists() and (run / r["notebook"]).exists()
        assert r["parameters"] in ({}, {"aar": 2025, "grupper": ["x", "y"]})
    index = (run / "index.html").read_text(encoding="utf-8")
    for r in m["reports"][:2]:
        assert f'href="{r["html"]}"' in index
    assert "Feilet" in index and "celle 3" in index and "Tidsavbrudd" in index

    # Retention: this run and the newest old one.
    assert sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink()) == \
        ["20200103-030000", run.name]

    pages = [run / r["html"] for r in m["reports"][:2]] + [run / "index.html"]
    infos = check_in_browser(pages)
    for page, info in zip(pages[:2], infos[:2], strict=True):
        assert len(info["charts"]) == svg_outputs(page.with_suffix(".ipynb")) == 2
        assert str(db.resolve()) in info["text"]  # the kernel got the database's absolute path


@pytest.mark.slow
def test_one_warm_kernel_runs_reports_in_clean_namespaces(tmp_path, db, monkeypatch):
    """lekker changes state in every way it can; sjekk_ren fails if any of it is left.

    The first kernel start fails on purpose: the retry starts another.
    """
    starts = []
    real_start = kernel.Kernel.start

    def flaky_start(self, cwd):
        starts.append(cwd)
        if len(starts) == 1:
            raise kernel.KernelStartError("RuntimeError: Kernel died before replying")
        return real_start(self, cwd)

    monkeypatch.setattr(kernel.Kernel, "start", flaky_start)
    mk = lambda name, **kw: reports.Job(  # noqa: E731
        report=name, notebook=FIXTURES / f"{name}.ipynb", params={}, stem=name,
        out_dir=tmp_path, timeout=60, **kw)
    jobs = [mk("lekker"), mk("sjekk_ren"), mk("enkel"), mk("lekker"),
            mk("sjekk_ren", fresh_kernel=True)]
    jobs[3].stem, jobs[4].stem = "lekker2", "sjekk_ren2"
    outcomes = pool.run(jobs, workers=1, env=kernel.kernel_env(db),
                             warm=reports.DEFAULT_WARM)
    assert [o.status for o in outcomes] == ["ok"] * 5, [o.error for o in outcomes]
    assert outcomes[0].attempts == 2 and len(starts) == 3
    pids = [o.kernel_pid for o in outcomes]
    assert len(set(pids[:4])) == 1 and pids[4] != pids[0]  # reused; fresh one on request
    for o in outcomes:
        assert o.html.exists() and o.notebook.exists()


@pytest.mark.slow
def test_failing_report_from_the_command_line(tmp_path, db):
    env = dict(os.environ, WORKBENCH_DB=str(db))
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "report", "feiler", "--reports-dir",
         str(FIXTURES), "--out", str(tmp_path), "--timeout", "60"],
        capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1
    assert ("feiler: failed in cell 3 (raise RuntimeError(f\"bevisst feil for {aar}\")): "
            "RuntimeError: bevisst feil for 2024") in proc.stderr
    assert (tmp_path / "feiler.ipynb").exists() and not (tmp_path / "feiler.html").exists()


@pytest.mark.slow
def test_the_shipped_schedule_runs_every_report_offline(capsys, tmp_path, db):
    """The real reports with the real reports.toml: all succeed, every chart drawn."""
    rc, _, err = run_cli(capsys, "schedule", "--config", ROOT_DIR / "reports.toml",
                         "--db", db, "--output", tmp_path / "out")
    assert rc == 0, err
    run = (tmp_path / "out" / "latest").resolve()
    m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    names = sorted({r["report"] for r in m["reports"]})
    assert names == ["budsjett", "kommuner", "tilskudd", "velferdsteknologi"]
    assert all(r["status"] == "ok" for r in m["reports"])
    pages = [run / r["html"] for r in m["reports"]]
    for info in check_in_browser(pages):
        assert info["charts"], "every report draws charts"
        assert "Om dataene" in info["text"] and "Kilde" in info["text"]
