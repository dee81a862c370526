"""Reading real files: CSV (comma, semicolon or tab; UTF-8 with or without BOM, or
Windows-1252), Excel .xlsx and Parquet.

Two ways in. :func:`csv_into_duckdb` is the fast path for clean UTF-8 CSV: DuckDB reads
and converts the file itself, and any value that is not in plain machine format makes it
fail. :func:`read_text_table` is the precise path: every cell as text with its line
number, ready for Norwegian-aware conversion and exact error messages.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from .catalog import Dataset
from .errors import Problem, ValidationError
from .sql import ident as _q, scalar

LINE = "_line"
DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 1 << 16


@dataclass(frozen=True)
class FileInfo:
    path: Path
    kind: str  # csv | xlsx | parquet
    encoding: str | None = None  # utf-8 | utf-8-sig | cp1252 (csv only)
    delimiter: str | None = None
    header: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (BOM stripped) if valid, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Windows-1252 decodes almost any byte string, so it is the fallback, not a guess
        # made first: Norwegian exports from older Excel versions use it.
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff(path: Path, delimiter: str | None = None) -> FileInfo:
    """Kind, encoding, delimiter and header of a file; problems for unusable files."""
    name = path.name
    if not path.exists():
        raise ValidationError([Problem(str(path), "file not found")])
    kind = kind_of(path)
    if kind == "xlsx":
        return FileInfo(path, kind, header=tuple(_xlsx_rows(path, header_only=True)))
    if kind == "parquet":
        try:
            schema = pl.read_parquet_schema(path)
        except Exception as exc:  # polars raises several types for corrupt files
            raise ValidationError([Problem(name, f"is not a readable Parquet file ({exc})")])
        return FileInfo(path, kind, header=tuple(schema))
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ValidationError([Problem(name, "the file is empty (expected a header line "
                                              "and data rows)")])
    # Cut at the last complete line so a multi-byte character is not split.
    cut = head.rfind(b"\n")
    text, encoding = decode(head if cut < 0 else head[: cut + 1])
    if encoding == "utf-8" and len(head) == _SNIFF_BYTES:
        encoding = "utf-8?"  # the rest of the file is checked when it is read
    first = text.splitlines()[0] if text else ""
    if delimiter is None:
        counts = {d: first.count(d) for d in DELIMITERS}
        delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    header = next(csv.reader([first], delimiter=delimiter))
    return FileInfo(path, "csv", encoding, delimiter, tuple(h.strip() for h in header))


def check_header(info: FileInfo, dataset: Dataset) -> None:
    """Missing, unexpected and repeated columns, all reported at once."""
    expected = dataset.column_names
    problems: list[Problem] = []
    seen: set[str] = set()
    for h in info.header:
        if h in seen:
            problems.append(Problem(info.name, f"column {h!r} appears twice in the header",
                                    line=1))
        seen.add(h)
    missing = [c for c in expected if c not in seen]
    extra = [h for h in info.header if h not in expected]
    if missing and len(info.header) == 1 and info.kind == "csv":
        # Listing every column as missing would bury the one real cause.
        raise ValidationError([Problem(
            info.name, f"the header has a single column {info.header[0]!r}: wrong "
            f"delimiter? Use comma or semicolon, or pass --delimiter", line=1)])
    for c in missing:
        if dataset.column(c).required:
            problems.append(Problem(info.name, f"missing column {c!r} (expected columns: "
                                               f"{', '.join(expected)})", line=1))
    for h in extra:
        problems.append(Problem(info.name, f"unexpected column {h!r} (expected columns: "
                                           f"{', '.join(expected)})", line=1))
    if problems:
        raise ValidationError(problems)


def csv_into_duckdb(con: duckdb.DuckDBPyConnection, info: FileInfo, dataset: Dataset,
                    table: str, reject_if: str | None = None) -> int:
    """Fast path: INSERT the file into ``table`` with DuckDB doing the conversion.

    Every column is read as text and converted by SQL that accepts only plain machine
    formats (``1234``, ``3.4``, ``2024-04-24``); anything else raises, and the caller
    falls back to the precise path. DuckDB's own casts are not used directly because
    they round ``56.7`` to 57 for an integer column. ``reject_if`` (SQL over the
    converted columns) makes the insert fail on a row that breaks a rule, checked in
    the same pass over the file.
    """
    cols = {h: "VARCHAR" for h in info.header}
    exprs = [_fast_expr(dataset, c.name) if c.name in cols else "NULL"
             for c in dataset.columns]
    names = ", ".join(_q(c) for c in dataset.column_names)
    converted = ", ".join(f"{e} AS {_q(c)}" for e, c in zip(exprs, dataset.column_names))
    where = (f" WHERE CASE WHEN {reject_if} THEN error('rejected by a rule') ELSE true END"
             if reject_if else "")
    sql = (
        f'INSERT INTO "{table}" ({names}) SELECT {names} FROM ('
        f"SELECT {converted} FROM read_csv(?, header=true, delim=?, quote='\"', "
        f"escape='\"', columns=?, auto_detect=false, strict_mode=true, "
        f"encoding='utf-8')){where}"
    )
    before = scalar(con, f'SELECT count(*) FROM "{table}"')
    con.execute(sql, [str(info.path), info.delimiter, cols])
    return scalar(con, f'SELECT count(*) FROM "{table}"') - before


def _fast_expr(dataset: Dataset, name: str) -> str:
    col = dataset.column(name)
    # Text is kept as written (no trimming), in both paths; empty means missing.
    c = f"NULLIF({_q(name)}, '')"
    fail = f"error('not plain: ' || {_q(name)})"
    if col.type in ("text", "kommunenummer"):
        return c
    if col.type in ("int", "money"):
        return (f"CASE WHEN {c} IS NULL THEN NULL WHEN regexp_full_match({c}, "
                f"'[+-]?[0-9]{{1,18}}') THEN CAST({c} AS BIGINT) ELSE {fail} END")
    if col.type == "decimal":
        return (f"CASE WHEN {c} IS NULL THEN NULL WHEN regexp_full_match({c}, "
                f"'[+-]?[0-9]+(\\.[0-9]+)?') THEN CAST({c} AS DOUBLE) ELSE {fail} END")
    if col.type == "date":
        return (f"CASE WHEN {c} IS NULL THEN NULL WHEN regexp_full_match({c}, "
                f"'[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN CAST({c} AS DATE) "
                f"ELSE {fail} END")
    if col.type == "bool":
        return (f"CASE WHEN {c} IS NULL THEN NULL WHEN lower({c}) IN ('true', '1') "
                f"THEN true WHEN lower({c}) IN ('false', '0') THEN false ELSE {fail} END")
    raise ValueError(col.type)


def read_text_table(info: FileInfo) -> tuple[pl.DataFrame, list[Problem]]:
    """Precise path: every cell as text (null when empty) plus its line number.

    Also returns structural problems (rows with too many or too few fields).
    """
    if info.kind == "xlsx":
        rows = _xlsx_rows(info.path)
        header = next(rows)
        records = [(line, vals) for line, vals in rows]
        problems: list[Problem] = []
    elif info.kind == "parquet":
        df = pl.read_parquet(info.path)
        df = df.select(pl.col(c).cast(pl.String) for c in df.columns)
        df = df.with_columns(pl.col(c).replace("", None) for c in df.columns)
        # Parquet has no lines; row numbers count data rows from 1.
        return df.with_row_index(LINE, offset=1).cast({LINE: pl.Int64}), []
    else:
        text, _ = decode(info.path.read_bytes())
        header, records, problems = _csv_records(info, text)
    columns: dict[str, list] = {h: [] for h in header}
    lines: list[int] = []
    for line, vals in records:
        lines.append(line)
        for h, v in zip(header, vals):
            columns[h].append(v)
    df = pl.DataFrame({h: pl.Series(h, v, dtype=pl.String) for h, v in columns.items()})
    df = df.with_columns(pl.col(h).replace("", None) for h in header)
    return df.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)), problems


def _csv_records(info: FileInfo, text: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=info.delimiter)
    header = [h.strip() for h in next(reader)]
    records, problems = [], []
    start = reader.line_num + 1
    for row in reader:
        if not row or all(not v.strip() for v in row):
            start = reader.line_num + 1
            continue
        if len(row) != len(header):
            problems.append(Problem(info.name, f"expected {len(header)} fields "
                                               f"(as in the header), found {len(row)}",
                                    line=start))
        else:
            records.append((start, row))
        start = reader.line_num + 1
    return header, records, problems


def _xlsx_rows(path: Path, header_only: bool = False):
    """Header, then (row number, cell texts) of the first worksheet."""
    import openpyxl  # imported here: only Excel files need it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationError([Problem(path.name, f"is not a readable .xlsx file ({exc})")])
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header, header_row = None, 0
    for header_row, header in enumerate(rows, start=1):
        if any(v is not None for v in header):
            break
    if header is None or not any(v is not None for v in header):
        raise ValidationError([Problem(path.name, "the workbook's first sheet is empty")])
    names = [str(v).strip() if v is not None else "" for v in header]
    while names and not names[-1]:
        names.pop()
    if header_only:
        wb.close()
        return names

    def gen():
        yield names
        for n, row in enumerate(rows, start=header_row + 1):
            vals = [_cell_text(v) for v in row[: len(names)]]
            vals += [None] * (len(names) - len(vals))
            if any(v not in (None, "") for v in vals):
                yield n, vals
        wb.close()

    return gen()


def _cell_text(v) -> str | None:
    import datetime as dt

    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)
