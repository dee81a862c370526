"""What surrounds a line: its sak, its block and table, page numbers, OCR damage.

A *block* is a run of non-empty lines. A line that says «beløp i 1000 kr» (or «i mill.
kr») makes the bare numbers in the rest of its block amounts in that unit. Lines with
tabs form a table whose first mostly-text row is the column header. A line that is only
a number, or a short line that recurs with a changing number (a footer), is a page
number. Sak headings («Sak 31/23: …», «Saksnummer 14/24», an agenda row «21/25 …») set
the sak of the lines that follow.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .document import Document, Line
from .nonfigures import scale_ends

_SAK_HEADING = re.compile(r"^\W{0,3}(?:sak|saksnummer|saksnr\.?)\s*:?\s*([0-9]{1,3}/[0-9]{2})"
                          r"(?![0-9/])\s*[:.\-–]?\s*(?P<title>.*)$", re.IGNORECASE)
_SAK_ROW = re.compile(r"^\s*(?:<p>)?([0-9]{1,3}/[0-9]{2})(?![0-9/])(?:</p>)?"
                      r"(?:\t+|\s+(?=[A-ZÆØÅ]))(?P<title>.*)$")
_TABLE_SCALE = re.compile(
    r"(?:\bi|\(|\bbel[øoeg]p|\btall|\bnok|\bkr)\s*(?:hele\s*)?"
    r"(?P<k>1[ \u00a0.]?000|tusen)\s*(?:kr\b\.?|kroner|nok\b)"
    r"|(?:\bi|\()\s*(?P<m>mill\.?|millioner|mnok)\s*(?:kr\b\.?|kroner|nok\b)?"
    r"|\bnok\s*1[ \u00a0]?000\b|\b1[ \u00a0]?000\s*nok\b", re.IGNORECASE)
_DATE_THEN_NUMBER = re.compile(r"(?<![0-9])[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}\s+[0-9]{1,4}\W*$")
_PAGE_NUMBER = re.compile(r"^[\W_]*(?:side\s*)?[0-9]{1,4}[\W_]*$", re.IGNORECASE)
_JUNK = set("|{}[]_=~^¢©®@\\")
_WORDLIKE = re.compile(r"^[(«\"'“]*[A-Za-z\u00c0-\u024f][a-z\u00c0-\u024f\-]*[)»\"'”.,:;!?]*$")


@dataclass
class Column:
    name: str
    scale: int | None = None  # amounts in 1000 kr or mill. kr
    unit: str | None = None  # "NOK", "percent", "count" or "year" when the header says so


@dataclass
class LineInfo:
    line: Line
    sak: str | None = None
    sak_title: str | None = None
    block: int = 0
    table_scale: int | None = None
    table_note: str = ""
    header: list[Column] | None = None  # columns of the tab table this line is a row of
    is_header: bool = False
    scale_line: bool = False  # this line states the table's unit
    page_number: bool = False  # the line's last number is a page number
    garble: int = 0  # 0 clean, 1 damaged, 2 badly damaged (OCR)
    scale: tuple[int, int] | None = None  # rating scale stated nearby («skala 1 til 5»)
    headings: list[str] = field(default_factory=list)


def analyse(doc: Document) -> list[LineInfo]:
    """One :class:`LineInfo` per line of ``doc``, in order."""
    lines = doc.lines
    footers = _footer_keys(lines)
    infos: list[LineInfo] = []
    sak = sak_title = None
    block = 0
    scale = note = None
    header: list[Column] | None = None
    rating: tuple[int, int] | None = None
    prev_page = None
    for line in lines:
        text = line.text
        if line.page != prev_page:
            block += 1
            # A table that runs to the foot of a page goes on at the top of the next.
            last = next((i for i in reversed(infos) if i.line.text.strip()), None)
            if not (last and last.table_scale and re.search(r"[0-9]", last.line.text)
                    and not last.page_number):
                scale = None
            header = None
            prev_page = line.page
        if not text.strip():
            block += 1
            # A caption that ends its block («Tabell 1: …, beløp i 1000 kr») applies to
            # the table in the next block.
            carried = scale if infos and infos[-1].line.text.strip() and \
                infos[-1].scale_line else None
            scale = carried
            header = None
            infos.append(LineInfo(line, sak, sak_title, block, table_scale=carried,
                                  table_note=note or ""))
            continue
        m = _SAK_HEADING.match(text) or _SAK_ROW.match(text)
        if m:
            sak, sak_title = m.group(1), _clean_title(m.group("title"))
        info = LineInfo(line, sak, sak_title, block)
        ms = _TABLE_SCALE.search(text)
        if ms:
            info.scale_line = True
            scale = 1000 if ms.group("k") or not ms.group("m") else 10 ** 6
            note = (f"tabellen oppgir beløp i {'1000 kr' if scale == 1000 else 'mill. kr'}"
                    f" (linje {line.number}: «{text.strip()[:60]}»)")
        if "\t" in text.strip():
            cells = [c.strip() for c in text.split("\t")]
            if header is None and _mostly_text(cells):
                header = [_column(c) for c in cells]
                info.is_header = True
            else:
                info.header = header
        else:
            header = None
        info.table_scale = scale
        info.table_note = note or ""
        stripped = text.strip()
        info.page_number = (bool(_PAGE_NUMBER.match(stripped))
                            or _footer_key(stripped) in footers
                            or bool(_DATE_THEN_NUMBER.search(stripped)))
        info.garble = garble(text)
        ends = scale_ends(text)
        if ends:
            rating = ends
        info.scale = rating
        infos.append(info)
    return infos


def _clean_title(title: str) -> str:
    title = re.sub(r"<[^>]+>", " ", title)
    title = title.split("\t")[0]
    return re.sub(r"\s+", " ", title).strip(" :.-–")


def _mostly_text(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    if len(filled) < 2:
        return False
    numeric = sum(bool(re.fullmatch(r"[0-9 \u00a0.,%/:–-]+", c)) for c in filled)
    return numeric == 0


def _column(name: str) -> Column:
    low = name.lower()
    col = Column(name)
    ms = _TABLE_SCALE.search(name)
    if ms:
        col.scale = 1000 if ms.group("k") or not ms.group("m") else 10 ** 6
        col.unit = "NOK"
    elif re.search(r"\b(?:år|årstall|year)\b", low):
        col.unit = "year"
    elif re.search(r"%|prosent|andel", low):
        col.unit = "percent"
    elif re.search(r"\b(?:beløp|kr|kroner|nok|sum|tildelt|bevilg)", low):
        col.unit = "NOK"
    elif re.search(r"\b(?:antall|nr|prioritet|rang|prosjekter|søknader|kommuner|"
                   r"personer|mottakere|brukere|respondenter)", low):
        col.unit = "count"
    return col


def _footer_key(text: str) -> str:
    return re.sub(r"[0-9]+", "#", text)


def _footer_keys(lines: list[Line]) -> set[str]:
    """Short lines that end in a page number: lines that recur with a changing trailing
    number (running footers), or whose text without the number is also a line of its
    own elsewhere («Helsedirektoratet 139» beside many «Helsedirektoratet»)."""
    counts: Counter[str] = Counter()
    alone = Counter(line.text.strip() for line in lines)
    keys = set()
    for line in lines:
        t = line.text.strip()
        if re.search(r"[0-9]\W*$", t) and len(t.split()) <= 6:
            k = _footer_key(t)
            counts[k] += 1
            rest = re.sub(r"\s*[0-9]+\W*$", "", t)
            if rest and alone[rest] >= 2 and _only_page_number(k):
                keys.add(k)
    return keys | {k for k, n in counts.items() if n >= 3 and _only_page_number(k)}


def _only_page_number(key: str) -> bool:
    """The footer's only number is the trailing one (a date before it is allowed)."""
    rest = re.sub(r"#\W*$", "", key)
    rest = re.sub(r"#\.#\.#", "", rest)
    return "#" not in rest and bool(re.search(r"[A-Za-zÆØÅæøå]|#", key))


def garble(text: str) -> int:
    """How damaged a line looks: 0 clean, 1 damaged, 2 badly damaged.

    Counts tokens that are neither words nor numbers nor ordinary punctuation: OCR junk
    such as ``{Hemmecar=t+-En``, ``ATTIT|``, ``(@Q/:GO``, or an ``@`` inside a word.
    """
    tokens = text.split()
    if not tokens:
        return 0
    bad = 0
    for t in tokens:
        if any(c in _JUNK for c in t) or re.search(r"[0-9][^\w\s.,:/%-]+[0-9]", t):
            bad += 1
        elif (_WORDLIKE.match(t) or re.fullmatch(r"[0-9.,%:/()\-–+]+[.,:;)]?", t)
              or re.fullmatch(r"[-–—•*«»·…/&+()]+", t)):
            continue
        elif re.search(r"[A-Za-z\u00c0-\u024f]", t) and re.search(r"[0-9]", t):
            bad += 0.5  # mixed letters and digits (could be an identifier like HL7)
        elif re.fullmatch(r"[\W_]+", t) or re.search(r"[^\w\-–.,:;!?()«»\"'’“”/%&+*]", t):
            bad += 1
    ratio = bad / len(tokens)
    if ratio >= 0.34 and bad >= 2:
        return 2
    if ratio >= 0.15 and bad >= 1:
        return 1
    return 0
