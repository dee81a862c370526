"""The proposals CSV: what ``workbench extract`` writes and ``workbench accept`` reads.

UTF-8 with BOM and ``;`` as separator so that Norwegian Excel opens it as columns. The
twelve columns the issue asks for come first, in order; after ``note`` follow the
editable columns the catalog needs (key, group, measure, extra, source_id, locator),
then the verbatim figure text and the document's file name. Every cell is written
through :func:`workbench.csv_export.neutralise_text` (spreadsheet formulas) and read back
through :func:`workbench.csv_export.restore_text`.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..csv_export import BOM, neutralise_text, restore_text
from ..errors import Problem, ValidationError
from ..files import atomic_write
from ..readers import decode

COLUMNS = ("accept", "page", "line", "quote", "value", "unit", "label", "year", "dataset",
           "confidence", "known", "note")
EXTRA_COLUMNS = ("key", "group", "measure", "extra", "source_id", "locator", "raw",
                 "document")
ALL_COLUMNS = COLUMNS + EXTRA_COLUMNS
SOURCES_COLUMNS = ("accept", "source_id", "organ", "title", "meeting", "date", "sak",
                   "sak_title", "document", "note")

# --- proposals -------------------------------------------------------------------------

@dataclass
class Proposal:
    accept: str = ""
    page: int = 1
    line: int = 0
    quote: str = ""
    value: str = ""  # as written in the CSV: 56700000, 3,84
    unit: str = ""
    label: str = ""
    year: str = ""
    dataset: str = ""
    confidence: str = ""
    known: str = ""
    note: str = ""
    key: str = ""
    group: str = ""
    measure: str = ""
    extra: str = ""
    source_id: str = ""
    locator: str = ""
    raw: str = ""
    document: str = ""  # the file the figure was read from
    csv_line: int = 0  # line in the proposals CSV (set when read)

    def cells(self) -> list[str]:
        d = asdict(self)
        return [str(d[c]) if d[c] is not None else "" for c in ALL_COLUMNS]


def write(proposals: list[Proposal], path: str | os.PathLike) -> Path:
    path = Path(path)
    _write_rows(path, ALL_COLUMNS, [p.cells() for p in proposals])
    return path


def write_sources(rows: list[dict], path: str | os.PathLike) -> Path:
    path = Path(path)
    _write_rows(path, SOURCES_COLUMNS, [[str(r.get(c) or "") for c in SOURCES_COLUMNS]
                                        for r in rows])
    return path


def _write_rows(path: Path, header, rows) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([neutralise_text(c) for c in r])
    atomic_write(path, BOM + buf.getvalue().encode("utf-8"))


def read(path: str | os.PathLike) -> list[Proposal]:
    """Proposals from a CSV as written by :func:`write` and edited in Excel or LibreOffice
    (UTF-8 or Windows-1252, ``;``, ``,`` or tab). Structural problems are reported with
    file and line."""
    path = Path(path)
    header, rows = _read_rows(path, required=COLUMNS)
    names = {f.name for f in fields(Proposal)}
    out = []
    for line, cells in rows:
        rec = dict(zip(header, cells, strict=False))  # Excel drops trailing empty cells
        kw = {k: v for k, v in rec.items() if k in names and k not in ("page", "line")}
        p = Proposal(**kw, csv_line=line)
        p.page = _int(rec.get("page"), 1)
        p.line = _int(rec.get("line"), 0)
        out.append(p)
    return out


def read_sources(path: str | os.PathLike) -> list[tuple[int, dict]]:
    header, rows = _read_rows(Path(path), required=SOURCES_COLUMNS)
    return [(line, dict(zip(header, cells, strict=False))) for line, cells in rows]


def _int(text: str | None, default: int) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default


def _read_rows(path: Path, *, required) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not path.is_file():
        raise ValidationError([Problem(str(path), "file not found")])
    text, _ = decode(path.read_bytes())
    if not text.strip():
        raise ValidationError([Problem(path.name, "the file is empty (expected a header "
                                                  "line and proposals)")])
    first = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [restore_text(h).strip() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationError([Problem(path.name, f"missing column {c!r} (expected "
                                                  f"columns: {', '.join(required)})", line=1)
                               for c in missing])
    rows, problems = [], []
    start = reader.line_num + 1
    for cells in reader:
        if not cells or all(not c.strip() for c in cells):
            start = reader.line_num + 1
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append(Problem(path.name, f"expected {len(header)} fields (as in the "
                                               f"header), found {len(cells)}", line=start))
        cells = [restore_text(c) for c in cells[: len(header)]]
        cells += [""] * (len(header) - len(cells))
        rows.append((start, cells))
        start = reader.line_num + 1
    if problems:
        raise ValidationError(problems)
    return header, rows
