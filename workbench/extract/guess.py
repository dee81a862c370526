"""Best guesses for a figure: its label, year, catalog dataset, key and measure.

Everything here is a proposal for the analyst to confirm or correct; nothing is final.
The rules read the figure's own line first, then its block, then its sak.
"""

from __future__ import annotations

import re
import unicodedata

from .figures import COUNT, NOK, PERCENT, SCORE, Figure
from .layout import LineInfo
from .nonfigures import Span

_SP = r"[ \u00a0\u202f]"
_CONNECTORS = {"på", "pa", "til", "med", "av", "er", "var", "ble", "i", "fra",
               "og", "om", "for", "har", "hadde", "ca", "ca.", "cirka",
               "over", "under", "minst", "rundt", "omtrent", "nesten", "–", "-", "—",
               "the", "of", "to", "at", "som", "en", "et", "ett", "de", "det", "den",
               "kr", "nok", "kroner", "mottok", "utgjør", "utgjor", "drøyt"}
_NOUN_AFTER = re.compile(rf"{_SP}*([a-zæøå][a-zæøå\-]+)")


def _words(text: str) -> list[str]:
    return text.split()


def clean(text: str) -> str:
    text = re.sub(r"<[^>]+>|\*\*|__|\[|\]\([^)]*\)", " ", text)
    text = re.sub(r"^[\W_]+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


def label(info: LineInfo, fig: Figure, previous: list[LineInfo]) -> str:
    """The text before the figure on its line (its last clause, a few words), or the
    row and column header of a table cell, or the line above when the figure stands
    alone."""
    text = info.line.text
    if info.header and "\t" in text:
        cells = text.split("\t")
        pos = 0
        col = None
        for i, c in enumerate(cells):
            if pos <= fig.start < pos + len(c) + 1:
                col = i
                break
            pos += len(c) + 1
        row = clean(next((c for c in cells if c.strip()), ""))
        head = _column_name(info.header, cells, col)
        if col == 0 or not head:
            return row
        return f"{row} – {head}" if row and not _has_digit_only(row) else head
    before = text[: fig.start]
    before = re.split(r"(?<=[.!?;])\s+|\t", before)[-1]
    clause = re.split(r"[,;:]\s+", before)[-1]
    if len(clause.split()) >= 2:
        before = clause
    words = [w for w in clean(before).split()]
    while words and words[0].lower() in ("og", "men", "eller", "så", "da", "at", "som"):
        words.pop(0)
    while words and (words[-1].lower().strip("(:,") in _CONNECTORS or
                     not re.search(r"[A-Za-zÆØÅæøå0-9]", words[-1])):
        words.pop()
    words = [w.strip("(") for w in words[-8:]]
    lab = " ".join(words).rstrip(" :,(–-")
    if fig.unit == COUNT:
        noun = _NOUN_AFTER.match(text, fig.end)
        if noun and noun.group(1) not in _CONNECTORS:
            lab = f"{lab} … {noun.group(1)}" if lab else noun.group(1)
    if lab:
        return lab
    for p in reversed(previous[-6:]):
        t = clean(p.line.text)
        if not t:
            break
        if not re.search(r"[0-9]", t):
            return t[:80]
    after = clean(text[fig.end:])
    return " ".join(after.split()[:6])


def _has_digit_only(text: str) -> bool:
    return not re.search(r"[A-Za-zÆØÅæøå]", text)


def _column_name(header, cells: list[str], col: int | None) -> str:
    if col is None or not header:
        return ""
    if len(cells) == len(header):
        return header[col].name
    # Cells lost on the way (empty cells in a PDF): align numbers from the right.
    from_right = len(cells) - col
    if from_right <= len(header):
        return header[len(header) - from_right].name
    return ""


def year(info: LineInfo, fig: Figure, spans: list[Span], years: list[Span],
         previous: list[LineInfo], previous_years: list[list[int]],
         document_year: int | None) -> int | None:
    """The year a figure applies to: on its line (just after it, else before it), else in
    its block, else in its sak, else the document's year."""
    text = info.line.text
    after = [s for s in years if s.start >= fig.end]
    before = [s for s in years if s.end <= fig.start]
    if after:
        gap = text[fig.end: after[0].start]
        if len(gap.split()) <= 4 and not re.search(r"[.;](?:\s|$)", gap):
            return after[0].years[0]
    if before:
        return before[-1].years[0]
    if after:
        gap = text[fig.end: after[0].start]
        if not re.search(r"[.;](?:\s|$)", gap):
            return after[0].years[0]
    sent = sentence(text, fig)
    s0 = text.find(sent)
    dates = [s for s in spans if s.kind == "date" and s.years and s0 <= s.start < s0 + len(sent)]
    if dates:
        return dates[-1].years[-1]
    for dated in (False, True):
        for p, ys in zip(reversed(previous[-8:]), reversed(previous_years[-8:]),
                         strict=True):
            if p.block != info.block:
                break
            ys = [y for y, is_date in ys if is_date == dated]
            if ys:
                return ys[-1]
        for p, ys in zip(reversed(previous), reversed(previous_years), strict=True):
            if p.sak != info.sak:
                break
            ys = [y for y, is_date in ys if is_date == dated]
            if ys:
                return ys[-1]
    return document_year


_GRANT = re.compile(r"søkn|sokn|søkt|innvilg|tilskuddsordning|tilskuddsramme|utlys|"
                    r"tilskuddsmidl|fått tilskudd|tildelt", re.IGNORECASE)
_VFT = re.compile(r"mottakere", re.IGNORECASE)
_SURVEY = re.compile(r"respondent|svarte|spørreundersøk|sporreundersok|undersøkelse|"
                     r"\bsvar\b|oppgir|mener|opplev", re.IGNORECASE)
_ADOPTION = re.compile(r"i bruk|tatt i bruk|innført|integrert|koblet|tilkoblet|utbred|"
                       r"daglig bruk|oppretter|opprettet|etablert|kontrakt|produksjon",
                       re.IGNORECASE)
_MUNICIPAL = re.compile(r"kommune|tiltak|portefølje|samarbeid|eldre|innbygger|ansatte|"
                        r"kostnad", re.IGNORECASE)


def sentence(text: str, fig: Figure) -> str:
    """The sentence of ``text`` that contains the figure."""
    start = max([0] + [m.end() for m in re.finditer(r"[.!?]\s+(?=[A-ZÆØÅ0-9])",
                                                    text[: fig.start])])
    m = re.search(r"[.!?](?:\s+[A-ZÆØÅ]|$)", text[fig.end:])
    end = fig.end + (m.start() + 1 if m else len(text) - fig.end)
    return text[start:end]


def dataset(fig: Figure, info: LineInfo, context: str, lab: str, strict: bool = False
            ) -> str:
    """The catalog dataset the figure most likely belongs to, or '' when unsure.

    ``strict`` gives an answer only on a keyword in ``context`` (not by default)."""
    if fig.unit in (PERCENT, SCORE):
        return "survey_results"
    if fig.unit == NOK:
        if info.table_scale or (info.header and any(c.scale for c in info.header)):
            if re.match(r"(?i)\W*(sum|totalt|i alt|samlet)\b", lab):
                return "stated_totals"
            return "grant_projects"
        if _GRANT.search(context):
            return "grant_rounds"
        if re.search(r"kostnad|framskriv|fremskriv", context, re.IGNORECASE):
            return "municipal_counts"
        if strict and not re.search(r"budsjett|bevilg|mill|mrd|ordning|satsing|kap\.|post",
                                    context, re.IGNORECASE):
            return ""
        return "budget_lines"
    if fig.unit == COUNT:
        if _VFT.search(context) and re.search(r"velferdsteknolog", context, re.IGNORECASE):
            return "vft_recipients"
        if _GRANT.search(context):
            return "grant_rounds"
        if _SURVEY.search(context):
            return "survey_results"
        if _ADOPTION.search(context):
            return "adoption_counts"
        if _MUNICIPAL.search(context):
            return "municipal_counts"
    return ""


_COUNT_UNITS = (
    ("kommuner", r"kommune"),
    ("virksomheter", r"kontor|virksomhet|helseforetak|sykehus|apotek|sykehjem"),
    ("systemer", r"system"),
    ("leverandorer", r"leverand"),
    ("prosjekter", r"prosjekt|tiltak"),
    ("samarbeid", r"samarbeid|nettverk|helsefellesskap|region"),
    ("brukere", r"bruker"),
    ("tjenester", r"tjeneste"),
    ("personer", r"person|pasient|innbygger|eldre|ansatt|nordm|mottaker|deltaker|pll"),
)


# The words that name a figure's kind, tried in order: the first that occurs wins.
_BUDGET_KINDS = [
    (r"over \d+ år|over \d+ ar|ramme|envelope", "envelope"),
    (r"bevilg|vedtatt|satt av|avsatt|statsbudsjettet for", "appropriation"),
    (r"forslag|foreslå|foresla|prop\.", "proposal"),
    (r"fordel|tildel", "allocation"),
    (r"anslag|anslått|estimat", "estimate"),
]
_GRANT_AMOUNTS = [
    (r"overfør|overfor", "transferred_nok"),
    (r"søknadsbeløp|søkt|søknadene var|søknader på|søknader med", "applied_nok"),
    (r"satt av|bevilg|ramme|til ordningen|tilskuddsordning|avsatt", "available_nok"),
    (r"innvilg|tildelt", "granted_nok"),
]


def _first_rule(rules: list[tuple[str, str]], text: str) -> str:
    return next((kind for pattern, kind in rules if re.search(pattern, text)), "")


def measure(ds: str, fig: Figure, context: str, text: str) -> str:
    """The dataset's kind of figure: budget kind, grant measure, survey statistic or the
    unit of a count; '' when the text does not say."""
    noun = _NOUN_AFTER.match(text, fig.end)
    noun = noun.group(1).lower() if noun else ""
    low = context.lower()
    if ds == "budget_lines":
        return _first_rule(_BUDGET_KINDS, low)
    if ds == "grant_rounds":
        if fig.unit == NOK:
            return _first_rule(_GRANT_AMOUNTS, low)
        after = text[fig.end: fig.end + 60].lower()
        if noun.startswith("kommun"):
            return "applicant_kommuner"
        if re.search(r"innvilg|fått tilskudd|tildelt", after):
            return "granted_projects"
        if noun.startswith(("søknad", "sokn")):
            return "applications"
        if noun.startswith("prosjekt") and re.search(r"innvilg|tildelt|fått", low):
            return "granted_projects"
        return ""
    if ds == "survey_results":
        if fig.unit == PERCENT:
            return "share"
        if fig.unit == SCORE:
            return "mean"
        if re.search(r"respondent|svar", noun + " " + low):
            return "n"
        return "count"
    if ds in ("adoption_counts", "municipal_counts"):
        if fig.unit == NOK:
            return "nok"
        for unit, pattern in _COUNT_UNITS:
            if re.match(pattern, noun):
                return unit
        return ""
    return ""


def extra(ds: str, fig: Figure, info: LineInfo, text: str) -> str:
    """Optional dataset columns the text states: scale ends for a mean, the total a
    count is out of («32 av totalt 41»)."""
    parts = []
    if ds == "survey_results" and fig.unit == SCORE and info.scale:
        parts.append(f"scale_min={info.scale[0]}; scale_max={info.scale[1]}")
    if ds in ("adoption_counts", "municipal_counts"):
        m = re.match(rf"{_SP}*(?:[a-zæøå]+{_SP}+)?av{_SP}+(?:totalt{_SP}+|i alt{_SP}+|alle"
                     rf"{_SP}+)?([0-9][0-9 \u00a0]*[0-9]|[0-9])(?![0-9,.])", text[fig.end:])
        if m:
            parts.append(f"denominator={re.sub(r'[^0-9]', '', m.group(1))}")
    return "; ".join(parts)


def programme(context: str, known: list[str]) -> str:
    """A grant programme named in the context: one the database knows, else a name
    ending in «-ordningen» («Helseteknologiordningen»)."""
    low = context.lower()
    for name in known:
        if name.lower() in low:
            return name
    m = re.search(r"\b([A-ZÆØÅ][a-zæøå]+ordningen)\b", context)
    return m.group(1) if m else ""


def group(ds: str) -> str:
    return "Alle" if ds in ("adoption_counts", "municipal_counts", "survey_results",
                            "vft_recipients") else ""


def slug(text: str, max_words: int = 4, *, keep_all: bool = False) -> str:
    """An identifier from a label: lower case ASCII, hyphens («Økt kvalitet» →
    «okt-kvalitet»)."""
    t = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", t)
    if not keep_all:
        words = [w for w in words if w not in _SLUG_STOP and not w.isdigit()] or words
    return "-".join(words[:max_words])


_SLUG_STOP = {"og", "i", "for", "av", "til", "the", "of", "med", "mottok", "har", "er",
              "var", "ble", "fra", "pa", "en", "et", "ett", "som", "det", "den", "de",
              "at", "om", "totalt", "sammen"}
