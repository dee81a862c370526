"""Hostile files: each gets a clear message (never a traceback) and changes nothing."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from workbench import cli
from workbench.builder import load

from helpers import file_sha, project_with_ssb

HEADER = "kommunenummer,year,indicator,value,source_id"
ROWS = ["0301,2024,innbyggere i Oslo,717710,ssb", "1103,2024,innbyggere på Ås,150000,ssb"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    return project_with_ssb(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def db(seeded, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(seeded, path)
    return path


def refused(db, path, capsys, dataset="kommune_indicators") -> list[str]:
    """Load through the command line; assert it was refused cleanly; its message lines."""
    before = file_sha(db)
    code = cli.main(["load", str(path), "--dataset", dataset, "--db", str(db), "--no-keep"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    assert err.splitlines()[-1].endswith("nothing was changed.")
    assert file_sha(db) == before
    assert all(ch.isprintable() for ch in err.replace("\n", ""))  # no raw control chars
    return err.splitlines()[:-1]


def loaded_values(db) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT kommunenummer, indicator, value FROM kommune_indicators "
                           "ORDER BY kommunenummer").fetchall()


@pytest.mark.parametrize("encoding,bom", [("utf-16-le", True), ("utf-16-be", True),
                                          ("utf-16-le", False), ("utf-16-be", False)])
def test_utf16_is_read_with_or_without_a_bom(db, tmp_path, encoding, bom):
    text = "\n".join([HEADER, *ROWS]) + "\n"
    data = ("\ufeff" + text if bom else text).encode(encoding)
    path = tmp_path / "eksport.csv"
    path.write_bytes(data)
    result = load(path, "kommune_indicators", db=db, keep=False)
    assert result.rows == 2 and not result.fast
    assert loaded_values(db) == [("0301", "innbyggere i Oslo", 717710.0),
                                 ("1103", "innbyggere på Ås", 150000.0)]


def test_utf32_is_refused_by_name(db, tmp_path, capsys):
    path = tmp_path / "u32.csv"
    path.write_bytes("\n".join([HEADER, *ROWS]).encode("utf-32"))
    assert refused(db, path, capsys) == [
        "u32.csv: is UTF-32 text, which is not read: save it as UTF-8 (or UTF-16, or "
        "Windows-1252)"]


def test_a_field_over_the_csv_module_limit_is_a_value_like_any_other(db, tmp_path, capsys):
    # Python's csv module stops at 131 072 characters per field by default.
    huge = "x" * 300_000
    path = tmp_path / "stort.csv"
    path.write_text(f"{HEADER}\n0301,2024,{huge},1;5,ssb\n", encoding="cp1252")
    (line,) = refused(db, path, capsys)
    assert line == ('stort.csv:2: value: "1;5" is not a number (use 3,4 or 3.4; thousands '
                    "may be separated by spaces)")
    path.write_text(f"{HEADER}\n0301,2024,{huge},1,ssb\n", encoding="cp1252")
    assert load(path, "kommune_indicators", db=db, keep=False).rows == 1


@pytest.mark.slow
def test_a_50_mb_field_gets_a_short_message(db, tmp_path, capsys):
    path = tmp_path / "femti.csv"
    path.write_text(f"{HEADER}\n{'3' * 50_000_000},2024,x,1,ssb\n", encoding="utf-8")
    (line,) = refused(db, path, capsys)
    assert line == ('femti.csv:2: kommunenummer: "' + "3" * 57 + '..." is not a 4-digit '
                    "kommunenummer (leading zeros matter: 0301, not 301)")


def test_control_characters_are_escaped_in_messages(db, tmp_path, capsys):
    path = tmp_path / "styretegn.csv"
    path.write_bytes(f"{HEADER}\n0301,2024,innbyggere,\x1b[31m7\x07,ssb\n"
                     f"1103,2024,inn\x00byggere,1,ssb\n".encode())
    assert refused(db, path, capsys) == [
        'styretegn.csv:2: value: "\\x1b[31m7\\x07" is not a number (use 3,4 or 3.4; '
        "thousands may be separated by spaces)",
        'styretegn.csv:3: indicator: "inn\\x00byggere" contains a NUL byte (\\x00): the '
        "file may be damaged or not text"]


def test_control_characters_in_header_names_are_escaped(db, tmp_path, capsys):
    path = tmp_path / "hode.csv"
    path.write_text(f"{HEADER},ny\x1b]0;x\x07linje\n0301,2024,x,1,ssb,y\n")
    (line,) = refused(db, path, capsys)
    assert line.startswith("hode.csv:1: unexpected column 'ny\\x1b]0;x\\x07linje'")


def test_thousands_of_unexpected_columns_are_capped(db, tmp_path, capsys):
    path = tmp_path / "brede.csv"
    extra = [f"kolonne{i}" for i in range(1000)]
    path.write_text(",".join([HEADER, *extra]) + "\n"
                    + ",".join(["0301,2024,x,1,ssb"] + ["0"] * 1000) + "\n")
    lines = refused(db, path, capsys)
    expected = "(expected columns: kommunenummer, year, indicator, value, source_id)"
    assert lines == [f"brede.csv:1: unexpected column 'kolonne{i}' {expected}"
                     for i in range(10)] + ["brede.csv:1: … og 990 til"]


@pytest.mark.parametrize("name,content,message", [
    ("tom.csv", b"", "tom.csv: the file is empty (expected a header line and data rows)"),
    ("bom.csv", b"\xef\xbb\xbf\r\n \n", "bom.csv: the file is empty (expected a header "
                                       "line and data rows)"),
    ("utf16-tom.csv", "\ufeff\n".encode("utf-16"), "utf16-tom.csv: the file is empty "
                                                    "(expected a header line and data rows)"),
    ("binaer.csv", bytes(range(256)) * 40, "binaer.csv: is not a text file (it contains "
                                           "binary data); expected CSV text, .xlsx or "
                                           ".parquet"),
    ("zip.csv", b"PK\x03\x04" + b"\x00" * 100, "zip.csv: is a zip archive (an Excel "
                                               "workbook?), not CSV text: name it .xlsx if "
                                               "it is a workbook"),
    ("gammel.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "gammel.xls: is an old Excel .xls "
                                                        "file, which is not read: save it as "
                                                        ".xlsx or as CSV"),
    ("omdopt.xlsx", ("\n".join([HEADER, *ROWS])).encode(),
     "omdopt.xlsx: is not an Excel .xlsx file: it is not a zip archive (a CSV file renamed "
     ".xlsx? Then name it .csv)"),
])
def test_unusable_files_get_one_line(db, tmp_path, capsys, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    assert refused(db, path, capsys) == [message]


@pytest.mark.parametrize("cut", ["half", "footer"])
def test_a_truncated_parquet_file_is_refused(db, tmp_path, capsys, cut):
    whole = tmp_path / "hel.parquet"
    pl.DataFrame({"kommunenummer": ["0301", "1103"], "year": [2024, 2024],
                  "indicator": ["a", "b"], "value": [1.0, 2.0], "source_id": ["ssb"] * 2}
                 ).write_parquet(whole)
    data = whole.read_bytes()
    path = tmp_path / "kuttet.parquet"
    path.write_bytes(data[: len(data) // 2] if cut == "half" else data[:-6])
    (line,) = refused(db, path, capsys)
    assert line.startswith("kuttet.parquet: is not a readable Parquet file (")
    assert load(whole, "kommune_indicators", db=db, keep=False).rows == 2
