"""A ``sources`` row proposed from a document's header, for the analyst to confirm.

The first lines of a meeting paper name the body («Møte i Nasjonalt e-helseråd»), the
meeting («Møte 4/23») and the date («14. desember 2023»); its sak headings («Sak 31/23:
Helse- og omsorgsdepartementet orienterer») give one more row each, as in
``data/sources.csv``: one row for the whole document and one per sak.
"""

from __future__ import annotations

import datetime as dt
import re

from .. import norsk
from .document import Document
from .layout import LineInfo
from .nonfigures import MONTHS

# Bodies whose papers the workbench reads, most specific first; OCR spellings included.
ORGANS = (
    (r"nasjonalt\s+e-?helser[åa]d|e-?helser[åa]det", "Nasjonalt e-helseråd", "ehr"),
    (r"nasjonalt\s+e-?helsestyre", "Nasjonalt e-helsestyre", "ehs"),
    (r"\bNUFA\b|nasjonalt\s+fagutvalg|fagutvalget", "Nasjonalt fagutvalg for e-helse (NUFA)",
     "nufa"),
    (r"\bNUIT\b|nasjonalt\s+utvalg\s+for\s+ikt",
     "Nasjonalt utvalg for IKT-prioritering (NUIT)", "nuit"),
    (r"helse-\s*og\s+omsorgsdepartementet", "Helse- og omsorgsdepartementet", "hod"),
    (r"helsedirektoratet", "Helsedirektoratet", "hdir"),
    (r"direktoratet\s+for\s+e-?helse", "Direktoratet for e-helse", "ehelse"),
    (r"folkehelseinstituttet|\bFHI\b", "Folkehelseinstituttet", "fhi"),
    (r"norsk\s+helsenett", "Norsk helsenett SF", "nhn"),
    (r"\bKS\b", "KS", "ks"),
)
# The first three letters of a month's name, Norwegian or English («mai»/«may»,
# «okt»/«oct», «des»/«dec»), to its number.
_MONTH_NUMBERS = {m[:3]: i for i, m in enumerate(norsk.MONTHS, start=1)} | {
    "may": 5, "oct": 10, "dec": 12}
_DATE_WORDS = re.compile(rf"([0-9]{{1,2}})\.?\s*(?:[-–]\s*[0-9]{{1,2}}\.?\s*)?({MONTHS})\.?"
                         rf"\s+((?:19|20)[0-9]{{2}})", re.IGNORECASE)
_DATE_DIGITS = re.compile(r"(?<![0-9])([0-9]{1,2})\.([0-9]{1,2})\.((?:19|20)[0-9]{2})")
_MEETING = re.compile(r"\bm[øoe@g]te\s+([0-9]{1,2}/[0-9]{2})\b", re.IGNORECASE)
_MEETING_IN = re.compile(r"\bm[øoe@g]te\s+i\s+(.+)$", re.IGNORECASE)
HEADER_LINES = 40


def find_date(text: str) -> dt.date | None:
    m = _DATE_WORDS.search(text)
    if m:
        month = _MONTH_NUMBERS.get(m.group(2).lower()[:3])
        if month:
            try:
                return dt.date(int(m.group(3)), month, int(m.group(1)))
            except ValueError:
                pass
    m = _DATE_DIGITS.search(text)
    if m:
        try:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            pass
    return None


def propose_sources(doc: Document, infos: list[LineInfo], source_id: str | None = None
                    ) -> list[dict]:
    """The whole-document row and one row per sak heading, as ``sources`` columns."""
    head = [i.line.text.strip() for i in infos if i.line.text.strip()][:HEADER_LINES]
    text = "\n".join(head)
    organ, abbrev, title = _organ(head)
    date = None
    for t in head:
        date = find_date(t)
        if date:
            break
    meeting = None
    m = _MEETING.search(text)
    if m:
        meeting = f"Møte {m.group(1)}"
    elif date:
        meeting = f"Møte {norsk.date(date)}"
    base = source_id or _slug(f"{abbrev}-{date:%Y-%m}" if date else
                              f"{abbrev}-{doc.path.stem}")
    rows = [{"source_id": base, "organ": organ, "title": title, "meeting": meeting,
             "date": date.isoformat() if date else None, "sak": None, "sak_title": None,
             "document": doc.name,
             "note": "Foreslått av workbench extract fra dokumentets første linjer; "
                     "kontroller organ, møte og dato. Hele dokumentet."}]
    titles: dict[str, str] = {}
    for i in infos:
        if i.sak and (i.sak not in titles and i.sak_title is not None
                      or not titles.get(i.sak) and i.sak_title):
            titles[i.sak] = i.sak_title
    for sak, sak_title in titles.items():
        number = sak.split("/")[0]
        rows.append({"source_id": f"{base}-s{number}", "organ": organ, "title": title,
                     "meeting": meeting, "date": date.isoformat() if date else None,
                     "sak": sak, "sak_title": sak_title or None, "document": doc.name,
                     "note": "Foreslått av workbench extract fra sakens overskrift."})
    return rows


def document_year(doc: Document, infos: list[LineInfo]) -> int | None:
    for i in infos[:HEADER_LINES * 2]:
        d = find_date(i.line.text)
        if d:
            return d.year
    return None


def _organ(head: list[str]) -> tuple[str, str, str]:
    for t in head:
        m = _MEETING_IN.search(t)
        if m:
            for pattern, name, abbrev in ORGANS:
                if re.search(pattern, m.group(1), re.IGNORECASE):
                    return name, abbrev, f"Møte i {name}"
    joined = " ".join(head)
    for pattern, name, abbrev in ORGANS:
        if re.search(pattern, joined, re.IGNORECASE):
            return name, abbrev, f"Møte i {name}"
    first = head[0] if head else "Ukjent"
    return first[:60], "dok", first[:80]


def _slug(text: str) -> str:
    from .guess import slug

    return slug(text, max_words=8, keep_all=True) or "kilde"
