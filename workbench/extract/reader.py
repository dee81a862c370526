"""Reading a meeting paper into pages of numbered lines: plain text, PDF, scans.

Plain text is UTF-8 (with or without BOM; Windows-1252 is read too); a form feed starts a
new page, so a text file without one is a single page whose line numbers are the file's.
PDF pages are read from their text layer with pdfplumber; a page without one is a scan:
it is reported, and with ``ocr=True`` it is rendered and read by Tesseract, like an image
file. Words far apart on a PDF or OCR line are joined by a tab (table columns), and a
wide vertical gap becomes an empty line (a new block), so the same table and paragraph
rules apply to every kind of input.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import WorkbenchError
from ..readers import decode
from .document import OCR, PDF, SCANNED, TEXT, Document, Line, Page

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")
OCR_RESOLUTION = 300  # dpi used to render a scanned PDF page for Tesseract
OCR_TIMEOUT = 300  # seconds per page


def read(path: str | os.PathLike, *, ocr: bool = False, lang: str = "nor") -> Document:
    """The document at ``path`` as pages of lines (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise WorkbenchError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return Document(path, "pdf", _pdf_pages(path, ocr=ocr, lang=lang))
    if suffix in IMAGE_SUFFIXES:
        if not ocr:
            return Document(path, "image", [Page(1, SCANNED)])
        return Document(path, "image", ocr_image(path, lang=lang))
    data = path.read_bytes()
    if data.startswith(b"%PDF"):
        return Document(path, "pdf", _pdf_pages(path, ocr=ocr, lang=lang))
    if b"\0" in data[:4096]:
        raise WorkbenchError(f"{path.name}: not a text file, PDF or image")
    text, _ = decode(data)
    return Document(path, "text", text_pages(text))


def text_pages(text: str) -> list[Page]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pages = []
    for n, chunk in enumerate(text.split("\f"), start=1):
        rows = chunk.split("\n")
        if rows and rows[-1] == "" and n == len(text.split("\f")):
            rows.pop()  # the file's final newline does not start a line
        pages.append(Page(n, TEXT, [Line(n, i, t) for i, t in enumerate(rows, start=1)]))
    return pages


# --- PDF -------------------------------------------------------------------------------

def _pdf_pages(path: Path, *, ocr: bool, lang: str) -> list[Page]:
    import pdfplumber  # imported here: only PDFs need it
    from pdfplumber.utils.exceptions import PdfminerException

    pages: list[Page] = []
    try:
        pdf = pdfplumber.open(path)
    except PdfminerException as exc:
        raise WorkbenchError(f"{path.name}: not a readable PDF ({exc})") from None
    with pdf:
        for n, page in enumerate(pdf.pages, start=1):
            words = page.extract_words(x_tolerance=1.5, y_tolerance=2.5)
            if any(w["text"].strip() for w in words):
                boxes = [(w["x0"], w["x1"], w["top"], w["bottom"], w["text"], None)
                         for w in words]
                pages.append(Page(n, PDF, _lines(n, _group_rows(boxes))))
            elif ocr:
                image = page.to_image(resolution=OCR_RESOLUTION).original
                with tempfile.TemporaryDirectory() as tmp:
                    png = Path(tmp) / f"page-{n}.png"
                    image.save(png)
                    lines = ocr_image(png, lang=lang)[0].lines
                pages.append(Page(n, OCR, [Line(n, ln.number, ln.text, ln.ocr_confidence)
                                           for ln in lines]))
            else:
                pages.append(Page(n, SCANNED))
    return pages


def _group_rows(boxes: list[tuple]) -> list[list[tuple]]:
    """Words (x0, x1, top, bottom, text, conf) grouped into visual rows, top to bottom:
    a word joins a row when its vertical middle lies within the row's extent."""
    rows: list[list] = []  # [top, bottom, words]
    for b in sorted(boxes, key=lambda b: (b[2] + b[3]) / 2):
        middle = (b[2] + b[3]) / 2
        for row in reversed(rows[-3:]):
            if row[0] <= middle <= row[1]:
                row[2].append(b)
                break
        else:
            rows.append([b[2], b[3], [b]])
    rows.sort(key=lambda r: r[0])
    return [sorted(r[2], key=lambda b: b[0]) for r in rows]


def _lines(page: int, rows: list[list[tuple]]) -> list[Line]:
    """Rows of words as text lines: a wide horizontal gap is a tab; a vertical gap well
    above the page's usual line spacing is an empty line."""
    out: list[Line] = []
    tops = [min(b[2] for b in r) for r in rows]
    heights = [max(1.0, sorted(b[3] - b[2] for b in r)[len(r) // 2]) for r in rows]
    pitches = sorted(b - a for a, b in itertools.pairwise(tops) if b > a)
    usual = pitches[len(pitches) // 2] if len(pitches) >= 3 else None
    for i, row in enumerate(rows):
        height = heights[i]
        if i:
            pitch = tops[i] - tops[i - 1]
            wide = pitch > 1.45 * usual if usual else pitch > 2.2 * height
            if wide:
                out.append(Line(page, len(out) + 1, ""))
        parts = [row[0][4]]
        for a, b in itertools.pairwise(row):
            parts.append("\t" if b[0] - a[1] > 1.2 * height else " ")
            parts.append(b[4])
        confs = [b[5] for b in row if b[5] is not None]
        conf = sum(confs) / len(confs) if confs else None
        out.append(Line(page, len(out) + 1, "".join(parts), conf))
    return out


# --- OCR -------------------------------------------------------------------------------

def tesseract_available(lang: str = "nor") -> str | None:
    """None when Tesseract can read ``lang``; otherwise what is missing, for people."""
    exe = shutil.which("tesseract")
    if not exe:
        return ("Tesseract is not installed (Debian: apt-get install tesseract-ocr "
                "tesseract-ocr-nor)")
    out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True,
                         check=False)
    langs = set((out.stdout + out.stderr).split())
    missing = [x for x in lang.split("+") if x not in langs]
    if missing:
        return (f"Tesseract has no language data for {'+'.join(missing)} (Debian: "
                f"apt-get install tesseract-ocr-{missing[0]})")
    return None


def ocr_image(path: Path, *, lang: str = "nor") -> list[Page]:
    """Pages of an image file (a multi-page TIFF has several) read by Tesseract."""
    problem = tesseract_available(lang)
    if problem:
        raise WorkbenchError(f"{path.name}: cannot OCR: {problem}")
    try:
        done = subprocess.run(["tesseract", str(path), "stdout", "-l", lang, "tsv"],
                              capture_output=True, text=True, timeout=OCR_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        raise WorkbenchError(f"{path.name}: Tesseract took more than {OCR_TIMEOUT} s") \
            from None
    if done.returncode != 0:
        raise WorkbenchError(f"{path.name}: Tesseract failed: {done.stderr.strip()}")
    return _tsv_pages(done.stdout)


def _tsv_pages(tsv: str) -> list[Page]:
    """Tesseract's TSV (one row per word, with its box and confidence) as pages.

    The words are laid out again like a PDF's (rows by position, wide gaps as tabs, wide
    vertical gaps as empty lines), so a table that Tesseract split into blocks stays one
    table; a lone «|» (a table's ruling read as a character) separates cells.
    """
    words: dict[int, list[tuple]] = {}
    for r in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (r.get("text") or "").strip()
        if r.get("level") != "5" or not text:
            continue
        left, top = float(r["left"]), float(r["top"])
        box = (left, left + float(r["width"]), top, top + float(r["height"]), text,
               max(0.0, float(r["conf"])))
        words.setdefault(int(r["page_num"]), []).append(box)
    pages = []
    for n in sorted(words) or [1]:
        lines = _lines(n, _group_rows(words.get(n, [])))
        for line in lines:
            line.text = re.sub(r"\s*[|¦]\s*", "\t", line.text).strip("\t")
        pages.append(Page(n, OCR, lines))
    return pages
