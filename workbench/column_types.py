"""The column types: one object per logical type, everything about it in one place.

A :class:`ColumnType` says how the type is stored (DuckDB and polars), how it is
described to people, the plain machine format the fast path accepts (an SQL check run by
DuckDB while a clean CSV streams in), how cell text is converted on the precise path
(Norwegian conventions handled on purpose) and why a value that failed is wrong. A new
column type is one more entry in :data:`TYPES`.

Accepted on the precise path: decimal comma in decimal columns (``3,4``), thousands
separated by space, no-break space or narrow no-break space (``95 718``), dates as
``2024-04-24`` or ``24.04.2024``. Rejected with a message: units and suffixes
(``56,7 mill. kr``), decimal comma or point where a whole number is expected, ``.``/``,``
as thousands separators (ambiguous), kommunenummer without its leading zero.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from .params import FALSE_WORDS, TRUE_WORDS

_SPACES = "[ \u00a0\u202f]"
_GROUPED_INT = rf"[+-]?[0-9]{{1,3}}(?:{_SPACES}[0-9]{{3}})+"
_PLAIN_INT = r"[+-]?[0-9]+"
_INT_RE = rf"^(?:{_PLAIN_INT}|{_GROUPED_INT})$"
_DEC_RE = rf"^(?:{_PLAIN_INT}|{_GROUPED_INT})(?:[.,][0-9]+)?$"
_DATE_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE_NO = r"^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}$"
_AMBIGUOUS_THOUSANDS = r"[+-]?[0-9]{1,3}([.,][0-9]{3})+"


@dataclass(frozen=True)
class ColumnType:
    name: str
    duckdb: str
    polars: type[pl.DataType] | pl.DataType
    description: str
    #: SQL (DuckDB) that is true when the text ``{c}`` is in the plain machine format the
    #: fast path converts; None: the text is kept as it is.
    plain_sql: str | None
    #: polars expression turning stripped cell text into the type (null when it cannot).
    convert: Callable[[pl.Expr], pl.Expr]
    #: Why ``value`` (which failed to convert) is not of this type.
    explain: Callable[[str], str]
    #: A pattern every value must match, implied by the type itself.
    pattern: str | None = None
    pattern_message: str | None = None
    #: SQL converting plain text ``{c}``; default ``CAST({c} AS <duckdb type>)``.
    cast_sql: str | None = None

    @property
    def converts(self) -> bool:
        """Whether cell text has to be converted (false for text-like types)."""
        return self.plain_sql is not None

    def fast_sql(self, c: str) -> str:
        """SQL for the fast path: the converted value of text ``c``, or an error()."""
        if self.plain_sql is None:
            return c
        cast = (self.cast_sql or f"CAST({{c}} AS {self.duckdb})").format(c=c)
        return (f"CASE WHEN {c} IS NULL THEN NULL WHEN {self.plain_sql.format(c=c)} "
                f"THEN {cast} ELSE error('not plain: ' || {c}) END")


def _keep(raw: pl.Expr) -> pl.Expr:
    return raw


def _to_int(raw: pl.Expr) -> pl.Expr:
    raw = raw.str.strip_chars()
    return pl.when(raw.str.contains(_INT_RE)).then(
        raw.str.replace_all(_SPACES, "").cast(pl.Int64, strict=False))


def _to_decimal(raw: pl.Expr) -> pl.Expr:
    raw = raw.str.strip_chars()
    norm = raw.str.replace_all(_SPACES, "").str.replace(",", ".", literal=True)
    return pl.when(raw.str.contains(_DEC_RE)).then(norm.cast(pl.Float64, strict=False))


def _to_date(raw: pl.Expr) -> pl.Expr:
    raw = raw.str.strip_chars()
    iso = raw.str.to_date("%Y-%m-%d", strict=False)
    no = raw.str.to_date("%d.%m.%Y", strict=False)
    return (pl.when(raw.str.contains(_DATE_ISO)).then(iso)
            .when(raw.str.contains(_DATE_NO)).then(no))


def _to_bool(raw: pl.Expr) -> pl.Expr:
    low = raw.str.strip_chars().str.to_lowercase()
    return (pl.when(low.is_in(TRUE_WORDS)).then(True)
            .when(low.is_in(FALSE_WORDS)).then(False))


def _whole_number_explainer(what: str) -> Callable[[str], str]:
    def explain(value: str) -> str:
        v = value.strip()
        if re.search(r"(?i)(kr|mill|mrd|milliard|million|tusen|%)", v):
            return (f"is not {what}: units and suffixes such as 'kr', 'mill.' or "
                    f"'mrd.' are not read (write 56700000, not 56,7 mill. kr)")
        if re.fullmatch(_AMBIGUOUS_THOUSANDS, v):
            return (f"is not {what}: '.' and ',' are not accepted as thousands "
                    f"separators (ambiguous with decimals); use a space or none")
        if re.fullmatch(r"[+-]?[0-9]+[.,][0-9]+", v):
            return f"is not {what}: it has decimals"
        return f"is not {what}"
    return explain


def _explain_decimal(value: str) -> str:
    if re.search(r"(?i)(kr|mill|mrd|%)", value):
        return "is not a number: units and suffixes are not read"
    return "is not a number (use 3,4 or 3.4; thousands may be separated by spaces)"


def _any_text(value: str) -> str:  # text-like types convert nothing, so nothing fails
    return "is not valid text"


_PLAIN_INT_SQL = "regexp_full_match({c}, '[+-]?[0-9]{{1,18}}')"

TYPES: dict[str, ColumnType] = {t.name: t for t in (
    ColumnType("text", "VARCHAR", pl.String, "text", None, _keep, _any_text),
    ColumnType("int", "BIGINT", pl.Int64, "whole number", _PLAIN_INT_SQL, _to_int,
               _whole_number_explainer("a whole number")),
    # Money is whole kroner: amounts are exact integers, never floats.
    ColumnType("money", "BIGINT", pl.Int64, "whole number of kroner", _PLAIN_INT_SQL,
               _to_int, _whole_number_explainer("a whole number of kroner")),
    ColumnType("decimal", "DOUBLE", pl.Float64, "number (decimal point or decimal comma)",
               "regexp_full_match({c}, '[+-]?[0-9]+(\\.[0-9]+)?')", _to_decimal,
               _explain_decimal),
    ColumnType("date", "DATE", pl.Date, "date (YYYY-MM-DD)",
               "regexp_full_match({c}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')", _to_date,
               lambda v: "is not a date (expected YYYY-MM-DD or DD.MM.YYYY)"),
    ColumnType("bool", "BOOLEAN", pl.Boolean, "true/false",
               "lower({c}) IN ('true', '1', 'false', '0')", _to_bool,
               lambda v: f"is not true/false (accepted: {', '.join(TRUE_WORDS + FALSE_WORDS)})",
               cast_sql="lower({c}) IN ('true', '1')"),
    # Kommunenummer is a 4-character string: 0301 is Oslo, and 301 is an error.
    ColumnType("kommunenummer", "VARCHAR", pl.String,
               "4-digit kommunenummer as text (0301, not 301)", None, _keep, _any_text,
               pattern=r"^[0-9]{4}$",
               pattern_message="is not a 4-digit kommunenummer (leading zeros matter: "
                               "0301, not 301)"),
)}


def get(name: str) -> ColumnType:
    try:
        return TYPES[name]
    except KeyError:
        raise ValueError(f"unknown column type {name!r}; known: {', '.join(TYPES)}") \
            from None
