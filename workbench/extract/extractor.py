"""``workbench extract``: a meeting paper in, proposed figures (and sources) out."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..errors import WorkbenchError
from . import figures as F
from . import guess, header, layout, nonfigures, proposals, reader
from .document import OCR, Document
from .figures import Figure
from .known import Known, document_sources
from .layout import LineInfo
from .proposals import Proposal

CONFIDENCE = ("high", "medium", "low")
MAX_QUOTE_WORDS = 20
_SPACED_DIGITS = re.compile(r"^\W*([0-9](?: [0-9]){2,5})\W*$")
_AGENDA_ROW = re.compile(r"^\s*[0-9]{1,3}/[0-9]{2}\b.*\b(?:godkjenning|dr[øo]fting|orientering|"
                         r"vedtak|anbefaling|beslutning)\W*$", re.IGNORECASE)
_HHMM = re.compile(r"(?<![0-9.,])(?:[01][0-9]|2[0-3])[0-5][0-9](?![0-9.,])")


@dataclass
class Extraction:
    document: Document
    proposals: list[Proposal]
    sources: list[dict] = field(default_factory=list)  # proposed rows, when not known
    source_ids: set[str] = field(default_factory=set)  # the document's known sources
    seconds: float = 0.0
    database: Path | None = None  # the database compared with for «known» (None: none)
    out: Path | None = None
    sources_out: Path | None = None

    @property
    def scanned_pages(self) -> list[int]:
        return self.document.scanned_pages


def default_out(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(f"{path.stem}.forslag.csv")


def sources_out(out: str | os.PathLike) -> Path:
    """Where the proposed sources rows go, beside the proposals: «X.forslag.csv» →
    «X.kilder.csv»."""
    out = Path(out)
    stem = out.name[: -len(".forslag.csv")] if out.name.endswith(".forslag.csv") \
        else out.stem
    return out.with_name(f"{stem}.kilder.csv")


def propose(path: str | os.PathLike, *, source_id: str | None = None, ocr: bool = False,
            lang: str = "nor", db: str | os.PathLike | None = None,
            compare: bool = True) -> Extraction:
    """Read ``path`` and propose every figure in it (nothing is written).

    ``source_id`` names the document's row in ``sources``; without it the document is
    looked up by file name. ``compare=False`` skips the database (no «known», no
    source lookup). Pages without a text layer are reported in the result's
    ``scanned_pages``; with ``ocr=True`` they are read by Tesseract instead, and their
    proposals get low confidence.
    """
    started = time.perf_counter()
    doc = reader.read(path, ocr=ocr, lang=lang)
    infos = layout.analyse(doc)
    known, ids, sak_sources, db_path = None, set(), {}, None
    if compare and paths.db_path(db).exists():
        import duckdb

        db_path = paths.db_path(db)
        with duckdb.connect(str(db_path), read_only=True) as con:
            known = Known.from_database(con)
            ids, rows = document_sources(con, doc.name, source_id)
            sak_sources = {sak: sid for sid, sak in rows if sak}
            whole = [sid for sid, sak in rows if not sak]
            if whole:
                sak_sources[None] = whole[0]
    proposed_sources = []
    if not ids:
        # Not registered (or no database): propose its rows, under --source-id if given.
        proposed_sources = header.propose_sources(doc, infos, source_id)
        sak_sources = {r["sak"]: r["source_id"] for r in proposed_sources}
    elif source_id:
        # The given row is the default; a sak of the same document keeps its own row.
        sak_sources[None] = source_id
    doc_year = header.document_year(doc, infos)
    spans = [nonfigures.spans(i.line.text) for i in infos]
    # In a row of an amounts table a four-digit number is an amount, not a year.
    years = [[] if i.table_scale else nonfigures.year_tokens(i.line.text, s)
             for i, s in zip(infos, spans, strict=True)]
    out = [_proposal(doc, infos, i, fig, doc_year, sak_sources, known, ids, spans, years)
           for i, fig in _figures(doc, infos, spans)]
    return Extraction(doc, out, proposed_sources, ids, time.perf_counter() - started,
                      db_path)


def extract(path: str | os.PathLike, *, out: str | os.PathLike | None = None,
            source_id: str | None = None, ocr: bool = False, lang: str = "nor",
            db: str | os.PathLike | None = None) -> Extraction:
    """:func:`propose`, then write the proposals CSV (default ``<document>.forslag.csv``)
    and, when the document is not in ``sources`` yet, the proposed sources rows beside
    it (``<document>.kilder.csv``)."""
    result = propose(path, source_id=source_id, ocr=ocr, lang=lang, db=db)
    target = Path(out) if out else default_out(path)
    if target.resolve() == Path(path).resolve():
        raise WorkbenchError(f"{target}: the output would overwrite the document")
    result.out = proposals.write(result.proposals, target)
    side = sources_out(target)
    if result.sources:
        result.sources_out = proposals.write_sources(result.sources, side)
    return result


# --- finding -------------------------------------------------------------------------

def _figures(doc: Document, infos: list[LineInfo], line_spans: list[list]):
    """(line index, figure) for every figure in the document, in reading order."""
    for idx, info in enumerate(infos):
        text = info.line.text
        if not text.strip():
            continue
        spaced = _SPACED_DIGITS.match(text)
        if spaced:
            digits = spaced.group(1)
            s = text.index(digits)
            value = int(digits.replace(" ", ""))
            yield idx, Figure(s, s + len(digits), digits, value, F.COUNT, 2,
                              ["sifre skilt med mellomrom, lest som ett tall (OCR?)"])
            continue
        spans = list(line_spans[idx])
        if any(s.kind == "time" for s in spans) or _AGENDA_ROW.match(text):
            spans += [nonfigures.Span(m.start(), m.end(), "time", m.group())
                      for m in _HHMM.finditer(text)
                      if not any(s.start <= m.start() < s.end for s in spans)]
        tabbed = bool(info.header) and "\t" in text
        figs = F.find(text, spans, table_scale=None if tabbed else info.table_scale,
                      table_note=info.table_note, number_list=_number_list(text))
        if tabbed:
            figs = _columns(info, figs)
        elif figs and idx + 1 < len(infos):
            figs[-1] = _unit_on_next_line(text, figs[-1], infos[idx + 1], info)
        if info.page_number and figs and _bare_int(figs[-1]):
            figs = figs[:-1]
        if info.table_scale and len(figs) >= 2 and not tabbed:
            figs = _drop_ranks(figs)
        if info.garble:
            # A lone digit on a damaged line is OCR noise far more often than a figure.
            figs = [f for f in figs if not (f.unit == F.COUNT and not f.word
                                            and re.fullmatch(r"[0-9]", f.raw))]
        for fig in figs:
            yield idx, fig


def _unit_on_next_line(text: str, fig: Figure, nxt: LineInfo, info: LineInfo) -> Figure:
    """«… satt av 68,3 millioner / kroner til ordningen»: a figure at the end of a
    wrapped line takes its unit from the start of the next line."""
    if text[fig.end:].strip(" .,:;)") or nxt.block != info.block or not nxt.line.text.strip():
        return fig
    head = " ".join(nxt.line.text.split()[:2])
    joined = text.rstrip() + " " + head
    again = [f for f in F.find(joined, nonfigures.spans(joined)) if f.start == fig.start]
    if not again or again[0].end <= len(text.rstrip()) or again[0].unit == fig.unit and \
            again[0].penalty >= fig.penalty:
        return fig
    better = again[0]
    better.raw = fig.raw
    better.end = fig.end
    better.notes = [n for n in better.notes] + [
        f"enheten står på neste linje («{head.split()[0]}»)"]
    return better


def _number_list(text: str) -> bool:
    """A line of numbers with no word of three letters or more (a chart's labels)."""
    return (len(re.findall(r"[0-9]+", text)) >= 2
            and not re.search(r"[A-Za-zÆØÅæøå]{3,}", text))


def _bare_int(fig: Figure) -> bool:
    return bool(re.fullmatch(r"[0-9]+", fig.raw)) and fig.scale in (1, 1000, 10 ** 6)


def _drop_ranks(figs: list[Figure]) -> list[Figure]:
    """In a row of an amounts table, a small leading integer before the amounts is a
    rank or row number («Helgeland 1 4 857 4857»), not an amount."""
    first = figs[0]
    raw_value = int(first.raw) if re.fullmatch(r"[0-9]{1,2}", first.raw) else None
    if raw_value is not None and first.scale > 1 and all(
            isinstance(f.value, int) and f.value > first.value for f in figs[1:]):
        return figs[1:]
    return figs


def _columns(info: LineInfo, figs: list[Figure]) -> list[Figure]:
    """Apply what a tab table's column header (and a «beløp i 1000 kr» above the table)
    says about the bare numbers in each column."""
    cells = info.line.text.split("\t")
    money_marked = any(c.unit == "NOK" for c in info.header)
    out = []
    for fig in figs:
        head = _header_for(info.header, cells, _cell_index(cells, fig.start))
        if head is None or fig.unit != F.COUNT or fig.word:
            out.append(fig)
            continue
        if head.unit == "year":
            continue
        scale = head.scale or (info.table_scale if head.unit == "NOK" or
                               (head.unit is None and not money_marked) else None)
        if scale:
            fig.value, fig.unit, fig.scale = fig.value * scale, F.NOK, scale
            fig.notes.append(f"kolonnen «{head.name}»: beløp i "
                             f"{'1000 kr' if scale == 1000 else 'mill. kr'}"
                             + (f"; {info.table_note}" if not head.scale and
                                info.table_note else ""))
        elif head.unit == "NOK":
            fig.unit = F.NOK
            fig.notes.append(f"kolonnen «{head.name}» oppgir kroner")
        elif head.unit == "percent":
            fig.unit = F.PERCENT
            fig.notes.append(f"kolonnen «{head.name}» oppgir prosent")
        out.append(fig)
    return out


def _cell_index(cells: list[str], pos: int) -> int:
    start = 0
    for i, c in enumerate(cells):
        if start <= pos <= start + len(c):
            return i
        start += len(c) + 1
    return len(cells) - 1


def _header_for(header, cells, col):
    if len(cells) == len(header):
        return header[col]
    from_right = len(cells) - col
    return header[len(header) - from_right] if from_right <= len(header) else None


# --- one proposal --------------------------------------------------------------------

def _proposal(doc: Document, infos: list[LineInfo], idx: int, fig: Figure,
              doc_year: int | None, sak_sources: dict, known: Known | None,
              ids: set[str], line_spans: list[list], line_years: list[list]) -> Proposal:
    info = infos[idx]
    text = info.line.text
    spans, years = line_spans[idx], line_years[idx]
    lo = max(0, idx - 400)
    previous = infos[lo: idx]
    previous_years = [[(y.years[-1], y.kind == "date") for y in sorted(
        ys + [s for s in sp if s.kind == "date" and s.years], key=lambda x: x.start)]
        for ys, sp in zip(line_years[lo: idx], line_spans[lo: idx], strict=True)]
    lab = guess.label(info, fig, previous)
    yr = guess.year(info, fig, spans, years, previous, previous_years, doc_year)
    sent = guess.sentence(text, fig)
    context = sent
    if idx and infos[idx - 1].block == info.block and len(sent.split()) < 12:
        context = infos[idx - 1].line.text + " " + sent
    ds = (guess.dataset(fig, info, sent + " " + lab, lab, strict=True)
          or guess.dataset(fig, info, context + " " + lab, lab))
    steps = fig.penalty + info.garble
    notes = [f"lest som «{fig.raw}»"] + fig.notes
    if info.garble:
        notes.append("teksten på linjen er skadet (OCR)" if info.garble == 1
                     else "teksten på linjen er sterkt skadet (OCR)")
    page_kind = next(p.kind for p in doc.pages if p.number == info.line.page)
    if page_kind == OCR:
        steps = len(CONFIDENCE) - 1
        notes.append("lest med OCR (Tesseract) i denne kjøringen")
    p = Proposal(
        page=info.line.page, line=info.line.number, quote=quote(text, fig),
        value=F.format_value(fig.value, fig.unit), unit=fig.unit, label=lab,
        year=str(yr) if yr else "", dataset=ds,
        confidence=CONFIDENCE[min(steps, len(CONFIDENCE) - 1)],
        key=guess.slug(lab), group=guess.group(ds),
        measure=(guess.measure(ds, fig, sent, text)
                 or guess.measure(ds, fig, _heading(infos, idx), text)),
        extra=guess.extra(ds, fig, info, text),
        source_id=sak_sources.get(info.sak) or sak_sources.get(None) or "",
        locator=_where(doc, info), raw=fig.raw, document=doc.name)
    if ds in ("grant_rounds", "grant_projects"):
        p.group = guess.programme(f"{info.sak_title or ''} {context}",
                                  known.programmes() if known else [])
    if known is not None:
        hits = known.match(fig.value, fig.unit, ids or None, dataset=p.dataset,
                           year=p.year)
        if hits:
            p.known = " | ".join(h.ref for h in hits[:3])
            if len(hits) == 1:
                h = hits[0]
                p.dataset, p.key, p.label = h.dataset, h.key or p.key, h.label or p.label
                p.year, p.measure, p.group = h.year or p.year, h.measure, h.group or p.group
            notes.append("finnes allerede i databasen")
    p.note = "; ".join(notes)
    return p


def _heading(infos: list[LineInfo], idx: int) -> str:
    """The first line of the figure's block and its sak's title: what the list or table
    the figure stands in is about («Statsbudsjettet for 2027 – …»)."""
    start = idx
    while start > 0 and infos[start - 1].block == infos[idx].block \
            and infos[start - 1].line.text.strip():
        start -= 1
    first = infos[start].line.text if start != idx else ""
    return f"{first} {infos[idx].sak_title or ''}"


def _where(doc: Document, info: LineInfo) -> str:
    parts = []
    if info.sak:
        parts.append(f"Sak {info.sak}")
    if len(doc.pages) > 1 or doc.kind != "text":
        parts.append(f"s. {info.line.page}")
    parts.append(f"linje {info.line.number}")
    return ", ".join(parts)


def quote(text: str, fig: Figure) -> str:
    """The verbatim words around the figure: its sentence, cut to at most 20 words."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    sent = guess.sentence(text, fig)
    s0 = text.find(sent) if sent else 0
    s1 = s0 + len(sent)
    inside = [w for w in words if w[1] > s0 and w[0] < s1] or words
    hit = [i for i, w in enumerate(inside) if w[1] > fig.start and w[0] < fig.end]
    if not hit:
        return text.strip()[:200]
    first, last = hit[0], hit[-1]
    lo = max(0, first - 8)
    hi = min(len(inside) - 1, lo + MAX_QUOTE_WORDS - 1)
    lo = max(0, min(lo, hi - MAX_QUOTE_WORDS + 1))
    if last > hi:
        lo, hi = first, min(len(inside) - 1, first + MAX_QUOTE_WORDS - 1)
    return re.sub(r"\s+", " ", text[inside[lo][0]: inside[hi][1]])
