"""``workbench accept``: accepted proposals become rows of catalog datasets and are loaded.

Each accepted proposal is mapped onto its dataset's columns (see :data:`MAPPING` and
docs/extract.md), with the provenance columns filled: ``source_id``, ``locator``,
``confidence``, ``derived`` = false and a note saying which document and line the figure
was proposed from. The rows are written as one file per dataset and loaded with the
normal validated load, all of them as one change
(:func:`workbench.builder.load_many`), so that the whole review lands or nothing does.
Every problem is one line naming the proposals file, its line, the column to correct,
the value and what was expected.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .. import catalog, paths
from ..errors import NoDatabase, Problem, ValidationError
from . import extractor
from . import proposals as P
from .figures import NOK, PERCENT, SCORE, UNITS
from .guess import slug
from .proposals import Proposal

YES = {"ja", "j", "yes", "y", "x", "1", "true", "ok"}
NO = {"", "nei", "n", "no", "0", "false", "-"}

# Dataset column ← proposal field, for every dataset a proposal can fill. Columns not
# listed here come from ``extra`` (name=value; name=value) or stay empty.
MAPPING: dict[str, dict[str, str]] = {
    "budget_lines": {"line_key": "key", "budget_year": "year", "label": "label",
                     "kind": "measure", "amount_nok": "value"},
    "grant_rounds": {"programme": "group", "scheme_id": "key", "scheme": "label",
                     "year": "year", "measure": "measure", "value": "value"},
    "grant_projects": {"programme": "group", "project_id": "key", "project": "label",
                       "amount_nok": "value"},
    "stated_totals": {"total_id": "key", "value": "value"},
    "vft_recipients": {"year": "year", "technology": "group", "recipients": "value"},
    "adoption_counts": {"indicator_id": "key", "indicator": "label", "group_name": "group",
                        "year": "year", "value": "value", "unit": "measure"},
    "municipal_counts": {"indicator_id": "key", "indicator": "label",
                         "group_name": "group", "year": "year", "value": "value",
                         "unit": "measure"},
    "survey_results": {"survey_id": "key", "question": "label", "group_name": "group",
                       "statistic": "measure", "value": "value"},
}
PROVENANCE = ("source_id", "locator", "confidence", "derived", "note")


@dataclass
class AcceptResult:
    loaded: dict[str, int] = field(default_factory=dict)  # dataset → rows loaded
    accepted: int = 0
    rejected: int = 0
    undecided: int = 0
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{n} row(s) into {d}" for d, n in self.loaded.items()]
        return (f"Loaded {', '.join(parts) or 'nothing'}; {self.rejected} rejected, "
                f"{self.undecided} not decided")


def accept(path: str | os.PathLike, *, db: str | os.PathLike | None = None,
           data: str | os.PathLike | None = None,
           sources: str | os.PathLike | None = None) -> AcceptResult:
    """Load the proposals marked ``ja`` in the proposals CSV at ``path``.

    The proposed sources rows beside it (``<document>.kilder.csv``, or ``sources``) that
    are marked ``ja`` are loaded first, in the same all-or-nothing step.
    """
    path = Path(path)
    props = P.read(path)
    side = Path(sources) if sources else extractor.sources_out(path)
    source_rows = P.read_sources(side) if side.is_file() else []
    return accept_proposals(props, origin=path.name, document=_document_name(path),
                            db=db, data=data, source_rows=source_rows,
                            sources_origin=side.name)


def _document_name(path: Path) -> str:
    name = path.name
    return name[: -len(".forslag.csv")] if name.endswith(".forslag.csv") else path.stem


def decision(p: Proposal) -> bool | None:
    a = p.accept.strip().lower()
    if a in YES:
        return True
    if a in NO:
        return False if a else None
    raise ValueError(a)


def accept_proposals(props: list[Proposal], *, origin: str, document: str,
                     db=None, data=None, source_rows: list[tuple[int, dict]] = (),
                     sources_origin: str = "") -> AcceptResult:
    """Map the accepted proposals, validate them all, then load them all (or nothing)."""
    db_path, data_dir = paths.db_path(db), paths.data_dir(data)
    if not db_path.exists():
        raise NoDatabase(db_path)
    result = AcceptResult()
    problems: list[Problem] = []
    rows: dict[str, list[tuple[int, dict]]] = {}
    lookup = _Lookup(db_path)
    new_sources = set()
    for line, rec in source_rows:
        a = (rec.get("accept") or "").strip().lower()
        if a in YES:
            row = {c: rec.get(c) or "" for c in catalog.get("sources").column_names}
            rows.setdefault("sources", []).append((line, row))
            new_sources.add(row["source_id"])
        elif a not in NO:
            problems.append(Problem(sources_origin, "is not ja or nei (write ja to load "
                                    "the row, nei or nothing to leave it)", line=line,
                                    column="accept", value=rec.get("accept")))
    for p in props:
        try:
            d = decision(p)
        except ValueError:
            problems.append(Problem(origin, "is not ja or nei (write ja to load the "
                                    "figure, nei to reject it)", line=p.csv_line,
                                    column="accept", value=p.accept))
            continue
        if d is None:
            result.undecided += 1
            continue
        if not d:
            result.rejected += 1
            continue
        result.accepted += 1
        row, errs = to_row(p, origin=origin, lookup=lookup, new_sources=new_sources,
                           document=p.document.strip() or document)
        problems += errs
        if row is not None:
            rows.setdefault(p.dataset.strip(), []).append((p.csv_line, row))
    if problems:
        raise ValidationError(problems)
    if not rows:
        return result
    _same_names(rows)
    with tempfile.TemporaryDirectory(prefix="workbench-accept-") as tmp:
        files = _write_files(rows, Path(tmp), document)
        origins = {ds: (sources_origin if ds == "sources" else origin) for ds in rows}
        _load_all(files, rows, origins, db_path, data_dir)
        result.loaded = {ds: len(r) for ds, r in rows.items()}
        result.files = [f for _, f in files]
    return result


# --- mapping ---------------------------------------------------------------------------

class _Lookup:
    """Descriptive columns of existing rows, to fill what a proposal cannot carry (a
    scheme's programme, a survey's name) from the row with the same key."""

    def __init__(self, db_path: Path):
        import duckdb

        with duckdb.connect(str(db_path), read_only=True) as con:
            self.documents = dict(con.execute("SELECT source_id, document FROM sources")
                                  .fetchall())
            self.sources = set(self.documents)
            self.programme = dict(con.execute(
                "SELECT scheme_id, any_value(programme) FROM grant_rounds GROUP BY 1")
                .fetchall())
            self.scheme = dict(con.execute(
                "SELECT scheme_id, any_value(scheme) FROM grant_rounds GROUP BY 1")
                .fetchall())
            self.survey = dict(con.execute(
                "SELECT survey_id, any_value(survey) FROM survey_results GROUP BY 1")
                .fetchall())
            # A series keeps one name: the name of an existing key wins over the label.
            self.names = {
                "budget_lines": dict(con.execute(
                    "SELECT line_key, arg_max(label, budget_year) FROM budget_lines "
                    "GROUP BY 1").fetchall()),
                "adoption_counts": dict(con.execute(
                    "SELECT indicator_id, any_value(indicator) FROM adoption_counts "
                    "GROUP BY 1").fetchall()),
                "municipal_counts": dict(con.execute(
                    "SELECT indicator_id, any_value(indicator) FROM municipal_counts "
                    "GROUP BY 1").fetchall()),
                "grant_rounds": self.scheme,
            }


def _problem(origin, p: Proposal, column: str, message: str, value=None) -> Problem:
    return Problem(origin, message, line=p.csv_line, column=column,
                   value=None if value is None else str(value))


def parse_value(text: str) -> Decimal | None:
    """A number as an analyst may leave it: 56700000, 56 700 000, 3,84 or 3.84."""
    t = re.sub(r"[ \u00a0\u202f]", "", text.strip())
    if not re.fullmatch(r"[+-]?[0-9]+(?:[.,][0-9]+)?", t):
        return None
    try:
        return Decimal(t.replace(",", "."))
    except InvalidOperation:
        return None


def parse_extra(text: str) -> dict[str, str] | None:
    out = {}
    for part in re.split(r";|\|", text or ""):
        if not part.strip():
            continue
        if "=" not in part:
            return None
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def to_row(p: Proposal, *, origin: str, document: str, lookup: _Lookup,
           new_sources: set[str] = frozenset()) -> tuple[dict | None, list[Problem]]:
    """The dataset row for one accepted proposal, or the problems that prevent it."""
    errs: list[Problem] = []
    ds_name = p.dataset.strip()
    if not ds_name:
        return None, [_problem(origin, p, "dataset", "is empty: name the dataset the "
                               f"figure belongs to ({', '.join(MAPPING)})")]
    if ds_name not in MAPPING:
        return None, [_problem(origin, p, "dataset", "is not a dataset a figure can be "
                               f"loaded into (expected one of: {', '.join(MAPPING)})",
                               ds_name)]
    if p.known.strip():
        errs.append(_problem(origin, p, "known", "is already in the database; empty the "
                             "known cell to load the figure anyway", p.known))
    ds = catalog.get(ds_name)
    mapping = MAPPING[ds_name]
    unit = p.unit.strip()
    if unit not in UNITS:
        errs.append(_problem(origin, p, "unit", f"is not a unit (expected one of: "
                             f"{', '.join(UNITS)})", unit))
    value = parse_value(p.value)
    if value is None:
        hint = (" (Excel wrote it in scientific notation and may have dropped digits: "
                "format the column as Number and type the value in full)"
                if re.search(r"[0-9][.,]?[0-9]*E[+-]?[0-9]+", p.value, re.IGNORECASE) else
                " (write 56700000 or 3,84: units such as mill. or kr are not read here)")
        errs.append(_problem(origin, p, "value", "is not a number" + hint, p.value))
    extra = parse_extra(p.extra)
    if extra is None:
        errs.append(_problem(origin, p, "extra", "is not name=value pairs separated by ';' "
                             "(e.g. scale_min=1; scale_max=5)", p.extra))
        extra = {}
    unknown = [k for k in extra if k not in ds.column_names or k in PROVENANCE]
    for k in unknown:
        errs.append(_problem(origin, p, "extra", f"names {k!r}, which is not a column "
                             f"{ds_name} takes here (columns: "
                             f"{', '.join(c for c in ds.column_names if c not in PROVENANCE)})",
                             p.extra))
    source = p.source_id.strip()
    if not source:
        errs.append(_problem(origin, p, "source_id", "is empty: every figure needs its "
                             "source; register the document in sources (see the "
                             "proposed .kilder.csv) and write its source_id here"))
    elif source not in lookup.sources and source not in new_sources:
        errs.append(_problem(origin, p, "source_id", "is not in sources; accept its row in "
                             "the proposed .kilder.csv (ja) or register it first", source))
    conf = p.confidence.strip()
    if conf not in catalog.CONFIDENCE_LEVELS:
        errs.append(_problem(origin, p, "confidence", "is not high, medium or low", conf))
    years = _years(p.year)
    if years is None:
        errs.append(_problem(origin, p, "year", "is not a year (2024) or a period "
                             "(2024–2029)", p.year))
        years = ()
    if len(years) == 2 and ds_name != "budget_lines":
        errs.append(_problem(origin, p, "year", f"is a period; {ds_name} takes one year",
                             p.year))
    key = p.key.strip() or slug(p.label)
    label = p.label.strip()
    measure = p.measure.strip()
    group = p.group.strip()

    row: dict[str, str] = {c: "" for c in ds.column_names}
    fields = {"key": key, "label": label, "measure": measure, "group": group,
              "year": str(years[0]) if years else "", "value": ""}
    if value is not None and unit in UNITS:
        stored, why = _stored_value(ds_name, value, unit, measure)
        if why:
            errs.append(_problem(origin, p, "value" if "unit" not in why else "unit", why,
                                 p.value if "unit" not in why else unit))
        fields["value"] = stored
    for col, f in mapping.items():
        row[col] = fields[f]
    errs += _dataset_rules(ds_name, row, p, origin, lookup, years, value, unit, measure)
    for k, v in extra.items():
        if k in row:
            row[k] = v
    if ds_name == "budget_lines" and not extra.get("line_id"):
        row["line_id"] = "-".join([key] + [str(y) for y in years])
    row.update(source_id=source, confidence=conf, derived="false",
               locator=p.locator.strip() or f"linje {p.line}",
               note=_note(p, document))
    reported = {e.column for e in errs}
    for c in ds.columns:
        if c.required and not row.get(c.name) and c.name not in PROVENANCE:
            f = mapping.get(c.name)
            if f in reported:
                continue
            hint = ("" if f else f"; write it in extra as {c.name}=…"
                    + (" (filled from the database when the survey_id in key exists)"
                       if c.name == "survey" else ""))
            errs.append(_problem(origin, p, f or "extra", f"is empty: {ds_name} needs "
                                 f"{c.name} ({c.description.rstrip('.')}){hint}",
                                 None if f else p.extra))
    return (None if errs else row), errs


def _years(text: str) -> tuple[int, ...] | None:
    t = text.strip()
    if not t:
        return ()
    m = re.fullmatch(r"((?:19|20)[0-9]{2})(?:\s*[-–—]\s*((?:19|20)[0-9]{2}))?", t)
    if not m:
        return None
    return (int(m.group(1)),) if not m.group(2) else (int(m.group(1)), int(m.group(2)))


def _stored_value(ds: str, value: Decimal, unit: str, measure: str) -> tuple[str, str]:
    """The value as the dataset stores it, or why it cannot be."""
    money_cols = {"budget_lines", "grant_projects"}
    if ds in money_cols and unit != NOK:
        return "", f"is {unit}; {ds} holds amounts in kroner (unit NOK)"
    if ds == "grant_rounds" and measure and (unit == NOK) != measure.endswith("_nok"):
        what = ("is an amount (unit NOK)" if measure.endswith("_nok")
                else "counts (unit count)")
        return "", f"is {unit} but measure {measure!r} {what}"
    if ds == "survey_results":
        if unit == PERCENT:
            return _plain(value / 100), ""
        return _plain(value), ""
    if ds in ("vft_recipients",) and unit == NOK:
        return "", f"is {unit}; {ds} counts people (unit count)"
    if unit in (PERCENT, SCORE) and ds != "survey_results":
        return "", f"is {unit}; {ds} holds whole numbers (count or NOK)"
    if value != value.to_integral_value():
        return _plain(value), ""  # validation says «has decimals» with the right column
    return str(int(value)), ""


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


_NAME_COLUMN = {"budget_lines": ("line_key", "label"),
                "adoption_counts": ("indicator_id", "indicator"),
                "municipal_counts": ("indicator_id", "indicator"),
                "grant_rounds": ("scheme_id", "scheme")}


def _dataset_rules(ds: str, row: dict, p: Proposal, origin: str, lookup: _Lookup,
                   years, value, unit: str, measure: str) -> list[Problem]:
    errs = []
    if ds in _NAME_COLUMN:
        key_col, name_col = _NAME_COLUMN[ds]
        known_name = lookup.names[ds].get(row[key_col])
        if known_name:
            row[name_col] = known_name
    if ds == "budget_lines" and len(years) == 2:
        row["period_start"], row["period_end"] = str(years[0]), str(years[1])
    if ds == "grant_rounds":
        key = row["scheme_id"]
        if key in lookup.programme:
            row["programme"] = lookup.programme[key]
        if not row["programme"]:
            errs.append(_problem(origin, p, "group", "is empty: grant_rounds needs the "
                                 "programme (e.g. Helseteknologiordningen) — write it in "
                                 "group (filled from the database when the scheme exists)"))
    if ds == "grant_projects" and not row["programme"]:
        errs.append(_problem(origin, p, "group", "is empty: grant_projects needs the "
                             "programme the project belongs to (e.g. Sammen om helse i "
                             "nord) — write it in group"))
    if ds in ("vft_recipients", "adoption_counts", "municipal_counts", "survey_results"):
        col = "technology" if ds == "vft_recipients" else "group_name"
        row[col] = row[col] or "Alle"
    if ds in ("adoption_counts", "municipal_counts") and not row["unit"]:
        if unit == NOK:
            row["unit"] = "nok"
        else:
            allowed = catalog.get(ds).column("unit").allowed
            errs.append(_problem(origin, p, "measure", f"is empty: {ds} needs what is "
                                 f"counted, one of: {', '.join(allowed)}"))
    if ds == "survey_results":
        if not row["statistic"]:
            row["statistic"] = {PERCENT: "share", SCORE: "mean"}.get(unit, "count")
        if row["statistic"] == "share" and unit != PERCENT:
            errs.append(_problem(origin, p, "unit", "must be percent for a share "
                                 "(the dataset stores it as 0–1)", unit))
        row["survey"] = lookup.survey.get(row["survey_id"], "")
    return errs


def _note(p: Proposal, document: str) -> str:
    quote = p.quote.strip()
    where = p.locator.strip() or f"linje {p.line}"
    text = (f"Foreslått av workbench extract fra {document}, {where}"
            f"{f' (side {p.page}, linje {p.line})' if 'linje' not in where else ''}"
            f": «{quote}». Godkjent i gjennomgang.")
    if p.note.strip():
        text += f" Lesing: {p.note.strip()}"
    return text


def _same_names(rows: dict[str, list[tuple[int, dict]]]) -> None:
    """New rows of one series (same key) in one review get the first row's name, so
    that «212 søknader» and «401,2 mill. kr søkt» land under one scheme."""
    for ds, (key_col, name_col) in {**_NAME_COLUMN, "survey_results": ("survey_id",
                                                                       "survey")}.items():
        first: dict[str, str] = {}
        for _, r in rows.get(ds, []):
            name = first.setdefault(r[key_col], r[name_col])
            r[name_col] = name


# --- loading ---------------------------------------------------------------------------

def _write_files(rows: dict[str, list[tuple[int, dict]]], folder: Path, document: str
                 ) -> list[tuple[str, Path]]:
    order = [d for d in catalog.BUILD_ORDER if d in rows]
    out = []
    stem = slug(document, max_words=8, keep_all=True) or "forslag"
    for ds in order:
        path = folder / f"{stem}.{ds}.csv"
        cols = catalog.get(ds).column_names
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for _, r in rows[ds]:
                w.writerow([r.get(c) or "" for c in cols])
        out.append((ds, path))
    return out


def _load_all(files, rows, origins, db_path: Path, data_dir: Path) -> None:
    """All the generated files as one change (``builder.load_many``): every problem of
    every file is reported against the proposals CSV, and nothing lands unless all do."""
    from ..builder import load_many

    try:
        load_many([(path, ds) for ds, path in files], db=db_path, data=data_dir)
    except ValidationError as exc:
        by_file = {path.name: ds for ds, path in files}
        problems = [_back(pr, by_file[pr.file], rows[by_file[pr.file]],
                          origins[by_file[pr.file]]) if pr.file in by_file else pr
                    for pr in exc.problems]
        raise ValidationError(problems, exc.omitted) from None


def _back(pr: Problem, ds: str, rows: list[tuple[int, dict]], origin: str) -> Problem:
    """A problem in the generated dataset file, told about the proposals CSV line and
    the column the analyst edits."""
    reverse = {col: f for col, f in MAPPING.get(ds, {}).items()}
    line = None
    if pr.line is not None and 2 <= pr.line < 2 + len(rows):
        line = rows[pr.line - 2][0]
    column = pr.column
    message = pr.message
    if column:
        edit = reverse.get(column) or ("extra" if column not in PROVENANCE else column)
        if ds == "sources":
            edit = column
        message = f"{message} [{ds}.{column}]"
        column = edit
    else:
        message = f"{message} [{ds}]"
    return Problem(origin, message, line=line, column=column, value=pr.value)
