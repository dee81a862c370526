"""Extraction benchmark: `workbench extract` on the five source documents, checked against
every curated row in data/ that cites them.

For each document the extractor runs without the database (so nothing is learnt from the
curated rows), and every curated, non-derived row citing the document is looked for
among the proposals:

* **found** — a proposal has the row's value (in the dataset's unit: kroner, count, a
  share as a percentage, a mean as a score) *and* a locator at the row's place;
* **scale differs** — same place and the same digits, but a different power of ten (a
  chart whose unit the analyst inferred, e.g. «4538» read as 4 538 mill. kr);
* **elsewhere** — the value is proposed, but not at the row's place;
* **not proposed**.

"At the row's place" (the match rule): when the row's note or locator cites line
numbers («linje 114», «OCR-linje 301–302»), the proposal's line lies in the cited range;
otherwise, when the locator names a sak («Sak 14/24, …»), the proposal's locator is in
that sak; otherwise the locator's first part («Delmål 1B») is found at the start of a
document line and the proposal lies between it and the next line that starts with the
same word (the next «Delmål …»).

Noise is counted independently of the extractor's own filters: a proposal is noise when
the text it was read from is a year (a bare 1900–2100), a date, a sak number or a phone
number, by the simple patterns below.

    python benchmarks/extract.py [--seeds DIR] [--no-pdf]

Writes benchmarks/results/extract.json and the tables in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench import catalog  # noqa: E402
from workbench.builder import build  # noqa: E402
from workbench.extract import extractor  # noqa: E402

DATA = ROOT / "data"
DEFAULT_SEEDS = Path(os.environ.get("WORKBENCH_SEEDS", ROOT.parent / "shared" / "seeds"))

# The value of a curated row in proposal units: (unit, value).
def row_value(dataset: str, r: dict) -> tuple[str, Decimal] | None:
    if dataset in ("budget_lines", "grant_projects"):
        return "NOK", Decimal(r["amount_nok"])
    if dataset == "grant_rounds":
        return ("NOK" if r["measure"].endswith("_nok") else "count"), Decimal(r["value"])
    if dataset == "stated_totals":
        return ("NOK" if r["measure_column"].endswith("nok") else "count"), Decimal(r["value"])
    if dataset == "vft_recipients":
        return "count", Decimal(r["recipients"])
    if dataset in ("adoption_counts", "municipal_counts"):
        return ("NOK" if r["unit"] == "nok" else "count"), Decimal(r["value"])
    if dataset == "survey_results":
        v = Decimal(r["value"])
        if r["statistic"] == "share":
            return "percent", v * 100
        if r["statistic"] == "mean":
            return "score", v
        return "count", v
    return None


def proposal_value(p) -> Decimal | None:
    try:
        return Decimal(p.value.replace(",", "."))
    except ArithmeticError:  # decimal.InvalidOperation
        return None


_LINES = re.compile(r"linje\s+([0-9]+)(?:\s*[–-]\s*([0-9]+))?", re.IGNORECASE)
_SAK = re.compile(r"\bsak\s+([0-9]{1,3}/[0-9]{2})", re.IGNORECASE)


def place(row: dict, doc_lines: list[str]):
    """A predicate on proposals: is it at this row's place? And the rule used."""
    cited = [(int(a), int(b or a)) for a, b in _LINES.findall(row["note"] + " " +
                                                            row["locator"])]
    if cited:
        return (lambda p: any(a <= p.line <= b for a, b in cited)), "lines"
    m = _SAK.search(row["locator"])
    if m:
        sak = m.group(1)
        return (lambda p: p.locator.startswith(f"Sak {sak},")), "sak"
    anchor = row["locator"].split(",")[0].strip()
    first = anchor.split()[0] if anchor else ""
    start = next((i for i, t in enumerate(doc_lines, 1)
                  if t.strip().lower().startswith(anchor.lower())), None)
    if start is None:
        return (lambda p: False), "anchor not found"
    end = next((i for i, t in enumerate(doc_lines, 1)
                if i > start and t.strip().startswith(first)), len(doc_lines) + 1)
    return (lambda p: start <= p.line < end), f"anchor «{anchor}» (lines {start}–{end - 1})"


# --- noise oracle (independent of the extractor's filters) ----------------------------
_MONTHS = ("januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|"
           "desember|jan|feb|mar|apr|jun|jul|aug|sep|okt|nov|des")
_ORACLE = {
    "date": re.compile(rf"\b[0-9]{{1,2}}\.[0-9]{{1,2}}\.(?:[0-9]{{2}}|[0-9]{{4}})?\b"
                       rf"|\b[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}\b"
                       rf"|\b[0-9]{{1,2}}\.?\s*(?:{_MONTHS})\b", re.IGNORECASE),
    "sak": re.compile(r"\b[0-9]{1,3}/[0-9]{2}\b|\bsak(?:snummer)?\s*[0-9]+", re.IGNORECASE),
    # Norwegian numbers have eight digits, never a leading 0 or 1: 22 33 44 55 (fixed
    # lines), 412 34 567 (mobile and service numbers start with 4, 8 or 9).
    "phone": re.compile(r"(?:\+47\s?)?(?<![0-9]\s)\b[2-9][0-9]\s[0-9]{2}\s[0-9]{2}\s[0-9]{2}\b"
                        r"(?!\s[0-9])|(?<![0-9]\s)\b[4589][0-9]{2}\s[0-9]{2}\s[0-9]{3}\b(?!\s[0-9])"
                        r"|\+47\s?[0-9]{8}\b"
                        r"|\b(?:tlf|telefon|mobil)\.?:?\s*[0-9 ]{8,}", re.IGNORECASE),
}


def noise_kind(p, line_text: str) -> str | None:
    raw = p.raw
    if re.fullmatch(r"(?:19|20)[0-9]{2}", raw) and p.unit == "count":
        return "year"
    at = line_text.find(raw)
    if at < 0:
        return None
    for kind, pattern in _ORACLE.items():
        for m in pattern.finditer(line_text):
            if m.start() < at + len(raw) and at < m.end():
                digits_in = re.sub(r"[^0-9]", "", line_text[max(at, m.start()):
                                                          min(at + len(raw), m.end())])
                if digits_in:
                    return kind
    return None


# --- run --------------------------------------------------------------------------------

def curated_rows() -> dict[str, list[tuple[str, dict]]]:
    """document file name → (dataset, row) for every non-derived curated row."""
    with open(DATA / "sources.csv", encoding="utf-8") as f:
        sources = {r["source_id"]: r for r in csv.DictReader(f)}
    out: dict[str, list] = defaultdict(list)
    for name, ds in catalog.DATASETS.items():
        if "derived" not in ds.column_names or not (DATA / ds.file_name).exists():
            continue
        with open(DATA / ds.file_name, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            if r["derived"].lower() == "true":
                continue
            src = sources.get(r["source_id"])
            if src:
                out[src["document"]].append((name, r))
    return out


def match_rows(props, doc_lines: list[str], rows: list[tuple[str, dict]]) -> list[dict]:
    """Each curated row with its status among ``props`` (see the module docstring)."""
    checked = []
    for dataset, r in rows:
        unit, value = row_value(dataset, r)
        at_place, rule = place(r, doc_lines)
        same = [p for p in props if p.unit == unit and proposal_value(p) == value]
        here = [p for p in same if at_place(p)]
        status = "found" if here else None
        if not status:
            scaled = [p for p in props if at_place(p) and proposal_value(p) and value and
                      any(proposal_value(p) * Decimal(10) ** k == value
                          for k in (-9, -6, -3, 3, 6, 9))]
            status = ("scale differs" if scaled else "elsewhere" if same
                      else "not proposed")
        checked.append({
            "dataset": dataset, "source_id": r["source_id"], "value": str(value),
            "unit": unit, "confidence": r["confidence"], "locator": r["locator"],
            "rule": rule, "status": status,
            "dataset_guess_ok": bool(here) and any(p.dataset == dataset for p in here),
            "known": bool(here) and any(p.known for p in here),
            "proposed_at": sorted({p.line for p in same})[:5],
        })
    return checked


def evaluate(doc_path: Path, rows: list[tuple[str, dict]]) -> dict:
    t0 = time.perf_counter()
    result = extractor.propose(doc_path, compare=False)
    seconds = time.perf_counter() - t0
    props = result.proposals
    doc_lines = [ln.text for ln in result.document.lines]
    checked = match_rows(props, doc_lines, rows)
    noise = defaultdict(int)
    for p in props:
        kind = noise_kind(p, doc_lines[p.line - 1] if 0 < p.line <= len(doc_lines) else "")
        if kind:
            noise[kind] += 1
    return {"document": doc_path.name, "lines": len(doc_lines),
            "pages": len(result.document.pages), "seconds": round(seconds, 3),
            "proposals": len(props), "noise": dict(noise), "rows": checked}


def known_check(seeds: Path, rows: dict[str, list]) -> dict:
    """Re-reading against the curated database: of the rows found, how many are flagged
    «known» (so that re-reading a paper does not propose them as new)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "w.duckdb"
        build(DATA, db)
        out = {}
        for name, doc_rows in rows.items():
            r = extractor.propose(seeds / name, db=db)
            checked = match_rows(r.proposals, [ln.text for ln in r.document.lines],
                                 doc_rows)
            found = [c for c in checked if c["status"] == "found"]
            out[name] = {"proposals": len(r.proposals),
                         "known_proposals": sum(bool(p.known) for p in r.proposals),
                         "found_rows": len(found),
                         "found_rows_known": sum(c["known"] for c in found)}
        return out


def print_pdf(chromium: str, text: str, pdf: Path) -> None:
    import html

    page = pdf.with_suffix(".html")
    page.write_text("<meta charset='utf-8'><pre style='white-space:pre-wrap;"
                    "font:10pt DejaVu Sans Mono'>" + html.escape(text) + "</pre>",
                    encoding="utf-8")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", str(page)],
                   check=True, capture_output=True, timeout=180)


def _sak_of(locator: str) -> str:
    return locator.split(",")[0] if locator.startswith("Sak ") else ""


def pdf_runs(seeds: Path, rows: dict[str, list], repeat: int = 3) -> dict | None:
    """Each seed printed to PDF by Chromium and read back from its text layer: time per
    page, and of the rows found in the text, how many the PDF finds too — the same
    value in the same sak as the text's matching proposal (PDF line numbers are not the
    text's). Times are the median of ``repeat`` interleaved runs. OCR time per page for
    the first two pages of the first document's PDF, rendered at 300 dpi (one run)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return None
    import pdfplumber

    out = {"documents": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for k, name in enumerate(sorted(rows)):
            text_result = extractor.propose(seeds / name, compare=False)
            text_lines = [ln.text for ln in text_result.document.lines]
            wanted = []  # (unit, value, sak) of each row the text run found
            for dataset, row in rows[name]:
                unit, value = row_value(dataset, row)
                at_place, _ = place(row, text_lines)
                here = [p for p in text_result.proposals if p.unit == unit and
                        proposal_value(p) == value and at_place(p)]
                if here:
                    wanted.append((unit, value, {_sak_of(p.locator) for p in here}))
            pdf = tmp / f"{Path(name).stem}.pdf"
            print_pdf(chromium, (seeds / name).read_text(encoding="utf-8"), pdf)
            floors, runs = [], []
            for _ in range(repeat):  # interleaved: the floor, then extract
                t0 = time.perf_counter()
                with pdfplumber.open(pdf) as doc:  # the floor: pdfplumber reading words
                    for pg in doc.pages:
                        pg.extract_words(x_tolerance=1.5, y_tolerance=2.5)
                floors.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                r = extractor.propose(pdf, compare=False)
                runs.append(time.perf_counter() - t0)
            floor, seconds = statistics.median(floors), statistics.median(runs)
            found = sum(any(p.unit == unit and proposal_value(p) == value and
                            _sak_of(p.locator) in saks for p in r.proposals)
                        for unit, value, saks in wanted)
            out["documents"].append({
                "document": name, "pages": len(r.document.pages),
                "seconds": round(seconds, 2),
                "seconds_per_page": round(seconds / len(r.document.pages), 3),
                "pdfplumber_words_seconds_per_page": round(floor / len(r.document.pages), 3),
                "proposals": len(r.proposals), "text_found": len(wanted),
                "pdf_found": found})
            if k == 0:
                with pdfplumber.open(pdf) as doc:
                    images = []
                    for i, pg in enumerate(doc.pages[:2]):
                        png = tmp / f"p{i}.png"
                        pg.to_image(resolution=300).original.save(png)
                        images.append(png)
                t0 = time.perf_counter()
                n = sum(len(extractor.propose(png, ocr=True, compare=False).proposals)
                        for png in images)
                out["ocr"] = {"document": name, "pages": len(images), "proposals": n,
                              "seconds_per_page": round((time.perf_counter() - t0)
                                                        / len(images), 2)}
    return out


def baseline_noise(seeds: Path, names: list[str]) -> dict:
    """The floor: every run of digits in the documents proposed as a figure, judged by
    the same noise patterns."""
    from types import SimpleNamespace

    total, kinds = 0, defaultdict(int)
    for name in names:
        for i, line in enumerate((seeds / name).read_text(encoding="utf-8").split("\n"), 1):
            for m in re.finditer(r"(?<![0-9])[0-9]+(?![0-9])", line):
                total += 1
                kind = noise_kind(SimpleNamespace(raw=m.group(), unit="count", line=i), line)
                if kind:
                    kinds[kind] += 1
    return {"digit_runs": total, "noise": dict(kinds), "noise_total": sum(kinds.values())}


def summarise(docs: list[dict]) -> dict:
    by_ds: dict[str, list] = defaultdict(list)
    by_conf: dict[str, list] = defaultdict(list)
    for d in docs:
        for r in d["rows"]:
            by_ds[r["dataset"]].append(r)
            by_conf[r["confidence"]].append(r)

    def rate(rows):
        found = sum(r["status"] == "found" for r in rows)
        return {"rows": len(rows), "found": found,
                "recall": round(found / len(rows), 4) if rows else None,
                "scale_differs": sum(r["status"] == "scale differs" for r in rows),
                "dataset_guess_ok": sum(r["dataset_guess_ok"] for r in rows)}

    allrows = [r for d in docs for r in d["rows"]]
    proposals = sum(d["proposals"] for d in docs)
    noise = sum(sum(d["noise"].values()) for d in docs)
    return {"all": rate(allrows), "by_dataset": {k: rate(v) for k, v in sorted(by_ds.items())},
            "by_confidence": {k: rate(v) for k, v in sorted(by_conf.items())},
            "proposals": proposals, "noise": noise,
            "noise_share": round(noise / proposals, 4) if proposals else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    ap.add_argument("--no-pdf", action="store_true", help="skip the PDF and OCR runs")
    ap.add_argument("--repeat", type=int, default=3, help="PDF timing runs (median)")
    args = ap.parse_args()
    rows = curated_rows()
    names = sorted(n for n in rows if (args.seeds / n).exists())
    if not names:
        sys.exit(f"no source documents in {args.seeds}; pass --seeds DIR")
    docs = [evaluate(args.seeds / n, rows[n]) for n in names]
    summary = summarise(docs)
    summary["baseline"] = baseline_noise(args.seeds, names)
    known = known_check(args.seeds, {n: rows[n] for n in names})
    timing = (None if args.no_pdf else
              pdf_runs(args.seeds, {n: rows[n] for n in names}, repeat=args.repeat))
    load = os.getloadavg()[0]
    meta = {"date": dt.date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                       f"{platform.python_version()}, load average {load:.1f} at the "
                       f"start"}
    report(docs, summary, known, timing)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "extract.json").write_text(json.dumps(
        {**meta, "summary": summary, "documents": docs, "known": known,
         "pdf_and_ocr": timing}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_doc(meta, docs, summary, known, timing)


def pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def report(docs, summary, known, timing) -> None:
    for d in docs:
        rows = d["rows"]
        found = sum(r["status"] == "found" for r in rows)
        print(f"{d['document']}: {found}/{len(rows)} rows found, {d['proposals']} proposals,"
              f" noise {sum(d['noise'].values())} {d['noise']}, {d['seconds']} s "
              f"({d['lines']} lines)")
        for r in rows:
            if r["status"] != "found":
                print(f"   MISS [{r['status']}] {r['dataset']} {r['value']} {r['unit']} "
                      f"({r['confidence']}) {r['locator'][:70]} — rule {r['rule']}; "
                      f"value proposed at lines {r['proposed_at']}")
    a = summary["all"]
    b = summary["baseline"]
    print(f"\nbaseline (every digit run proposed): {b['noise_total']} of {b['digit_runs']} "
          f"would be noise {b['noise']}")
    print(f"ALL: recall {pct(a['recall'])} ({a['found']}/{a['rows']}), "
          f"noise {summary['noise']}/{summary['proposals']} = {pct(summary['noise_share'])}")
    for k, v in summary["by_dataset"].items():
        print(f"  {k:18} {v['found']:3}/{v['rows']:3} {pct(v['recall'])}  dataset guess "
              f"right {v['dataset_guess_ok']}/{v['found']}")
    for k, v in summary["by_confidence"].items():
        print(f"  confidence {k:7} {v['found']:3}/{v['rows']:3} {pct(v['recall'])}")
    for name, k in known.items():
        print(f"re-read against the curated database: {name}: {k['found_rows_known']} of "
              f"{k['found_rows']} found rows flagged known ({k['known_proposals']} of "
              f"{k['proposals']} proposals)")
    if timing:
        for d in timing["documents"]:
            print(f"PDF {d['document']}: {d['pages']} pages, {d['seconds_per_page']} s/page "
                  f"(pdfplumber's words alone {d['pdfplumber_words_seconds_per_page']} s), "
                  f"{d['pdf_found']} of the {d['text_found']} rows found in the text")
        print(f"OCR: {timing['ocr']}")


def write_doc(meta, docs, summary, known, timing) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    start, end = "<!-- extract:start -->", "<!-- extract:end -->"
    a = summary["all"]
    lines = [start, "",
             (f"Measured {meta['date']} on {meta['machine']} by "
              f"`python benchmarks/extract.py`."), "",
             (f"**All curated rows: recall {pct(a['recall'])} ({a['found']} of {a['rows']}; "
              f"goal ≥ 95 %). High-confidence rows: "
              f"{pct(summary['by_confidence'].get('high', {}).get('recall'))} (goal 100 %). "
              f"Noise: {summary['noise']} of {summary['proposals']} proposals "
              f"= {pct(summary['noise_share'])} (goal ≤ 2 %).** The floor — every run of "
              f"digits in the documents proposed — would have "
              f"{summary['baseline']['noise_total']} of {summary['baseline']['digit_runs']} "
              f"= {pct(summary['baseline']['noise_total'] / summary['baseline']['digit_runs'])}"
              f" noise by the same patterns ("
              + ", ".join(f"{n} {k}" for k, n in summary["baseline"]["noise"].items())
              + ")."), "",
             ("| document | lines | curated rows | found | scale differs | recall | proposals |"
              " noise (year/date/sak/phone) | extract time |"
              " found rows flagged known on re-read |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for d in docs:
        rows = d["rows"]
        found = sum(r["status"] == "found" for r in rows)
        scaled = sum(r["status"] == "scale differs" for r in rows)
        k = known.get(d["document"], {})
        lines.append(f"| `{d['document']}` | {d['lines']} | {len(rows)} | {found} | {scaled} |"
                     f" {pct(found / len(rows) if rows else None)} | {d['proposals']} | "
                     f"{sum(d['noise'].values())} | {d['seconds']:.2f} s | "
                     f"{k.get('found_rows_known', '–')} of {k.get('found_rows', '–')} |")
    lines += ["", "| dataset | curated rows | found | recall | scale differs |"
                  " dataset guessed right |",
              "|---|---:|---:|---:|---:|---:|"]
    for name, v in summary["by_dataset"].items():
        lines.append(f"| {name} | {v['rows']} | {v['found']} | {pct(v['recall'])} | "
                     f"{v['scale_differs']} | {v['dataset_guess_ok']} of {v['found']} |")
    lines += ["", "| confidence of the curated row | rows | found | recall |",
              "|---|---:|---:|---:|"]
    for name, v in summary["by_confidence"].items():
        lines.append(f"| {name} | {v['rows']} | {v['found']} | {pct(v['recall'])} |")
    misses = [(d["document"], r) for d in docs for r in d["rows"] if r["status"] != "found"]
    lines += ["", f"Rows not found ({len(misses)}):", "",
              "| document | dataset | value | curated confidence | locator | status |",
              "|---|---|---:|---|---|---|"]
    for name, r in misses:
        lines.append(f"| `{name[:3]}` | {r['dataset']} | {r['value']} {r['unit']} | "
                     f"{r['confidence']} | {r['locator'][:80]} | {r['status']} |")
    if timing:
        o = timing["ocr"]
        lines += ["", ("Each document printed to PDF by Chromium and read from its text "
                       "layer (times: median of interleaved runs). Of the rows found in the "
                       "text, a row counts as found in the PDF when the PDF run proposes "
                       "its value in the same sak (PDF line numbers are not the text's):"),
                  "",
                  ("| document | PDF pages | extract time per page | pdfplumber reading the "
                   "words alone (floor) | rows found in the PDF |"),
                  "|---|---:|---:|---:|---:|"]
        for d in timing["documents"]:
            lines.append(f"| `{d['document']}` | {d['pages']} | {d['seconds_per_page']} s |"
                         f" {d['pdfplumber_words_seconds_per_page']} s |"
                         f" {d['pdf_found']} of {d['text_found']} |")
        lines += ["", (f"OCR (`--ocr`): the first {o['pages']} pages of `{o['document']}`'s "
                       f"PDF rendered at 300 dpi and read by Tesseract: "
                       f"{o['seconds_per_page']} s per page.")]
    lines += ["", end]
    block = "\n".join(lines)
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = (text.rstrip() + "\n\n## Extraction (`python benchmarks/extract.py`)\n\n"
                + block + "\n")
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
