"""Finding figures in a line of text and normalising their values.

Money becomes whole kroner («56,7 mill. kr» → 56700000, «1,25 mrd.» → 1250000000,
«389 600 000 kroner», a cell under «beløp i 1000 kr» × 1000); counts are integers
(«133 731», «41 000», «180.000», «To nye leverandører»); percentages stay 0–100; a bare
decimal is a score («3,84»). Each figure carries the verbatim text it was read from,
Norwegian notes on how it was read, and how many confidence steps the reading costs
(a unit that had to be inferred, an approximate figure, OCR damage around the digits).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from . import nonfigures
from .nonfigures import Span

NOK, COUNT, PERCENT, SCORE, OTHER = "NOK", "count", "percent", "score", "other"
UNITS = (NOK, COUNT, PERCENT, SCORE, OTHER)

_SP = r"[ \u00a0\u202f]"
_L = r"A-Za-z\u00c0-\u024f"
_NUMBER = re.compile(
    rf"(?<![0-9{_L}.,/\\])"
    rf"(?P<num>[0-9]{{1,3}}(?:{_SP}[0-9]{{3}}(?![0-9]))+(?:,[0-9]+)?"  # 95 718 / 1 250,5
    rf"|[0-9]{{1,3}}(?:\.[0-9]{{3}}(?![0-9]))+(?!,[0-9])"  # 180.000
    rf"|[0-9]+(?:[,.][0-9]+)?)"  # 2024, 56,7, 3.84
    rf"(?![0-9])")
# On a line of numbers only (a chart's labels), «350 327» is two numbers, not 350327: a
# space between two three-digit groups is read as a thousands separator only before
# «000» or after a group of one or two digits («9 472», «25 000»).
_NUMBER_LIST = re.compile(
    rf"(?<![0-9{_L}.,/\\])"
    rf"(?P<num>[0-9]{{1,2}}(?:{_SP}[0-9]{{3}}(?![0-9]))+(?:,[0-9]+)?"
    rf"|[0-9]{{3}}(?:{_SP}000(?![0-9]))+"
    rf"|[0-9]{{1,3}}(?:\.[0-9]{{3}}(?![0-9]))+(?!,[0-9])"
    rf"|[0-9]+(?:[,.][0-9]+)?)"
    rf"(?![0-9])")
_SCALES = {"mrd": 10 ** 9, "milliard": 10 ** 9, "mia": 10 ** 9, "billion": 10 ** 9,
           "mill": 10 ** 6, "million": 10 ** 6, "mnok": 10 ** 6, "tusen": 10 ** 3,
           "thousand": 10 ** 3}
_CURRENCY = r"kr\.?|kroner|nok|euro|eur|€|usd|dollar|\$|,-"
_AFTER = re.compile(
    rf"{_SP}*(?:(?P<pct>%-?poeng|%|prosentpoeng|prosent|pst\.?|percent|per{_SP}cent)"
    rf"|(?P<scale>mrd\.?|milliard(?:er)?|mia\.?|mill\.?|millioner|million(?:er|s)?|mnok"
    rf"|tusen|billion|thousand)(?:{_SP}*(?P<cur1>{_CURRENCY}))?"
    rf"|(?P<cur2>{_CURRENCY}))(?![{_L}])", re.IGNORECASE)
_BEFORE_CURRENCY = re.compile(rf"(?:^|(?<=[^{_L}]))(?P<cur>kr\.?|NOK|EUR|USD|€|\$){_SP}*$",
                              re.IGNORECASE)
_OCR_DECIMAL = re.compile(rf",{_SP}([0-9]{{1,2}})(?={_SP}*(?:mill|mrd|milliard|million))",
                          re.IGNORECASE)
_APPROX = re.compile(rf"(?:\bca\.?|\bcirka|\bomtrent|\bom{_SP}lag|\brundt|~|\banslagsvis"
                     rf"|\bdrøyt|\bnesten|\bi{_SP}underkant{_SP}av|\bi{_SP}overkant{_SP}av)"
                     rf"{_SP}*$", re.IGNORECASE)
_LOWER_BOUND = re.compile(rf"(?:\bover|\bminst|\bmer{_SP}enn|\bflere{_SP}enn){_SP}*$",
                          re.IGNORECASE)
_MINUS = "-\u2212"  # hyphen-minus and the minus sign
_RANGE_DASH = re.compile(rf"^{_SP}*[-\u2010-\u2015\u2212]{_SP}*$")
_JUNK = set("_|[]{}=~^¢©®")
# Nouns after «millioner» that make it a count, not kroner («1,5 millioner nordmenn»).
_COUNT_NOUNS = re.compile(
    r"(?:personer|nordmenn|innbyggere|brukere|pasienter|mennesker|eldre|ansatte|besøk|"
    r"konsultasjoner|meldinger|oppslag|dokumenter|resepter|innlogginger|kommuner|"
    r"henvendelser|timer|årsverk|elever|barn|mottakere|deltakere|brukarar|people|users|"
    r"visits|downloads|nedlastinger|samtaler|journaler|tilfeller|[a-zæøå]+ere)\b", re.IGNORECASE)

NUMBER_WORDS = {"én": 1, "ett": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6,
                "sju": 7, "syv": 7, "åtte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12,
                "femten": 15, "tjue": 20, "hundre": 100}
_WORD = re.compile(rf"(?<![{_L}])(?P<w>{'|'.join(NUMBER_WORDS)})(?={_SP}+(?P<next>[{_L}]+))",
                   re.IGNORECASE)
_WORD_STOP = {"eller", "og", "av", "til", "om", "annen", "annet", "andre", "gang", "ganger",
              "sammen", "ganske", "i", "på", "pa", "for", "med", "fra", "som", "er", "var",
              "the", "be", "an", "a", "of", "this", "that", "in", "is", "and", "health",
              "medical", "article", "ensure", "launch", "manipulate", "du", "vi", "de",
              "jeg", "seg", "sitt", "sin", "hver", "dem"}
_ENGLISH = re.compile(r"\b(?:the|and|of|is|are|be|with|that|this|shall|which|from)\b",
                      re.IGNORECASE)
_DURATION_WORD = re.compile(r"(?:år|ar|års|årene|året|måneder|mnd|uker|uke|dager|døgn|"
                            r"timer|minutter|sekunder)$", re.IGNORECASE)


@dataclass
class Figure:
    start: int  # span of the whole figure (number and unit) in the line
    end: int
    raw: str
    value: int | Decimal
    unit: str
    penalty: int = 0  # confidence steps lost in reading
    notes: list[str] = field(default_factory=list)
    word: bool = False  # a number word («to», «fire»)
    scale: int = 1  # the multiplier applied (mill. = 10**6, a 1000-kr table = 1000)


def find(text: str, taken: list[Span], *, table_scale: int | None = None,
         table_note: str = "", number_list: bool = False) -> list[Figure]:
    """Figures on one line outside the non-figure ``taken`` spans.

    ``table_scale`` multiplies bare numbers (no unit of their own) into kroner: the line
    is a row of a table whose header says «beløp i 1000 kr» (1000) or «i mill. kr».
    """
    figures: list[Figure] = []
    last_end = 0
    for m in (_NUMBER_LIST if number_list else _NUMBER).finditer(text):
        if m.start() < last_end or _overlaps(m.start(), m.end(), taken):
            continue
        fig = _read(text, m, table_scale, table_note)
        if fig is None or (years_only(fig) and not table_scale):
            continue
        figures.append(fig)
        last_end = fig.end
    figures += _number_words(text, taken, [(f.start, f.end) for f in figures])
    figures.sort(key=lambda f: f.start)
    _mark_ranges(text, figures)
    return figures


def years_only(fig: Figure) -> bool:
    """A bare four-digit number 1900–2100 with no unit is a year, not a figure."""
    return (fig.unit == COUNT and not fig.word and re.fullmatch(r"[0-9]{4}", fig.raw)
            is not None and nonfigures.YEAR_MIN <= int(fig.raw) <= nonfigures.YEAR_MAX)


def _overlaps(s: int, e: int, spans: list[Span]) -> bool:
    return any(s < sp.end and sp.start < e for sp in spans)


def _negative(text: str, start: int) -> bool:
    """A minus sign glued to the digits («er −12,3 mill. kr», «-5 %»), not a range's
    dash («10 - 15», «2020-2024»), a list's («- 5 kommuner») or a name's («Covid-19»):
    the sign is followed by the digit at ``start``, the text before it does not end in a
    number, and no letter touches it."""
    if start == 0 or text[start - 1] not in _MINUS:
        return False
    before = text[:start - 1]
    return not re.search(rf"(?:[0-9]{_SP}*|[{_L}])$", before)


def _decimal(num: str) -> Decimal:
    t = re.sub(_SP, "", num)
    if re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+", t):
        return Decimal(t.replace(".", ""))
    return Decimal(t.replace(",", "."))


def _read(text: str, m: re.Match, table_scale: int | None, table_note: str
          ) -> Figure | None:
    num = m.group("num")
    start, end = m.span()
    notes: list[str] = []
    penalty = 0
    value = _decimal(num)
    is_decimal = bool(re.search(r"[,.][0-9]", num)) and not re.fullmatch(
        r"[0-9]{1,3}(?:\.[0-9]{3})+", num)
    fix = _OCR_DECIMAL.match(text, end)
    if fix and not is_decimal:
        value = Decimal(f"{re.sub(_SP, '', num)}.{fix.group(1)}")
        end = fix.end()
        is_decimal = True
        penalty += 1
        notes.append("mellomrom etter desimalkomma (OCR?); lest som ett tall")
    after = _AFTER.match(text, end)
    if not after and end < len(text) and re.match(rf"[{_L}]", text[end]):
        return None  # digits glued to a word: an identifier, not a figure
    negative = _negative(text, start)
    if negative:
        start -= 1
        value = -value
    before = text[:start]
    cur_before = _BEFORE_CURRENCY.search(before)
    unit = None
    scale = 1
    currency = cur_before.group("cur") if cur_before else None
    if cur_before:
        start = cur_before.start()
    if after:
        end = after.end()
        if after.group("pct"):
            word = after.group("pct").lower()
            unit = OTHER if "poeng" in word else PERCENT
            if unit == OTHER:
                notes.append("prosentpoeng")
        else:
            if after.group("scale"):
                key = re.sub(r"[^a-z]", "", after.group("scale").lower())
                key = next(k for k in _SCALES if key.startswith(k))
                scale = _SCALES[key]
            currency = after.group("cur1") or after.group("cur2") or currency
    if unit is None:
        if currency:
            unit = NOK if currency.lower().rstrip(".") in ("kr", "kroner", "nok", ",-") \
                else OTHER
            if unit == OTHER:
                notes.append(f"beløp i {currency}")
        elif scale > 1:
            rest = text[end:]
            noun = re.match(rf"{_SP}*([{_L}]+)", rest)
            if noun and _COUNT_NOUNS.fullmatch(noun.group(1)):
                unit = COUNT
            elif _ENGLISH.search(text) and re.search(r"euro|€|eur\b", text, re.IGNORECASE):
                unit = OTHER
                notes.append("beløp i euro (valuta antatt fra linjen)")
                penalty += 1
            else:
                unit = NOK
                penalty += 1
                notes.append("enhet antatt: kroner (bare «mill.»/«mrd.» står oppgitt)")
        elif table_scale:
            unit = NOK
            scale = table_scale
            notes.append(table_note or f"tabellen oppgir beløp i {table_scale} kr")
        elif is_decimal:
            unit = SCORE if value <= 10 else OTHER
            if unit == OTHER:
                notes.append("desimaltall uten enhet")
        else:
            unit = COUNT
    if unit in (NOK, COUNT, OTHER) and scale > 1:
        value = value * scale
    if unit == NOK:
        whole = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        if whole != value:
            notes.append("avrundet til hele kroner")
        value = int(whole)
    elif unit == COUNT:
        if value != value.to_integral_value():
            unit = SCORE if value <= 10 else OTHER
        else:
            value = int(value)
    if _APPROX.search(before):
        penalty += 1
        notes.append("omtrentlig tall («" + _APPROX.search(before).group().strip() + "»)")
    elif _LOWER_BOUND.search(before):
        notes.append("nedre grense («" + _LOWER_BOUND.search(before).group().strip() + "»)")
    around = (text[m.start() - 1: m.start()] if m.start() else "") + text[m.end(): m.end() + 1]
    if any(c in _JUNK for c in around):
        penalty += 1
        notes.append("tegn fra OCR rett ved tallet")
    return Figure(start, end, text[start:end].strip(), value, unit, penalty, notes,
                  scale=scale)


def _number_words(text: str, taken: list[Span], used: list[tuple[int, int]]
                  ) -> list[Figure]:
    if len(_ENGLISH.findall(text)) >= 2:
        return []
    out = []
    for m in _WORD.finditer(text):
        word, nxt = m.group("w"), m.group("next")
        low = word.lower()
        if nxt.lower() in _WORD_STOP or _DURATION_WORD.match(nxt):
            continue
        if low in ("én", "ett") and (not nxt.islower() or not used):
            # «én»/«ett» is a figure in a line that counts things («ett fastlegekontor
            # … ca. 100 PLL»), far more often emphasis elsewhere («én innbygger»).
            continue
        s, e = m.start(), m.end()
        if _overlaps(s, e, taken) or any(a < e and s < b for a, b in used):
            continue
        value = Decimal(NUMBER_WORDS[low])
        unit, notes, end = COUNT, ["tall skrevet med bokstaver"], e
        after = _AFTER.match(text, e)
        if after and after.group("scale"):
            key = re.sub(r"[^a-z]", "", after.group("scale").lower())
            key = next(k for k in _SCALES if key.startswith(k))
            value *= _SCALES[key]
            end = after.end()
            if after.group("cur1") or not _COUNT_NOUNS.match(text[end:].strip() or "x"):
                unit = NOK
                if not after.group("cur1"):
                    notes.append("enhet antatt: kroner")
        out.append(Figure(s, end, text[s:end], int(value), unit, 1, notes, word=True))
    return out


def _mark_ranges(text: str, figures: list[Figure]) -> None:
    """«10–15 kommuner»: both ends are read, each noted as part of a range."""
    for a, b in itertools.pairwise(figures):
        if _RANGE_DASH.match(text[a.end:b.start]) and a.unit in (b.unit, COUNT):
            for f in (a, b):
                f.penalty += 1
                f.notes.append(f"del av et intervall («{text[a.start:b.end]}»)")
            if a.unit == COUNT and b.unit != COUNT and isinstance(a.value, int):
                # «2–3 mill. kr»: the first end takes the unit of the second.
                a.unit, a.value, a.scale = b.unit, a.value * b.scale, b.scale


def format_value(value: int | Decimal, unit: str) -> str:
    """The value as written in the proposals CSV: whole numbers plain, decimals with a
    decimal comma (what Norwegian Excel reads as a number)."""
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    return text.replace(".", ",")
