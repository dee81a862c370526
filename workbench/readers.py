"""Reading real files: CSV (comma, semicolon or tab; UTF-8 with or without BOM, or
Windows-1252), Excel .xlsx and Parquet.

Readers only read; what the content must be is checked by :mod:`workbench.validate`.
Two ways in: :func:`csv_relation` is DuckDB's own reader for clean UTF-8 CSV (the fast
path), :func:`read_text_table` the precise path: every cell as text with its line
number, ready for Norwegian-aware conversion and exact error messages.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .errors import Problem, ValidationError

LINE = "_line"
DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 1 << 16


@dataclass(frozen=True)
class FileInfo:
    path: Path
    kind: str  # csv | xlsx | parquet
    encoding: str | None = None  # utf-8 | utf-8-sig | utf-16[-le|-be] | cp1252 (csv only)
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
    if suffix == ".xls":
        raise ValidationError([Problem(path.name, "is an old Excel .xls file, which is not "
                                                  "read: save it as .xlsx or as CSV")])
    return "csv"


_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


def encoding_of(head: bytes) -> str | None:
    """The UTF-16 variant of text that is UTF-16 (with or without a BOM), else None.

    Without a BOM, UTF-16 text of Latin letters has a NUL in every other byte: a NUL at
    most odd offsets is little-endian, at most even offsets big-endian.
    """
    if head.startswith(b"\xff\xfe") and not head.startswith(_UTF32_BOMS[0]):
        return "utf-16"
    if head.startswith(b"\xfe\xff"):
        return "utf-16"
    sample = head[:4096] if len(head) % 2 == 0 else head[:4095]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    odd = sum(1 for i in range(1, len(sample), 2) if sample[i] == 0)
    even = sum(1 for i in range(0, len(sample), 2) if sample[i] == 0)
    if odd > 0.6 * pairs and even < 0.1 * pairs:
        return "utf-16-le"
    if even > 0.6 * pairs and odd < 0.1 * pairs:
        return "utf-16-be"
    return None


def _refuse_binary(name: str, head: bytes) -> None:
    """Files that are not text at all get one clear line instead of a garbled header."""
    if head.startswith(_UTF32_BOMS):
        raise ValidationError([Problem(name, "is UTF-32 text, which is not read: save it "
                                             "as UTF-8 (or UTF-16, or Windows-1252)")])
    if head.startswith(b"PK\x03\x04"):
        raise ValidationError([Problem(name, "is a zip archive (an Excel workbook?), not "
                                             "CSV text: name it .xlsx if it is a workbook")])
    if head.startswith(b"PAR1"):
        raise ValidationError([Problem(name, "is a Parquet file, not CSV text: name it "
                                             ".parquet")])
    if head.startswith(b"%PDF"):
        raise ValidationError([Problem(name, "is a PDF document, not CSV text")])
    sample = head[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    # A stray NUL in a text file is reported on its line; many control bytes mean binary.
    if (b"\x00" in sample and controls >= 8 and controls > 0.01 * len(sample)
            or controls > max(8, 0.1 * len(sample))):
        raise ValidationError([Problem(name, "is not a text file (it contains binary data); "
                                             "expected CSV text, .xlsx or .parquet")])


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-16 when it is that, UTF-8 (BOM stripped) if valid,
    else Windows-1252."""
    utf16 = encoding_of(data)
    if utf16:
        text = data.decode(utf16, errors="replace")
        return text.removeprefix("\ufeff"), utf16
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
        except Exception as exc:  # noqa: BLE001 - polars raises several types for corrupt files
            raise ValidationError([Problem(name, f"is not a readable Parquet file ({exc})")]) \
                from None
        return FileInfo(path, kind, header=tuple(schema))
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    utf16 = encoding_of(head)
    if utf16:  # only the header line is needed here: drop a half character at the end
        text, encoding = decode(head[: len(head) // 2 * 2])
    if not (text.strip() if utf16 else head.strip(b"\xef\xbb\xbf \t\r\n")):
        raise ValidationError([Problem(name, "the file is empty (expected a header line "
                                              "and data rows)")])
    if not utf16:
        _refuse_binary(name, head)
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


def csv_relation(info: FileInfo) -> tuple[str, list]:
    """DuckDB's reader for a CSV file with every column as text: SQL and parameters.

    Strict: a ragged row or a field that is not valid UTF-8 makes DuckDB fail, and the
    caller takes the precise path, which reports those with their line numbers.
    """
    sql = ("read_csv(?, header=true, delim=?, quote='\"', escape='\"', columns=?, "
           "auto_detect=false, strict_mode=true, encoding='utf-8')")
    return sql, [str(info.path), info.delimiter, {h: "VARCHAR" for h in info.header}]


@dataclass(frozen=True)
class Ragged:
    """A row with more or fewer fields than the header (left out of the table)."""

    line: int
    fields: int
    expected: int


def read_text_table(info: FileInfo) -> tuple[pl.DataFrame, list[Ragged]]:
    """Precise path: every cell as text (null when empty) plus its line number.

    Also returns the rows whose number of fields differs from the header's.
    """
    if info.kind == "xlsx":
        rows = _xlsx_rows(info.path)
        header = next(rows)
        records = [(line, vals) for line, vals in rows]
        ragged: list[Ragged] = []
    elif info.kind == "parquet":
        try:
            df = pl.read_parquet(info.path)
        except Exception as exc:  # noqa: BLE001 - polars raises several types for corrupt files
            raise ValidationError([Problem(info.name, f"is not a readable Parquet file "
                                                      f"({exc})")]) from None
        df = df.select(pl.col(c).cast(pl.String) for c in df.columns)
        df = df.with_columns(pl.col(c).replace("", None) for c in df.columns)
        # Parquet has no lines; row numbers count data rows from 1.
        return df.with_row_index(LINE, offset=1).cast({LINE: pl.Int64}), []
    else:
        text, _ = decode(info.path.read_bytes())
        header, records, ragged = _csv_records(info, text)
    columns: dict[str, list] = {h: [] for h in header}
    lines: list[int] = []
    for line, vals in records:
        lines.append(line)
        for h, v in zip(header, vals, strict=True):
            columns[h].append(v)
    df = pl.DataFrame({h: pl.Series(h, v, dtype=pl.String) for h, v in columns.items()})
    df = df.with_columns(pl.col(h).replace("", None) for h in header)
    return df.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)), ragged


def _csv_records(info: FileInfo, text: str):
    # Python's csv module refuses fields over 128 KiB by default; a file with a huge
    # field must get a message about its value, not a traceback.
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=info.delimiter)
    header = [h.strip() for h in next(reader)]
    records, ragged = [], []
    start = reader.line_num + 1
    for row in reader:
        if not row or all(not v.strip() for v in row):
            start = reader.line_num + 1
            continue
        if len(row) != len(header):
            ragged.append(Ragged(start, len(row), len(header)))
        else:
            records.append((start, row))
        start = reader.line_num + 1
    return header, records, ragged


def _xlsx_rows(path: Path, header_only: bool = False):
    """Header, then (row number, cell texts) of the first worksheet."""
    import openpyxl  # imported here: only Excel files need it

    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":  # every .xlsx is a zip archive
        raise ValidationError([Problem(path.name, "is not an Excel .xlsx file: it is not a "
                                       "zip archive (a CSV file renamed .xlsx? Then name it "
                                       ".csv)")])
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise ValidationError([Problem(path.name, f"is not a readable .xlsx file ({exc})")]) \
            from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header_row, header = next(((n, row) for n, row in enumerate(rows, start=1)
                               if any(v is not None for v in row)), (0, None))
    if header is None:
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
