"""`workbench extract` and `workbench accept` on a meeting paper of our own writing.

The paper (docs/eksempel/ehr-2026-02-sakspapir.txt) is the worked example of
docs/extract.md: budget lines, a grant round with a table in 1000 kr, adoption counts, a
survey — and the numbers that are not figures (dates, sak numbers, a phone number, a
period, page and list numbers, a rating scale).
"""
from __future__ import annotations

import csv
import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from workbench import cli, csv_export, extract
from workbench.builder import build
from workbench.extract import figures as F
from workbench.extract import nonfigures
from workbench.extract import proposals as P

from helpers import ROOT

PAPER = ROOT / "docs" / "eksempel" / "ehr-2026-02-sakspapir.txt"

# (line, value, unit, confidence, locator) of every figure in the paper, in order.
EXPECTED = [
    (25, "185500000", "NOK", "high", "Sak 02/26, linje 25"),
    (26, "1400000000", "NOK", "high", "Sak 02/26, linje 26"),
    (27, "31000000", "NOK", "high", "Sak 02/26, linje 27"),
    (28, "2100000000", "NOK", "medium", "Sak 02/26, linje 28"),  # «2,1 mrd.»: unit inferred
    (29, "389600000", "NOK", "high", "Sak 02/26, linje 29"),
    (37, "212", "count", "high", "Sak 03/26, linje 37"),
    (37, "401200000", "NOK", "high", "Sak 03/26, linje 37"),
    (38, "74", "count", "high", "Sak 03/26, linje 38"),
    (38, "68300000", "NOK", "high", "Sak 03/26, linje 38"),
    (39, "9", "count", "high", "Sak 03/26, linje 39"),
    (43, "12", "count", "high", "Sak 03/26, linje 43"),
    (43, "9850000", "NOK", "high", "Sak 03/26, linje 43"),  # table «beløp i 1000 kr»
    (44, "15", "count", "high", "Sak 03/26, linje 44"),
    (44, "11200000", "NOK", "high", "Sak 03/26, linje 44"),
    (45, "19", "count", "high", "Sak 03/26, linje 45"),
    (45, "16475000", "NOK", "high", "Sak 03/26, linje 45"),
    (46, "28", "count", "high", "Sak 03/26, linje 46"),
    (46, "30775000", "NOK", "high", "Sak 03/26, linje 46"),
    (47, "74", "count", "high", "Sak 03/26, linje 47"),
    (47, "68300000", "NOK", "high", "Sak 03/26, linje 47"),
    (56, "133731", "count", "high", "Sak 04/26, linje 56"),
    (56, "141020", "count", "high", "Sak 04/26, linje 56"),
    (57, "92", "count", "high", "Sak 04/26, linje 57"),
    (58, "14", "count", "high", "Sak 04/26, linje 58"),
    (59, "41000", "count", "medium", "Sak 04/26, linje 59"),  # «Om lag 41 000»
    (61, "214", "count", "high", "Sak 04/26, linje 61"),
    (61, "72", "percent", "high", "Sak 04/26, linje 61"),
    (62, "3,62", "score", "high", "Sak 04/26, linje 62"),
]


@pytest.fixture(scope="module")
def proposed():
    return extract.propose(PAPER, compare=False)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    return make_workspace(tmp_path, monkeypatch)


def make_workspace(tmp_path, monkeypatch):
    """A copy of data/ (where accepted rows are kept in loads/), the database built from
    it, and a copy of the paper."""
    db, data = tmp_path / "warehouse.duckdb", tmp_path / "data"
    data.mkdir()
    for csv_file in (ROOT / "data").glob("*.csv"):
        (data / csv_file.name).write_bytes(csv_file.read_bytes())
    build(data, db)
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    monkeypatch.setenv("WORKBENCH_DATA", str(data))
    paper = tmp_path / PAPER.name
    paper.write_bytes(PAPER.read_bytes())
    return db, data, paper


def dropdown(widget, description: str):
    if getattr(widget, "description", None) == description:
        return widget
    for child in getattr(widget, "children", ()):
        found = dropdown(child, description)
        if found is not None:
            return found
    return None


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- proposing -------------------------------------------------------------------------

def test_text_paper_gives_the_expected_proposals(proposed):
    got = [(p.line, p.value, p.unit, p.confidence, p.locator) for p in proposed.proposals]
    assert got == EXPECTED


def test_each_proposal_quotes_its_line_and_the_figure(proposed):
    lines = [ln.text for ln in proposed.document.lines]
    for p in proposed.proposals:
        line = lines[p.line - 1]
        assert p.raw in p.quote and p.raw in line
        assert " ".join(p.quote.split()) in " ".join(line.split())
        assert len(p.quote.split()) <= 20
        assert p.page == 1


def test_labels_years_and_datasets_are_guessed(proposed):
    by = {(p.line, p.value): p for p in proposed.proposals}
    hto = by[(25, "185500000")]
    assert (hto.label, hto.year, hto.dataset, hto.measure) == (
        "Helseteknologiordningen", "2027", "budget_lines", "appropriation")
    assert by[(43, "9850000")].label == "Helse Nord – Tildelt"
    assert by[(43, "9850000")].dataset == "grant_projects"
    assert by[(47, "68300000")].dataset == "stated_totals"
    assert (by[(37, "212")].dataset, by[(37, "212")].measure) == ("grant_rounds",
                                                                  "applications")
    assert (by[(56, "133731")].year, by[(56, "141020")].year) == ("2024", "2025")
    assert by[(56, "141020")].dataset == "vft_recipients"
    assert by[(57, "92")].dataset == "adoption_counts"
    mean = by[(62, "3,62")]
    assert (mean.dataset, mean.measure, mean.extra) == ("survey_results", "mean",
                                                        "scale_min=1; scale_max=5")


def test_numbers_that_are_not_figures_are_not_proposed(proposed):
    lines = {p.line for p in proposed.proposals}
    # Agenda (sak numbers, clock times), meeting date, address, period, kap./post/Meld. St.,
    # page numbers, list numbers, a date, a week, the phone number, the next meeting.
    for line in (3, 5, 7, 10, 11, 12, 13, 14, 20, 30, 31, 33, 49, 50, 52, 64, 66, 70):
        assert line not in lines, line


@pytest.mark.parametrize("text", [
    "Sak 02/26: Godkjenning", "Møte 4/23", "14. desember 2023", "Dato 24.04.2024",
    "2025-08-18", "kl. 10:00 – 11.30", "Tlf. 22 33 44 55", "ring +47 915 55 555",
    "mobil 412 34 567", "på en skala fra 1 til 5", "(1 helt usannsynlig, 10 veldig sannsynlig)",
    "i perioden 2030–2043", "Meld. St. 9 (2023–2024)", "kap. 701, post 21", "Side 3",
    "1. Innledning", "- 2) Omfang", "ICD-10 og HL7", "uke 49", "steg 1 og 2", "Delmål 1B",
    "over 6 år", "ungdom 13-16 år", "10 min", "versjon 21.1", "Storgata 12",
    "https://example.no/sak/2024/14", "www.menti.com kode 6777 5265", "I 2024",
])
def test_not_a_figure(text):
    assert F.find(text, nonfigures.spans(text)) == [], text


@pytest.mark.parametrize("text, value, unit, penalty", [
    ("Beløp i 2024: 56,7 mill. kr", 56_700_000, "NOK", 0),
    ("1,25 mrd.", 1_250_000_000, "NOK", 1),  # the unit had to be inferred
    ("totalt 389 600 000 kroner", 389_600_000, "NOK", 0),
    ("kr 4,5 millioner", 4_500_000, "NOK", 0),
    ("økte til 133 731 personer", 133_731, "count", 0),
    ("41 000 brukere", 41_000, "count", 0),
    ("behov for over 180.000 flere", 180_000, "count", 0),
    ("80 prosent av kommunene", Decimal(80), "percent", 0),
    ("92 %", Decimal(92), "percent", 0),
    ("snittet var 3,84", Decimal("3.84"), "score", 0),
    ("To nye leverandører", 2, "count", 1),
    ("Totalt 179, 1 mill. kroner", 179_100_000, "NOK", 1),  # OCR space after the comma
    ("over 1,5 millioner nordmenn", 1_500_000, "count", 0),
    ("ca. 100 PLL", 100, "count", 1),
    ("Endringen er −12,3 mill. kr", -12_300_000, "NOK", 0),  # a fall stays a fall
    ("Differanse: -5 %", Decimal(-5), "percent", 0),
    ("- 5 kommuner", 5, "count", 0),  # a list's dash, not a sign
])
def test_values_are_normalised(text, value, unit, penalty):
    figs = F.find(text, nonfigures.spans(text))
    assert [(f.value, f.unit, f.penalty) for f in figs] == [(value, unit, penalty)]


@pytest.mark.parametrize("text, values", [
    ("10 - 15 kommuner", [10, 15]), ("10-15 kommuner", [10, 15]),
    ("fra 20 −30 %", [20, 30]), ("Covid-19 kostet 5 mill. kr", [5_000_000]),
])
def test_a_range_dash_is_not_a_minus_sign(text, values):
    assert [f.value for f in F.find(text, nonfigures.spans(text))] == values


def test_a_year_fills_the_year_column_and_is_not_proposed():
    text = "- Helseteknologiordningen (150 mill. kr i 2024)"
    [fig] = F.find(text, nonfigures.spans(text))
    assert fig.value == 150_000_000
    years = nonfigures.year_tokens(text, nonfigures.spans(text))
    assert [y.years for y in years] == [(2024,)]


def test_a_table_in_1000_kr_multiplies_its_cells(tmp_path):
    paper = tmp_path / "tabell.txt"
    paper.write_text("Prioriterte prosjekter\nTall i 1000 kr.\n"
                     "Prosjekt A Nordland 1 4 857 4857\nProsjekt B Troms 2 2083 6940\n"
                     "Sum 6 940\n\nEtter tabellen: 250 søknader.\n", encoding="utf-8")
    got = [(p.line, p.value, p.unit, p.dataset) for p in
           extract.propose(paper, compare=False).proposals]
    assert got == [
        (3, "4857000", "NOK", "grant_projects"), (3, "4857000", "NOK", "grant_projects"),
        (4, "2083000", "NOK", "grant_projects"), (4, "6940000", "NOK", "grant_projects"),
        (5, "6940000", "NOK", "stated_totals"), (7, "250", "count", "grant_rounds")]


def test_garbled_ocr_text_lowers_confidence(tmp_path):
    paper = tmp_path / "ocr.txt"
    paper.write_text("Tilskudd til kommunene: 45 mill. kroner\n"
                     "{Hemrne=t+-En Sam| ofoten [Vest] 45 mill. kroner _|\n", encoding="utf-8")
    clean, garbled = extract.propose(paper, compare=False).proposals
    assert (clean.value, clean.confidence) == ("45000000", "high")
    assert garbled.value == "45000000" and garbled.confidence in ("medium", "low")
    assert "skadet" in garbled.note


def test_sources_rows_are_proposed_from_the_header(proposed):
    whole, *saks = proposed.sources
    assert whole == {
        "source_id": "ehr-2026-02", "organ": "Nasjonalt e-helseråd",
        "title": "Møte i Nasjonalt e-helseråd", "meeting": "Møte 1/26",
        "date": "2026-02-12", "sak": None, "sak_title": None,
        "document": PAPER.name, "note": whole["note"]}
    assert [(s["source_id"], s["sak"], s["sak_title"]) for s in saks] == [
        ("ehr-2026-02-s01", "01/26", "Godkjenning av innkalling og dagsorden"),
        ("ehr-2026-02-s02", "02/26", "Helse- og omsorgsdepartementet orienterer"),
        ("ehr-2026-02-s03", "03/26", "Helseteknologiordningen – tildelingen for 2026"),
        ("ehr-2026-02-s04", "04/26",
         "Velferdsteknologi og digital hjemmeoppfølging – status"),
        ("ehr-2026-02-s05", "05/26", "Eventuelt")]
    # Each proposal already points at its sak's proposed source.
    assert {p.source_id for p in proposed.proposals if p.locator.startswith("Sak 03/26")} \
        == {"ehr-2026-02-s03"}


def test_a_new_source_id_names_the_proposed_sources_rows(workspace):
    db, _, paper = workspace
    r = extract.propose(paper, db=db, source_id="ehr-2026-ekstra")
    assert [s["source_id"] for s in r.sources][:3] == [
        "ehr-2026-ekstra", "ehr-2026-ekstra-s01", "ehr-2026-ekstra-s02"]
    assert r.proposals[0].source_id == "ehr-2026-ekstra-s02"


# --- the proposals CSV -----------------------------------------------------------------

@pytest.mark.parametrize("cell", ["=SUM(A1)", "+47 22 33 44 55", "-bare tekst", "@navn",
                                  "\tinnrykk", "\rretur", "'=allerede", "''=to", "vanlig",
                                  "", "'", "'-", "-", "=", "- punkt"])
def test_neutraliser_is_undone_exactly(cell):
    written = csv_export.neutralise_text(cell)
    assert csv_export.restore_text(written) == cell
    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert written.startswith("'")


@pytest.mark.parametrize("number", ["-5", "-56700000", "+3,84", "-0.5", "12"])
def test_real_numbers_are_not_neutralised(number):
    assert csv_export.neutralise_text(number) == number


def test_proposals_csv_opens_in_norwegian_excel(proposed, tmp_path):
    out = P.write(proposed.proposals, tmp_path / "x.forslag.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].decode("utf-8").splitlines()[0].split(";")
    assert header[:12] == ["accept", "page", "line", "quote", "value", "unit", "label",
                           "year", "dataset", "confidence", "known", "note"]
    assert header[12:] == list(P.EXTRA_COLUMNS)
    text = raw.decode("utf-8-sig")
    # Quotes starting with a formula character are neutralised («- …», «=> 14 …»).
    assert ";'- Helseteknologiordningen (185,5 mill. kr i 2027);" in text
    assert ";'=> 14 nye kommuner koblet seg på i løpet av høsten 2025.;" in text
    assert ";3,62;score;" in text  # decimal comma, as Norwegian Excel reads numbers
    back = P.read(out)
    assert [(b.quote, b.value, b.line) for b in back] == [
        (p.quote, p.value, p.line) for p in proposed.proposals]


def test_a_csv_saved_by_excel_is_read_back(proposed, tmp_path):
    """Excel's «CSV (semikolonseparert)» writes Windows-1252 without BOM."""
    out = P.write(proposed.proposals, tmp_path / "x.forslag.csv")
    text = out.read_bytes().decode("utf-8-sig")
    (tmp_path / "excel.forslag.csv").write_bytes(text.encode("cp1252"))
    back = P.read(tmp_path / "excel.forslag.csv")
    assert [b.label for b in back] == [p.label for p in proposed.proposals]


# --- known ----------------------------------------------------------------------------

def test_known_names_rows_already_in_the_database(workspace):
    db, _, paper = workspace
    props = extract.propose(paper, db=db).proposals
    vft = next(p for p in props if p.value == "133731")
    assert vft.known == "vft_recipients: 2024 / Alle"
    assert not next(p for p in props if p.value == "141020").known


# --- accept ---------------------------------------------------------------------------

def mark(path: Path, decisions: dict[tuple[int, str], dict]) -> None:
    """Edit the proposals CSV as an analyst would: accept and correct some rows."""
    props = P.read(path)
    for p in props:
        for k, v in decisions.get((p.line, p.value), {}).items():
            setattr(p, k, v)
    P.write(props, path)


def confirm_sources(path: Path) -> None:
    rows = [r for _, r in P.read_sources(path)]
    for r in rows:
        r["accept"] = "ja"
    P.write_sources(rows, path)


REVIEW = {
    (25, "185500000"): {"accept": "ja"},
    (28, "2100000000"): {"accept": "nei"},
    (37, "212"): {"accept": "ja"},
    (43, "9850000"): {"accept": "ja", "key": "helse-nord",
                      "group": "Helseteknologiordningen 2026", "extra": "region=Helse Nord"},
    (56, "141020"): {"accept": "ja"},
    (62, "3,62"): {"accept": "ja", "key": "ehr-2026-hjemmeoppfolging",
                   "label": "Opplevd nytte av digital hjemmeoppfølging",
                   "extra": "scale_min=1; scale_max=5; survey=Kommuneundersøkelse om "
                            "digital hjemmeoppfølging 2025; n=214"},
}


def test_extract_accept_load_query_end_to_end(workspace, capsys):
    db, _, paper = workspace
    assert cli.main(["extract", str(paper)]) == 0
    out = capsys.readouterr().out
    forslag = paper.with_name("ehr-2026-02-sakspapir.forslag.csv")
    kilder = paper.with_name("ehr-2026-02-sakspapir.kilder.csv")
    assert f"Wrote 28 proposals to {forslag}" in out and "is not in sources yet" in out
    mark(forslag, REVIEW)
    confirm_sources(kilder)
    assert cli.main(["accept", str(forslag)]) == 0
    assert "Loaded 6 row(s) into sources, 1 row(s) into budget_lines, 1 row(s) into " \
           "grant_rounds, 1 row(s) into grant_projects, 1 row(s) into vft_recipients, " \
           "1 row(s) into survey_results; 1 rejected, 22 not decided" in capsys.readouterr().out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT line_id, budget_year, kind, amount_nok, source_id, "
                           "locator, confidence, derived FROM budget_lines WHERE "
                           "source_id LIKE 'ehr-2026-02%'").fetchall() == [
            ("helseteknologiordningen-2027", 2027, "appropriation", 185_500_000,
             "ehr-2026-02-s02", "Sak 02/26, linje 25", "high", False)]
        assert con.execute("SELECT programme, scheme_id, year, measure, value FROM "
                           "grant_rounds WHERE source_id = 'ehr-2026-02-s03'").fetchall() \
            == [("Helseteknologiordningen", "helsedirektoratet-soknader", 2026,
                 "applications", 212)]
        assert con.execute("SELECT value, n, scale_min, scale_max, statistic FROM "
                           "survey_results WHERE survey_id = 'ehr-2026-hjemmeoppfolging'"
                           ).fetchall() == [(3.62, 214, 1, 5, "mean")]
    assert cli.main(["query", "provenance", "-p", "source_id=ehr-2026-02",
                     "--format", "csv"]) == 0
    table = capsys.readouterr().out
    assert "budget_lines,helseteknologiordningen-2027,ehr-2026-02-s02," in table
    assert ("Foreslått av workbench extract fra ehr-2026-02-sakspapir.txt, "
            "Sak 02/26, linje 25: «- Helseteknologiordningen (185,5 mill. kr i 2027)»"
            in table)
    # The accepted rows are kept and replayed: a rebuild from data/ still has them, and
    # the budget dashboard offers the new year.
    assert cli.main(["build"]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM provenance WHERE source_id LIKE "
                           "'ehr-2026-02%'").fetchall() == [(5,)]
    from workbench.dashboards import budget

    year = dropdown(budget.build(), "Budsjettår")
    assert 2027 in year.options
    # Re-reading the paper now finds the accepted figures known, and the document in
    # sources: no sources rows are proposed, and each figure points at its sak's row.
    again = extract.propose(paper, db=db)
    known = {(p.line, p.value) for p in again.proposals if p.known}
    assert {k for k, v in REVIEW.items() if v["accept"] == "ja"} <= known
    assert again.sources == []
    assert {p.source_id for p in again.proposals if p.locator.startswith("Sak 04/26")} \
        == {"ehr-2026-02-s04"}


def test_an_existing_key_brings_its_names(workspace, capsys):
    """Figures of an existing series land under its programme and name, as one round."""
    db, _, paper = workspace
    forslag = extract.extract(paper).out
    confirm_sources(extract.sources_out(forslag))
    scheme = {"accept": "ja", "key": "hto-helseteknologi-kommuner", "group": ""}
    mark(forslag, {(37, "212"): scheme, (37, "401200000"): scheme,
                   (38, "74"): scheme})
    assert cli.main(["accept", str(forslag)]) == 0
    capsys.readouterr()
    assert cli.main(["query", "grant_rounds", "-p", "year=2026", "--format", "csv"]) == 0
    [header, row] = csv.reader(capsys.readouterr().out.strip().splitlines())
    got = dict(zip(header, row, strict=True))
    assert (got["programme"], got["scheme"], got["applications"], got["applied_nok"],
            got["granted_projects"]) == (
        "Helseteknologiordningen", "Tilskudd til helseteknologi til kommunene", "212",
        "401200000", "74")


def test_accept_reports_every_problem_and_changes_nothing(workspace, capsys):
    db, data, paper = workspace
    forslag = extract.extract(paper).out
    mark(forslag, {
        (25, "185500000"): {"accept": "kanskje"},
        (26, "1400000000"): {"accept": "ja", "measure": ""},
        (27, "31000000"): {"accept": "ja", "unit": "count"},
        (29, "389600000"): {"accept": "ja", "value": "3,896E+08"},
        (37, "212"): {"accept": "ja", "dataset": ""},
        (57, "92"): {"accept": "ja", "year": "1800"},
    })
    before = sha(db)
    assert cli.main(["accept", str(forslag)]) == 1
    err = capsys.readouterr().err.splitlines()
    name = forslag.name
    assert err[0] == (f'{name}:2: accept: "kanskje" is not ja or nei (write ja to load the '
                      f'figure, nei to reject it)')
    assert any(e.startswith(f"{name}:3: measure: is empty: budget_lines needs kind")
               for e in err)
    assert any(e.startswith(f'{name}:4: unit: "count" is count; budget_lines holds amounts')
               for e in err)
    assert any(e.startswith(f'{name}:6: value: "3,896E+08" is not a number (Excel wrote it '
                            f'in scientific notation') for e in err)
    assert any(e.startswith(f"{name}:7: dataset: is empty") for e in err)
    # The sources were not confirmed: every accepted row says its source is missing.
    assert any(e.startswith(f'{name}:3: source_id: "ehr-2026-02-s02" is not in sources')
               for e in err)
    assert err[-1].startswith("workbench: ") and err[-1].endswith("nothing was changed.")
    assert sha(db) == before and not (data / "loads").exists()


def test_a_row_refused_by_load_names_the_proposal_and_its_column(workspace, capsys):
    db, data, paper = workspace
    forslag = extract.extract(paper).out
    confirm_sources(extract.sources_out(forslag))
    mark(forslag, {(25, "185500000"): {"accept": "ja"},
                   (57, "92"): {"accept": "ja", "year": "1950", "measure": "kommuner"}})
    before = sha(db)
    assert cli.main(["accept", str(forslag)]) == 1
    err = capsys.readouterr().err.splitlines()
    # All or nothing: the good row and the sources rows were not loaded either.
    assert err == [(f'{forslag.name}:24: year: "1950" is below the minimum 1990 '
                    f'[adoption_counts.year]'),
                   "workbench: 1 problem(s) found; nothing was changed."]
    assert sha(db) == before and not (data / "loads").exists()


def test_accepting_nothing_changes_nothing(workspace, capsys):
    db, _, paper = workspace
    forslag = extract.extract(paper).out
    before = sha(db)
    assert cli.main(["accept", str(forslag)]) == 0
    assert "Loaded nothing; 0 rejected, 28 not decided" in capsys.readouterr().out
    assert sha(db) == before


# --- the review widget, in this process ------------------------------------------------

def test_review_widget_loads_the_accepted_rows(workspace):
    db, _, paper = workspace
    review = extract.review(paper)
    assert "28 forslag" in review.children[0].value
    i = next(i for i, p in enumerate(review.proposals) if p.value == "185500000")
    review.decide(i, "ja")
    review.load_button.click()
    assert "Ingenting ble lastet inn" in review.message.value
    assert "is not in sources" in review.message.value
    review.show_context(i)
    assert "<mark>185,5 mill. kr</mark>" in review.context.value
    review.confirm_sources.value = True
    review.load_button.click()
    assert "Lastet inn:</b> 6 i sources, 1 i budget_lines" in review.message.value
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT amount_nok, note LIKE 'Foreslått av workbench extract "
                           "fra ehr-2026-02-sakspapir.txt, Sak 02/26, linje 25%' FROM "
                           "budget_lines WHERE line_id = 'helseteknologiordningen-2027'"
                           ).fetchall() == [(185_500_000, True)]


def test_review_widget_loads_a_known_figure_only_when_told(workspace):
    db, _, paper = workspace
    review = extract.review(paper)
    review.confirm_sources.value = True
    i = next(i for i, p in enumerate(review.proposals) if p.value == "133731")
    assert review.proposals[i].known == "vft_recipients: 2024 / Alle"
    review.decide(i, "ja")
    review.load_button.click()
    assert "is already in the database" in review.message.value
    review.show.value = "ja"  # only the accepted proposal on the page
    [_, row] = review.table.children
    assert "<mark>133 731</mark>" in row.children[1].value
    anyway = row.children[0].children[1]
    assert anyway.description == "Last likevel"
    anyway.click()
    review.load_button.click()
    assert "1 i vft_recipients" in review.message.value


def test_review_widget_filters_and_pages(workspace):
    _, _, paper = workspace
    review = extract.review(paper, page_size=10)
    assert "Side 1 av 3" in review.position.value
    review.decide(0, "ja")
    review.show.value = "ja"
    assert "Side 1 av 1 (1 forslag)" in review.position.value
    review.show.value = "open"
    assert "(27 forslag)" in review.position.value


def test_review_widget_shows_every_accept_word_as_accept_would_read_it(workspace):
    """A CSV marked in Excel with «x», «J» or «yes» opens as «ja» in the widget: shown
    and filtered as what «Last inn godkjente» loads."""
    _, _, paper = workspace
    props = extract.propose(paper, compare=False).proposals[:4]
    for p, word in zip(props, ["x", "J", "yes", "nei"], strict=True):
        p.accept = word
    from workbench.extract.widget import Review

    review = Review(props)
    assert [p.accept for p in review.proposals] == ["ja", "ja", "ja", "nei"]
    review.show.value = "ja"
    assert "(3 forslag)" in review.position.value


@pytest.mark.parametrize("text, date", [
    ("Møte 14. desember 2023", "2023-12-14"), ("14. december 2023", "2023-12-14"),
    ("3. may 2024", "2024-05-03"), ("1. okt. 2022", "2022-10-01"),
    ("7. October 2021", "2021-10-07"), ("14.-15. mars 2023", "2023-03-14"),
    ("Oslo, 25.04.2024", "2024-04-25"),
])
def test_a_paper_s_date_is_read_in_norwegian_and_english(text, date):
    from workbench.extract.header import find_date

    assert str(find_date(text)) == date
