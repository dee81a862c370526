"""The same meeting paper as a PDF (printed by Chromium in the test) and as scanned pages
(the PDF's pages rendered to images in the test, then read by Tesseract), and the review
notebook run headless on a real kernel."""
from __future__ import annotations

import html
import shutil
import subprocess

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient
from test_extract import EXPECTED, PAPER, make_workspace, mark, sha

from workbench import cli, extract
from workbench.extract import proposals as P
from workbench.extract.reader import tesseract_available

from helpers import ROOT

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    return make_workspace(tmp_path, monkeypatch)


def paper_html(text: str) -> str:
    """The paper as a web page: a table for the tab-separated rows, a page break at
    every «Side N»."""
    out = [("<html><head><meta charset='utf-8'><style>body{font:11pt 'DejaVu Sans';"
            "margin:2cm} p{margin:0 0 .3em} table{border-collapse:collapse;margin:.5em 0}"
            " td{padding:2px 14px;border:1px solid #999} .pb{break-after:page}</style>"
            "</head><body>")]
    rows: list[list[str]] = []

    def flush():
        if rows:
            out.append("<table>" + "".join("<tr>" + "".join(
                f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
                + "</table>")
            rows.clear()

    for line in text.split("\n"):
        if "\t" in line and not line[:1].isdigit():
            rows.append(line.split("\t"))
            continue
        flush()
        if line.startswith("Side "):
            out.append("<div class='pb'></div>")
        else:
            out.append(f"<p>{html.escape(line) or '&nbsp;'}</p>")
    flush()
    return "\n".join(out + ["</body></html>"])


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    if not CHROMIUM:
        pytest.skip("Debian's chromium is needed to print the test PDF (CI installs it)")
    folder = tmp_path_factory.mktemp("pdf")
    page = folder / "sakspapir.html"
    page.write_text(paper_html(PAPER.read_text(encoding="utf-8")), encoding="utf-8")
    out = folder / "ehr-2026-02-sakspapir.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--print-to-pdf={out}", str(page)],
                   check=True, capture_output=True, timeout=120)
    return out


@pytest.fixture(scope="module")
def scans(pdf, tmp_path_factory):
    """Pages 2 and 3 of the PDF (sak 03/26 and 04/26) as a scan: images only."""
    import pdfplumber

    missing = tesseract_available("nor")
    if missing:
        pytest.skip(f"{missing} (CI installs it)")
    folder = tmp_path_factory.mktemp("scan")
    with pdfplumber.open(pdf) as doc:
        images = [doc.pages[i].to_image(resolution=200).original.convert("L")
                  for i in (1, 2)]
    png = folder / "side2.png"
    images[0].save(png)
    scanned = folder / "skannet.pdf"
    images[0].save(scanned, save_all=True, append_images=images[1:], resolution=200)
    return png, scanned


def expected_for(saks: tuple[str, ...]):
    return [(v, u, c) for _, v, u, c, loc in EXPECTED if loc.split(",")[0] in saks]


def test_pdf_gives_the_same_figures_with_page_and_line(pdf):
    r = extract.propose(pdf, compare=False)
    assert [p.kind for p in r.document.pages] == ["pdf"] * 4 and not r.scanned_pages
    assert [(p.value, p.unit, p.confidence) for p in r.proposals] == [
        (v, u, c) for _, v, u, c, _ in EXPECTED]
    for p in r.proposals:
        line = r.document.line(p.page, p.line).text
        assert p.raw in line and p.locator.endswith(f"s. {p.page}, linje {p.line}")
    pages = {p.locator.split(",")[0]: p.page for p in r.proposals}
    assert pages == {"Sak 02/26": 1, "Sak 03/26": 2, "Sak 04/26": 3}
    table = next(p for p in r.proposals if p.value == "9850000")
    assert (table.label, table.dataset) == ("Helse Nord – Tildelt", "grant_projects")
    assert table.locator == "Sak 03/26, s. 2, linje 11"


def test_a_scanned_pdf_is_reported_without_ocr(scans, capsys, tmp_path):
    _, scanned = scans
    r = extract.propose(scanned, compare=False)
    assert r.scanned_pages == [1, 2] and r.proposals == []
    out = tmp_path / "skannet.forslag.csv"
    assert cli.main(["extract", str(scanned), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "skannet.pdf: page 1 has no text layer (a scan?); run with --ocr" in err
    assert "page 2 has no text layer" in err and P.read(out) == []


def test_scanned_pages_are_read_with_ocr_at_low_confidence(scans):
    _, scanned = scans
    r = extract.propose(scanned, ocr=True, compare=False)
    assert [p.kind for p in r.document.pages] == ["ocr", "ocr"]
    got = [(p.value, p.unit) for p in r.proposals]
    assert got == [(v, u) for v, u, _ in expected_for(("Sak 03/26", "Sak 04/26"))]
    assert {p.confidence for p in r.proposals} == {"low"}
    assert all("OCR" in p.note for p in r.proposals)
    for p in r.proposals:
        assert p.raw in r.document.line(p.page, p.line).text
    by = {p.value: p for p in r.proposals}
    assert by["9850000"].locator == "Sak 03/26, s. 1, linje 11"
    assert by["3,62"].locator == "Sak 04/26, s. 2, linje 11"


def test_an_image_file_is_read_with_ocr_and_loaded_end_to_end(scans, workspace, capsys):
    png, _ = scans
    db, _, _ = workspace
    image = db.parent / png.name
    image.write_bytes(png.read_bytes())
    assert cli.main(["extract", str(image), "--ocr", "--source-id", "ehr-2023-12"]) == 0
    capsys.readouterr()
    forslag = image.with_name("side2.forslag.csv")
    props = P.read(forslag)
    assert [(p.value, p.confidence) for p in props][:2] == [("212", "low"),
                                                            ("401200000", "low")]
    mark(forslag, {(p.line, p.value): {"accept": "ja", "key": "hto-test-2026"}
                   for p in props if p.value == "401200000"})
    assert cli.main(["accept", str(forslag)]) == 0
    assert "Loaded 1 row(s) into grant_rounds" in capsys.readouterr().out
    with duckdb.connect(str(db), read_only=True) as con:
        [(src, conf, note)] = con.execute(
            "SELECT source_id, confidence, note FROM grant_rounds WHERE scheme_id = "
            "'hto-test-2026'").fetchall()
    assert (src, conf) == ("ehr-2023-12", "low")
    assert "side2.png" in note and "lest med OCR (Tesseract)" in note


def test_review_notebook_runs_headless_and_loads_in_the_kernel(workspace):
    db, data, paper = workspace
    before = sha(db)
    path = ROOT / "notebooks" / "06_nye_tall.ipynb"
    nb = nbformat.read(path, as_version=4)
    params = next(i for i, c in enumerate(nb.cells) if "parameters" in
                  c.metadata.get("tags", []))
    nb.cells.insert(params + 1, nbformat.v4.new_code_cell(f"DOKUMENT = {str(paper)!r}"))
    # What an analyst does with the widget, then what they would see.
    nb.cells.append(nbformat.v4.new_code_cell(
        "i = next(i for i, p in enumerate(gjennomgang.proposals) if p.value == '185500000')\n"
        "gjennomgang.decide(i, 'ja')\n"
        "gjennomgang.confirm_sources.value = True\n"
        "gjennomgang.load_button.click()\n"
        "assert 'Lastet inn:</b> 6 i sources, 1 i budget_lines' in "
        "gjennomgang.message.value, gjennomgang.message.value\n"
        "print(gjennomgang.message.value)"))
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(db.parent)}})
    client.execute()
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in shown if o.output_type == "error"]
    widgets = [o for o in shown if "application/vnd.jupyter.widget-view+json"
               in o.get("data", {})]
    assert widgets, "the review widget is displayed"
    assert sha(db) != before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT amount_nok, locator FROM budget_lines WHERE line_id = "
                           "'helseteknologiordningen-2027'").fetchall() == [
            (185_500_000, "Sak 02/26, linje 25")]
    assert list((data / "loads" / "budget_lines").iterdir())
