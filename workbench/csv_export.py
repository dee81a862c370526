"""Every CSV the workbench writes for people: cells that cannot run as formulas.

A spreadsheet treats a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or a carriage return) as a formula: ``=HYPERLINK("http://…")`` in a
downloaded file becomes a live link, ``+cmd|…`` worse. Following OWASP's guidance on CSV
injection, such text cells get a leading ``'``, which spreadsheets read as "this is
text" and do not show. Numbers stay numbers: numeric columns are never touched, and a
text cell that is a plain number (``-1500``, ``-12,5``) is left as it is. The data in the
database is stored as it was read; only the exported file is changed.
"""

from __future__ import annotations

import re

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA = "^[" + re.escape("".join(FORMULA_START)) + "]"  # the same, for polars
BOM = b"\xef\xbb\xbf"
_PLAIN_NUMBER = (r"^[+-]?(?:(?:[0-9]+|[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+)"
                 r"(?:[.,][0-9]+)?|[.,][0-9]+)$")


def _risky(value: str) -> bool:
    """A formula — or a cell that looks like one already neutralised (``'=…``), which
    gets one more ``'`` so that :func:`restore_text` gives every cell back exactly."""
    bare = value.lstrip("'")
    return bare.startswith(FORMULA_START) and not re.match(_PLAIN_NUMBER, bare)


def neutralise_text(value: str | None) -> str | None:
    """One cell's text as it is written to a CSV file."""
    return "'" + value if value and _risky(value) else value


def restore_text(value: str | None) -> str | None:
    """Undo exactly what :func:`neutralise_text` added (for files the workbench reads
    back that it wrote itself, such as proposals for review)."""
    if value and value.startswith("'") and _risky(value[1:]):
        return value[1:]
    return value


def neutralise(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every text cell that a spreadsheet would run as a formula prefixed."""
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.String:
            bare = pl.col(name).str.replace(r"^'+", "")
            risky = bare.str.contains(_FORMULA) & ~bare.str.contains(_PLAIN_NUMBER)
            exprs.append(pl.when(risky).then(pl.lit("'") + pl.col(name))
                         .otherwise(pl.col(name)).alias(name))
    return df.with_columns(exprs) if exprs else df


def to_csv(df: pl.DataFrame, *, separator: str = ",", decimal_comma: bool = False) -> str:
    """CSV text of ``df`` with formulas neutralised."""
    return neutralise(df).write_csv(separator=separator, decimal_comma=decimal_comma)
