"""Numbers that are not figures: years, dates, clock times, sak numbers, phone numbers,
references (kap. 701, figur 3, steg 2), list numbers, scale ends, periods, durations.

:func:`spans` marks them in one line; the figure finder skips marked text. Years and
periods are kept as spans with their values so that a figure nearby can take its year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

YEAR_MIN, YEAR_MAX = 1900, 2100

MONTHS = ("januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|"
          "desember|jan|feb|mar|apr|jun|jul|aug|sep|sept|okt|nov|des|january|february|"
          "march|may|june|july|october|december")
_L = r"A-Za-z\u00c0-\u024f"  # letters, Norwegian and accented included
_M = rf"(?:{MONTHS})(?![{_L}])\.?"
_SP = r"[ \u00a0\u202f]"
_DASH = r"[-\u2010-\u2015\u2212]"

# Words after which a number names something (a chapter, an article, a step) rather
# than counting it. Lower case, without the final period.
REFERENCE_WORDS = (
    "sak|saksnr|saksnummer|styresak|møte|mote|mål|delmål|kapittel|kap|post|artikkel|art|"
    "article|nr|nummer|no|figur|fig|tabell|vedlegg|versjon|v\\.|steg|fase|nivå|niva|gruppe|"
    "konsept|milepæl|milepael|uke|runde|punkt|pkt|side|s\\.|lysbilde|slide|fou|icd|"
    "ledd|bokstav|trinn|alternativ|kontor|klasse|avsnitt|kode|code|pin|st|nou|prop|innst|"
    "tiltak nr|oppgave|spørsmål|sporsmal|sesjon|kull|kategori|område nr|linje|page|"
    "chapter|section|annex|vedtak|pkt|release|sprint|bølge|bolge|pilot nr|element|del|"
    "rundskriv|paragraf|case|utredninger|§"
)

_YEAR = r"(?:19|20)[0-9]{2}"
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("url", re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.[a-z]{2,}|\[[^\]]*\]\([^)]*\)"
                       r"|\S*[/\\]\S*\.(?:pdf|xml|html?|docx?|xlsx?|pptx?)\b\S*", re.IGNORECASE)),
    # The unit of a table, not a figure: «Tall i 1000 kr», «(1 000 kroner)».
    ("unit", re.compile(rf"(?:\b(?:i|per|pr\.?)|\(){_SP}*(?:hele{_SP}+)?1[ \u00a0.]?000"
                        rf"{_SP}*(?:kr\b\.?|kroner|nok\b)\)?", re.IGNORECASE)),
    # Phone numbers and codes before anything reads their digit groups as numbers.
    ("phone", re.compile(rf"\+\+?47(?:{_SP}?[0-9]{{2,3}}){{0,4}}"
                         rf"|\b(?:tlf|telefon|mobil|tel|sms|ring|kode|code|pin"
                         rf"|org\.?{_SP}?nr|organisasjonsnummer|kontonr|kontonummer)"
                         rf"[\s*:.]*\+?[0-9][0-9 \u00a0.]{{5,}}[0-9]", re.IGNORECASE)),
    ("phone", re.compile(rf"(?<![0-9,.]){_SP.join(['[0-9]{2}'] * 4)}(?![0-9]|{_SP}[0-9])"
                         rf"|(?<![0-9,.])[4589][0-9]{{2}}{_SP}[0-9]{{2}}{_SP}[0-9]{{3}}"
                         rf"(?![0-9]|{_SP}[0-9])")),
    # Dates: 14.12.2023, 1.1.24, 2025-08-18, 09-12-2023, 24.–25. april 2024, 1. mars 22.
    ("date", re.compile(rf"(?<![0-9.,])[0-9]{{1,2}}\.{_SP}?[0-9]{{1,2}}\.{_SP}?"
                        rf"(?:{_YEAR}|[0-9]{{2}})?(?![0-9])"
                        rf"|(?<![0-9])[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}(?![0-9])"
                        rf"|(?<![0-9])[0-9]{{2}}-[0-9]{{2}}-[0-9]{{4}}(?![0-9])")),
    ("date", re.compile(rf"(?<![0-9.,])(?:[0-9]{{1,2}}\.?{_SP}*{_DASH}{_SP}*)?"
                        rf"[0-9]{{1,2}}\.?{_SP}*{_M}(?:{_SP}+(?:{_YEAR}|[0-9]{{2}}))?"
                        rf"(?![0-9])", re.IGNORECASE)),
    ("date", re.compile(rf"\b{_M}{_SP}*(?:{_DASH}|/|{_SP}){_SP}*[0-9]{{2}}(?![0-9])",
                        re.IGNORECASE)),
    # Clock times: 10:00, 09:26:34, kl. 12.35, 11.00 – 17.00.
    ("time", re.compile(rf"\bkl\.?{_SP}*(?:kl\.?{_SP}*)?(?:[01]?[0-9]|2[0-3])(?:[.:][0-5][0-9])?"
                        rf"(?:{_SP}*{_DASH}{_SP}*(?:[01]?[0-9]|2[0-3])[.:][0-5][0-9])?"
                        rf"(?![0-9])", re.IGNORECASE)),
    ("time", re.compile(r"(?<![0-9.,])(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?"
                        r"(?![0-9])")),
    ("time", re.compile(rf"(?<![0-9.,])(?:[01]?[0-9]|2[0-3])[.:][0-5][0-9]{_SP}*{_DASH}"
                        rf"{_SP}*(?:[01]?[0-9]|2[0-3])[.:][0-5][0-9](?![0-9])")),
    # Sak numbers and other N/M references: 02/26, sak 39/22, 2025/1535, styresak 145-2023.
    ("sak", re.compile(rf"(?<![0-9,.])[0-9]{{1,3}}/[0-9]{{2}}(?![0-9/])"
                       rf"|\b(?:styre)?sak{_SP}*[0-9]{{1,4}}{_DASH}{_YEAR}\b", re.IGNORECASE)),
    ("ref", re.compile(r"(?<![0-9,.])[0-9]+(?:/[0-9]+)+(?![0-9])")),
    ("ref", re.compile(r"(?<!\bi )\b[Dd]ag\s+[1-9](?![0-9]|[.,][0-9])")),
    # Street addresses: Universitetsgata 2, Storgata 12 B.
    ("address", re.compile(rf"\b[{_L}]+(?:gata|gate|gaten|veien|vei|vegen|veg|plass|allé|alle|"
                           rf"torget|stien|bakken|brygge){_SP}+[0-9]{{1,4}}(?:{_SP}?[A-Za-z]\b)?")),
    # Versions after an acronym: SSD 0.95, V 21.1.
    ("ident", re.compile(r"\b[A-ZÆØÅ]{1,6}\.?[ ]+[0-9]+\.[0-9]+(?![0-9])")),
    # Identifiers: letters and digits in one token (HL7, 16F, Q1, 1B, ICD-10, id2849251).
    ("ident", re.compile(rf"[{_L}][{_L}_]*[-]?[0-9][0-9{_L}_.-]*|[0-9]+[{_L}_][0-9{_L}_.-]*"
                         rf"|[0-9]+[-][{_L}][0-9{_L}_-]*")),
    # Periods: 2030–2043, 2023-24, (2020 - 2023).
    ("period", re.compile(rf"(?<![0-9,.]){_YEAR}{_SP}*{_DASH}{_SP}*(?:{_YEAR}|[0-9]{{2}})"
                          rf"(?![0-9])")),
    # References: kap. 701, post 21, figur 1.2, steg 1 og 2, Meld. St. 5, art. 51.
    ("ref", re.compile(rf"(?<![{_L}])(?:{REFERENCE_WORDS})\.?{_SP}*(?:nr\.?{_SP}*)?"
                       rf"[0-9]+(?:[.,][0-9]+)*(?::{_SP}?[0-9]+)?[{_L}]?(?:\([0-9]+\))*(?:{_SP}*(?:,|og|eller|til|&|{_DASH})"
                       rf"{_SP}*[0-9]+(?:[.,][0-9]+)*[{_L}]?)*(?![0-9])", re.IGNORECASE)),
    # Durations and ages: over 6 år, 10 min, 12-16 år, 3 – 5 årene, (14 ar).
    ("duration", re.compile(
        rf"(?<![0-9,.])[0-9]+(?:[.,][0-9]+)?(?:{_SP}*{_DASH}{_SP}*[0-9]+)?{_SP}*"
        r"(?:år|års|året|årene|(?-i:ar|aret|arene)|måneder|måned|maneder|mnd|uker|uke|dager|"
        r"dag|døgn|timer|time|minutter|min|sekunder|sek|years?|months?|weeks?|days?|"
        r"hours?)(?![" + _L + r"])", re.IGNORECASE)),
    # Scale ends: (1 helt usannsynlig, 10 veldig sannsynlig).
    ("scale", re.compile(r"\(\s*[01]\s+[^0-9()]+?,\s*(?:4|5|6|7|10)\s+[^0-9()]+\)")),
]

_SKALA = re.compile(r"\b(?:skala|scale)\b", re.IGNORECASE)
_SMALL_INT = re.compile(r"(?<![0-9.,])(?:10|[0-9])(?![0-9]|[.,][0-9])")
_SCALE_PAIR = re.compile(rf"(?<![0-9.,])([0-9]{{1,2}}){_SP}*(?:{_DASH}|til|to){_SP}*"
                         rf"([0-9]{{1,2}})(?![0-9]|[.,][0-9])", re.IGNORECASE)
_YEAR_TOKEN = re.compile(rf"(?<![0-9.,{_L}_]){_YEAR}(?![0-9{_L}]|[.,][0-9])")
_LIST_NUMBER = re.compile(r"^\s*(?:[-*•»«·>#|]\s*)*\(?[0-9]{1,2}(?:[.)]|\*\*)(?=\s|$)"
                          r"|^\s*(?:[-*•»«·>#]\s*)*(?:[1-9]|[12][0-9]|30)(?=\s+[A-ZÆØÅ])"
                          r"|^\s*(?:[-*•»«·>#|]\s*)*[0-9]{1,2}(?:\.[0-9]{1,2})+\.?(?=\s+[A-ZÆØÅ])"
                          r"|^\s*[0-9]{1,2},(?=\s+[A-ZÆØÅ][a-zæøå])")
# A list number after a column bar, tab or symbol inside a line («2 | 1. Helhetlig …»).
_INNER_LIST = re.compile(r"[|\t•&#*+=]\s*([0-9]{1,2})\.(?=\s+[A-ZÆØÅ])")
# A lone 4 or 8 before an infinitive is OCR's reading of «å» (til 4 ta, for 8 komme).
_GARBLED_AA = re.compile(r"\b(?:til|for|om|enn|ved|uten|og|ikke)\s+([48])\s+"
                         r"(?=(?:ta|gå|ga|g3|se|bli|få|fa|gi|nå|na|[a-zæøå]+e)\b)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # url phone date time sak ref period ident duration scale year list aa
    text: str
    years: tuple[int, ...] = ()


def spans(text: str) -> list[Span]:
    """Non-figure spans in one line, in order, not overlapping (the first rule wins)."""
    found: list[Span] = []
    taken = [False] * len(text)

    def add(start: int, end: int, kind: str) -> None:
        if start >= end or any(taken[start:end]):
            # A later rule may still claim the untaken part of a longer match (e.g. a
            # date inside an identifier) — but the simple rule is: first match wins.
            return
        for i in range(start, end):
            taken[i] = True
        frag = text[start:end]
        years = tuple(int(y) for y in re.findall(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])",
                                                 frag))
        if kind == "period":
            two = re.findall(r"[0-9]+", frag)
            if len(two) == 2 and len(two[1]) == 2:
                years = (int(two[0]), int(two[0][:2] + two[1]))
        found.append(Span(start, end, kind, frag, years))

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            add(m.start(), m.end(), kind)
    m = _LIST_NUMBER.match(text)
    if m:
        digits = re.search(r"[0-9]+", m.group())
        add(digits.start(), digits.end(), "list")
    for m in _INNER_LIST.finditer(text):
        add(m.start(1), m.end(1), "list")
    for m in _GARBLED_AA.finditer(text):
        add(m.start(1), m.end(1), "aa")
    sk = _SKALA.search(text)
    if sk:
        for m in _SCALE_PAIR.finditer(text, sk.end()):
            add(m.start(), m.end(), "scale")
        for m in _SMALL_INT.finditer(text, sk.end()):
            add(m.start(), m.end(), "scale")
    return sorted(found, key=lambda s: s.start)


def year_tokens(text: str, taken: list[Span]) -> list[Span]:
    """Plain four-digit years (1900–2100) outside the spans already taken."""
    out = []
    for m in _YEAR_TOKEN.finditer(text):
        if any(s.start <= m.start() < s.end for s in taken):
            continue
        y = int(m.group())
        if YEAR_MIN <= y <= YEAR_MAX:
            out.append(Span(m.start(), m.end(), "year", m.group(), (y,)))
    return out


def scale_ends(text: str) -> tuple[int, int] | None:
    """The ends of a rating scale stated on this line («skala fra 1 til 5»)."""
    sk = _SKALA.search(text)
    if sk:
        m = _SCALE_PAIR.search(text, sk.end())
        if m and int(m.group(1)) < int(m.group(2)):
            return int(m.group(1)), int(m.group(2))
    m = _PATTERNS[-1][1].search(text)
    if m:
        nums = re.findall(r"[0-9]+", m.group())
        return int(nums[0]), int(nums[1])
    return None
