"""Turning cell text into typed values, with Norwegian conventions handled on purpose.

Accepted: decimal comma in decimal columns (``3,4``), thousands separated by space,
no-break space or narrow no-break space (``95 718``), dates as ``2024-04-24`` or
``24.04.2024``. Rejected with a message: units and suffixes (``56,7 mill. kr``), decimal
comma or point where a whole number is expected, ``.``/``,`` as thousands separators
(ambiguous), kommunenummer without its leading zero.

Everything is vectorised with polars expressions: files with millions of rows pass here
when they need Norwegian-aware parsing.
"""

from __future__ import annotations

import re

import polars as pl

from .catalog import Column
from .params import FALSE_WORDS, TRUE_WORDS

_SPACES = "[ \u00a0\u202f]"
_GROUPED_INT = rf"[+-]?[0-9]{{1,3}}(?:{_SPACES}[0-9]{{3}})+"
_PLAIN_INT = r"[+-]?[0-9]+"
_INT_RE = rf"^(?:{_PLAIN_INT}|{_GROUPED_INT})$"
_DEC_RE = rf"^(?:{_PLAIN_INT}|{_GROUPED_INT})(?:[.,][0-9]+)?$"
_DATE_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE_NO = r"^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}$"

POLARS_TYPES = {
    "text": pl.String,
    "int": pl.Int64,
    "money": pl.Int64,
    "decimal": pl.Float64,
    "date": pl.Date,
    "bool": pl.Boolean,
    "kommunenummer": pl.String,
}


def convert(col: Column, raw: pl.Expr) -> pl.Expr:
    """Expression turning stripped text (null for empty) into the column's type.

    Values that cannot be converted become null; :func:`explain` says why for those.
    """
    t = col.type
    if t in ("text", "kommunenummer"):
        return raw
    raw = raw.str.strip_chars()
    if t in ("int", "money"):
        ok = raw.str.contains(_INT_RE)
        return pl.when(ok).then(raw.str.replace_all(_SPACES, "").cast(pl.Int64, strict=False))
    if t == "decimal":
        ok = raw.str.contains(_DEC_RE)
        norm = raw.str.replace_all(_SPACES, "").str.replace(",", ".", literal=True)
        return pl.when(ok).then(norm.cast(pl.Float64, strict=False))
    if t == "date":
        iso = raw.str.to_date("%Y-%m-%d", strict=False)
        no = raw.str.to_date("%d.%m.%Y", strict=False)
        return (pl.when(raw.str.contains(_DATE_ISO)).then(iso)
                .when(raw.str.contains(_DATE_NO)).then(no))
    if t == "bool":
        low = raw.str.to_lowercase()
        return (pl.when(low.is_in(TRUE_WORDS)).then(True)
                .when(low.is_in(FALSE_WORDS)).then(False))
    raise ValueError(t)


def explain(col: Column, value: str) -> str:
    """Why ``value`` is not a valid ``col`` (called only for values that failed)."""
    t = col.type
    v = value.strip()
    if t in ("int", "money"):
        what = "a whole number of kroner" if t == "money" else "a whole number"
        if re.search(r"(?i)(kr|mill|mrd|milliard|million|tusen|%)", v):
            return (f"is not {what}: units and suffixes such as 'kr', 'mill.' or "
                    f"'mrd.' are not read (write 56700000, not 56,7 mill. kr)")
        if re.fullmatch(r"[+-]?[0-9]+[.,][0-9]+", v):
            if re.fullmatch(r"[+-]?[0-9]{1,3}([.,][0-9]{3})+", v):
                return (f"is not {what}: '.' and ',' are not accepted as thousands "
                        f"separators (ambiguous with decimals); use a space or none")
            return f"is not {what}: it has decimals"
        if re.fullmatch(r"[+-]?[0-9]{1,3}([.,][0-9]{3})+", v):
            return (f"is not {what}: '.' and ',' are not accepted as thousands "
                    f"separators (ambiguous with decimals); use a space or none")
        return f"is not {what}"
    if t == "decimal":
        if re.search(r"(?i)(kr|mill|mrd|%)", v):
            return "is not a number: units and suffixes are not read"
        return "is not a number (use 3,4 or 3.4; thousands may be separated by spaces)"
    if t == "date":
        return "is not a date (expected YYYY-MM-DD or DD.MM.YYYY)"
    if t == "bool":
        return f"is not true/false (accepted: {', '.join(TRUE_WORDS + FALSE_WORDS)})"
    raise ValueError(t)


def pattern_message(col: Column) -> str:
    if col.type == "kommunenummer":
        return "is not a 4-digit kommunenummer (leading zeros matter: 0301, not 301)"
    return f"does not match the pattern {col.effective_pattern}"

