"""Property: whatever bytes a file holds, `load` lands it or refuses it cleanly.

Hypothesis generates CSV-like files for ``kommune_indicators``: headers close to the real
one, rows of plausible and hostile cells (Norwegian numbers, units, quotes, delimiters,
control characters, NUL, long text), in UTF-8, UTF-8 with BOM, UTF-16 or Windows-1252,
sometimes cut or sprinkled with raw bytes. `load` must either succeed or raise the
workbench's own error, and when it refuses, the database must be byte for byte the same.
"""

from __future__ import annotations

import hashlib
import shutil

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from workbench.builder import load
from workbench.errors import WorkbenchError

from helpers import project_with_ssb

pytestmark = pytest.mark.slow

COLUMNS = ["kommunenummer", "year", "indicator", "value", "source_id"]
HEADER_NAMES = st.one_of(st.sampled_from(COLUMNS), st.sampled_from(
    ["Kommunenummer", " year", "verdi", "source_id ", "", "år", "value\x00"]),
    st.text(max_size=12))
CELLS = st.one_of(
    st.sampled_from(["0301", "301", "1103", "03011", "2024", "1990", "3000", "ssb",
                     "nope", "17,5", "1 234,5", "1\u00a0234", "56,7 mill. kr", "1.000",
                     "-3", "=HYPERLINK(\"x\")", "@SUM(A1)", "+1", "", " ", "\"", "\"\"",
                     "a,b", "a;b", "\t", "\r", "\x00", "\x1b[2J", "ja", "NaN", "inf",
                     "1e5", "∞", "æøå", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=40),
)
DELIMITERS = st.sampled_from([",", ";", "\t", "|"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])


def quoted(cell: str, delimiter: str, quote: bool) -> str:
    if quote or any(c in cell for c in (delimiter, "\"", "\n", "\r")):
        return "\"" + cell.replace("\"", "\"\"") + "\""
    return cell


# Rows that are valid, so that some files land and the landing path is exercised too.
GOOD_ROWS = st.lists(st.tuples(
    st.sampled_from(["0301", "1103", "4601", "5001", "1804"]),
    st.integers(1990, 2100).map(str),
    st.text(min_size=1, max_size=20).filter(lambda t: "\x00" not in t),
    st.one_of(st.integers(-10**9, 10**9).map(str), st.sampled_from(["3,5", "1 234,5",
                                                                    "-0.25", "12"])),
    st.just("ssb")), min_size=1, max_size=8, unique_by=lambda r: r[:3]).map(
    lambda rows: [list(r) for r in rows])


@st.composite
def csv_like_files(draw) -> bytes:
    delimiter = draw(DELIMITERS)
    clean = draw(st.integers(0, 2)) == 0
    if clean:
        delimiter = draw(st.sampled_from([",", ";", "\t"]))
        header, rows = COLUMNS, draw(GOOD_ROWS)
        if draw(st.booleans()):  # and now and then one hostile cell
            row, col = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, 4))
            rows[row][col] = draw(CELLS)
    else:
        header = draw(st.one_of(st.just(COLUMNS), st.permutations(COLUMNS),
                                st.lists(HEADER_NAMES, min_size=0, max_size=8)))
        width = max(len(header), 1)
        rows = draw(st.lists(st.lists(CELLS, min_size=max(0, width - 1),
                                      max_size=width + 1), max_size=12))
    quote = draw(st.booleans())
    lines = [delimiter.join(quoted(h, delimiter, quote) for h in header)]
    lines += [delimiter.join(quoted(c, delimiter, quote) for c in row) for row in rows]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    data = text.encode(draw(ENCODINGS), errors="replace")
    mangle = "none" if clean else draw(st.sampled_from(["none", "cut", "raw", "prefix"]))
    if mangle == "cut" and data:
        data = data[: draw(st.integers(0, len(data)))]
    elif mangle == "raw":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
    elif mangle == "prefix":
        data = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"PK\x03\x04",
                                     b"PAR1", b"%PDF", b"\x00\x00\xfe\xff"])) + data
    return data


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("property")
    project_with_ssb(folder)
    return folder


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=csv_like_files(), suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".parquet"]))
def test_load_lands_a_file_or_refuses_it_without_a_trace(seeded, tmp_path_factory, data,
                                                         suffix):
    work = tmp_path_factory.mktemp("case")
    db = work / "w.duckdb"
    shutil.copy(seeded / "w.duckdb", db)
    path = work / f"fil{suffix}"
    path.write_bytes(data)
    before = sha(db)
    try:
        load(path, "kommune_indicators", db=db, data=work / "data", keep=False)
    except WorkbenchError as exc:  # anything else fails the test, with its traceback
        assert str(exc).strip(), "an empty message"
        assert sha(db) == before, "a refused file changed the database"
        event(f"refused: {type(exc).__name__}")
    else:
        event("landed")
    assert sorted(p.name for p in work.iterdir()) == ["fil" + suffix, "w.duckdb",
                                                      "w.duckdb.lock"]
