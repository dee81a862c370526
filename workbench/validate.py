"""Validating a file against its dataset declaration and landing it in a DuckDB table.

The checks are generated from the catalog once (:func:`row_checks`) and run as SQL,
either counted over the whole table (fast path) or listed with line numbers (precise
path), so both paths enforce exactly the same rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from . import readers
from .catalog import Dataset
from .errors import MAX_HEADER_NAMES, Problem, ValidationError, cap, shorten
from .readers import LINE
from .sql import ident as _q
from .sql import row, scalar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    column: str
    message: str
    failing: str  # SQL condition true for a failing row
    show: str  # SQL expression shown as the offending value


def row_checks(dataset: Dataset) -> list[Check]:
    checks: list[Check] = []
    for col in dataset.columns:
        c = _q(col.name)
        shown = f"CAST({c} AS VARCHAR)"
        if col.required:
            checks.append(Check(col.name, "is missing (required)", f"{c} IS NULL", "NULL"))
        if col.allowed:
            allowed = ", ".join("'" + a.replace("'", "''") + "'" for a in col.allowed)
            checks.append(Check(col.name, f"is not one of: {', '.join(col.allowed)}",
                                f"{c} NOT IN ({allowed})", shown))
        if col.min is not None:
            msg = ("must not be negative" if col.min == 0
                   else f"is below the minimum {_num(col.min)}")
            checks.append(Check(col.name, msg, f"{c} < {col.min}", shown))
        if col.max is not None:
            checks.append(Check(col.name, f"is above the maximum {_num(col.max)}",
                                f"{c} > {col.max}", shown))
        if not col.ctype.converts:  # text as written, but never a NUL byte
            checks.append(Check(col.name, "contains a NUL byte (\\x00): the file may be "
                                          "damaged or not text", f"contains({c}, chr(0))",
                                shown))
        pattern = col.effective_pattern
        if pattern:
            sql_pattern = pattern.strip("^$").replace("'", "''")
            checks.append(Check(col.name, col.pattern_message,
                                f"NOT regexp_full_match({c}, '{sql_pattern}')", shown))
    for rc in dataset.checks:
        shown = " || ', ' || ".join(f"'{n}=' || coalesce(CAST({_q(n)} AS VARCHAR), '')"
                                    for n in rc.columns)
        checks.append(Check(", ".join(rc.columns), rc.message, f"NOT ({rc.sql})", shown))
    return checks


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_header(info: readers.FileInfo, dataset: Dataset) -> None:
    """Missing, unexpected and repeated columns, all reported at once.

    A header with thousands of wrong names lists the first :data:`MAX_HEADER_NAMES` of
    each kind, then «… og N til».
    """
    expected = dataset.column_names
    listed = ", ".join(expected)
    seen: set[str] = set()
    repeated: list[str] = []
    for h in info.header:
        if h in seen:
            repeated.append(h)
        seen.add(h)
    missing = [c for c in expected if c not in seen and dataset.column(c).required]
    extra = [h for h in info.header if h not in expected]
    if missing and len(info.header) == 1 and info.kind == "csv":
        # Listing every column as missing would bury the one real cause.
        raise ValidationError([Problem(
            info.name, f"the header has a single column {shorten(info.header[0])!r}: wrong "
            f"delimiter? Use comma or semicolon, or pass --delimiter", line=1)])
    problems: list[Problem] = []
    for names, message in ((repeated, "column {!r} appears twice in the header"),
                           (missing, "missing column {!r} (expected columns: " + listed + ")"),
                           (extra, "unexpected column {!r} (expected columns: " + listed
                            + ")")):
        problems += [Problem(info.name, message.format(shorten(n)), line=1)
                     for n in names[:MAX_HEADER_NAMES]]
        if len(names) > MAX_HEADER_NAMES:
            problems.append(Problem(info.name, f"… og {len(names) - MAX_HEADER_NAMES} til",
                                    line=1))
    if problems:
        raise ValidationError(problems)


def _insert_plain_csv(con: duckdb.DuckDBPyConnection, info: readers.FileInfo,
                      dataset: Dataset, table: str, reject_if: str | None = None) -> int:
    """Fast path: INSERT the file into ``table`` with DuckDB doing the conversion.

    Every column is read as text and converted by SQL that accepts only plain machine
    formats (``1234``, ``3.4``, ``2024-04-24``; see :mod:`workbench.column_types`); anything
    else raises, and the caller falls back to the precise path. DuckDB's own casts are
    not used directly because they round ``56.7`` to 57 for an integer column.
    ``reject_if`` (SQL over the converted columns) makes the insert fail on a row that
    breaks a rule, checked in the same pass over the file.
    """
    # Text is kept as written (no trimming), in both paths; empty means missing.
    exprs = [c.ctype.fast_sql(f"NULLIF({_q(c.name)}, '')") if c.name in info.header
             else "NULL" for c in dataset.columns]
    names = ", ".join(_q(c) for c in dataset.column_names)
    converted = ", ".join(f"{e} AS {_q(c)}"
                          for e, c in zip(exprs, dataset.column_names, strict=True))
    where = (f" WHERE CASE WHEN {reject_if} THEN error('rejected by a rule') ELSE true END"
             if reject_if else "")
    source, params = readers.csv_relation(info)
    sql = (f'INSERT INTO {_q(table)} ({names}) SELECT {names} FROM ('
           f"SELECT {converted} FROM {source}){where}")
    before = scalar(con, f"SELECT count(*) FROM {_q(table)}")
    con.execute(sql, params)
    return scalar(con, f"SELECT count(*) FROM {_q(table)}") - before


@dataclass
class Landed:
    rows: int
    path: Path
    encoding: str | None
    fast: bool


def land(con: duckdb.DuckDBPyConnection, path: Path, dataset: Dataset, table: str,
         *, delimiter: str | None = None, references: dict[str, str] | None = None
         ) -> Landed:
    """Validate ``path`` and insert its rows into ``table`` (which must be empty).

    ``references`` maps "dataset.column" to an SQL relation listing the values a
    reference may take (default: the column of the table of that name).
    Raises :class:`ValidationError` with every problem found; then ``table`` is left
    empty.
    """
    info = readers.sniff(path, delimiter)
    check_header(info, dataset)
    refs = _reference_relations(dataset, table, references or {})
    if info.kind == "csv" and info.encoding in ("utf-8", "utf-8-sig", "utf-8?"):
        # Row rules and references to other tables are checked while the file streams
        # in; self-references and key uniqueness need the whole file, afterwards.
        streamed = {c: rel for c, rel in refs.items() if "{self}" not in rel}
        conds = [ch.failing for ch in row_checks(dataset)]
        conds += [_ref_condition(c, rel, "") for c, rel in streamed.items()]
        try:
            rows = _insert_plain_csv(con, info, dataset, table,
                                     reject_if=" OR ".join(f"({c})" for c in conds))
        except duckdb.Error as exc:
            log.debug("fast path refused %s: %s", path, exc)
            con.execute(f'DELETE FROM "{table}"')
        else:
            later = {c: rel for c, rel in refs.items() if c not in streamed}
            if rows and _count_failures(con, table, dataset, later) == 0:
                return Landed(rows, path, info.encoding, fast=True)
            con.execute(f'DELETE FROM "{table}"')
    rows, encoding = _precise(con, info, dataset, table, refs)
    return Landed(rows, path, encoding, fast=False)


def _reference_relations(dataset: Dataset, table: str, given: dict[str, str]
                         ) -> dict[str, str]:
    refs = {}
    for col in dataset.columns:
        if not col.references:
            continue
        ref_ds, ref_col = col.references.split(".")
        if col.references in given:
            refs[col.name] = given[col.references]
        elif ref_ds == dataset.name:
            refs[col.name] = f"SELECT {_q(ref_col)} FROM {{self}}"
        else:
            refs[col.name] = f"SELECT {_q(ref_col)} FROM {_q(ref_ds)}"
    return refs


def _ref_condition(col: str, relation: str, self_rel: str) -> str:
    return (f"{_q(col)} IS NOT NULL AND {_q(col)} NOT IN "
            f"({relation.format(self=self_rel)})")


def _count_failures(con, table: str, dataset: Dataset, refs: dict[str, str]) -> int:
    """Rows breaking the checks that need the whole table: ``refs`` and the key."""
    counts = [f"count(*) FILTER (WHERE {_ref_condition(c, rel, _q(table))})"
              for c, rel in refs.items()]
    # Distinct key hashes are much cheaper than grouping by the key columns. A hash
    # collision only looks like a duplicate and sends the file down the precise path,
    # which compares the keys themselves: it can cost time, never correctness.
    keys = ", ".join(_q(k) for k in dataset.key)
    counts.append(f"count(*) - count(DISTINCT hash({keys}))")
    return sum(row(con, f'SELECT {", ".join(counts)} FROM "{table}"'))


def _precise(con, info: readers.FileInfo, dataset: Dataset, table: str,
             refs: dict[str, str]) -> tuple[int, str | None]:
    raw, ragged = readers.read_text_table(info)
    name = info.name
    problems = [Problem(name, f"expected {r.expected} fields (as in the header), found "
                              f"{r.fields}", line=r.line) for r in ragged]
    if raw.height == 0 and not problems:
        raise ValidationError([Problem(name, "has a header but no data rows")])
    typed_exprs = []
    for col in dataset.columns:
        t = col.ctype
        if col.name in raw.columns:
            typed_exprs.append(t.convert(pl.col(col.name)).cast(t.polars).alias(col.name))
        else:
            typed_exprs.append(pl.lit(None, dtype=t.polars).alias(col.name))
    typed = raw.select(pl.col(LINE), *typed_exprs)
    conversion_failed: set[tuple[int, str]] = set()
    for col in dataset.columns:
        if col.name not in raw.columns or not col.ctype.converts:
            continue
        bad = raw.filter(pl.col(col.name).is_not_null() & typed[col.name].is_null())
        for line, value in bad.select(LINE, col.name).iter_rows():
            problems.append(Problem(name, col.ctype.explain(value), line, col.name,
                                    value))
            conversion_failed.add((line, col.name))
    problems += _listed_failures(con, typed, dataset, refs, name, conversion_failed)
    if problems:
        kept, omitted = cap(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
        raise ValidationError(kept, omitted)
    con.register("_landing", typed)
    try:
        con.execute(f'INSERT INTO "{table}" ({", ".join(_q(c) for c in dataset.column_names)}) '
                    f'SELECT {", ".join(_q(c) for c in dataset.column_names)} '
                    f"FROM _landing ORDER BY {LINE}")
    finally:
        con.unregister("_landing")
    return typed.height, info.encoding


def _listed_failures(con, typed: pl.DataFrame, dataset: Dataset, refs: dict[str, str],
                     name: str, skip: set[tuple[int, str]]) -> list[Problem]:
    con.register("_checking", typed)
    problems: list[Problem] = []
    try:
        for ch in row_checks(dataset):
            rows = con.execute(f"SELECT {LINE}, {ch.show} FROM _checking "
                               f"WHERE {ch.failing} ORDER BY {LINE}").fetchall()
            for line, shown in rows:
                if (line, ch.column) not in skip:
                    problems.append(Problem(name, ch.message, line, ch.column, shown))
        for col, rel in refs.items():
            ref = dataset.column(col).references
            rows = con.execute(f"SELECT {LINE}, {_q(col)} FROM _checking WHERE "
                               f"{_ref_condition(col, rel, '_checking')} "
                               f"ORDER BY {LINE}").fetchall()
            for line, shown in rows:
                problems.append(Problem(name, f"is not a known {ref}", line, col, shown))
        keys = ", ".join(_q(k) for k in dataset.key)
        rows = con.execute(
            f"SELECT {LINE}, first_line, {keys} FROM (SELECT *, min({LINE}) OVER "
            f"(PARTITION BY {keys}) AS first_line, count(*) OVER (PARTITION BY {keys}) "
            f"AS n FROM _checking) WHERE n > 1 AND {LINE} <> first_line "
            f"ORDER BY {LINE}").fetchall()
        for line, first, *key in rows:
            shown = ", ".join("" if k is None else str(k) for k in key)
            problems.append(Problem(
                name, f"duplicate key ({', '.join(dataset.key)}) = ({shown}), "
                      f"first seen on line {first}", line, ", ".join(dataset.key)))
    finally:
        con.unregister("_checking")
    return problems
