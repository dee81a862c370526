"""Which proposals are already in the database: same value (and source document).

Re-reading a paper must not propose its figures as new. A proposal is *known* when a
row of a figure dataset has the same value in the same unit — kroner against amounts,
counts against counts, a percentage against a share × 100, a score against a mean —
and, when the document's sources are known, cites one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from .figures import COUNT, NOK, PERCENT, SCORE

# Per dataset: the value column, how its unit is found, and the proposal columns a
# known row fills (key, label, year, measure, group) as SQL over the dataset.
_SOURCES = {
    "budget_lines": ("amount_nok", "'money'", "line_key", "label", "budget_year", "kind",
                     "''"),
    "grant_rounds": ("value", "CASE WHEN measure LIKE '%_nok' THEN 'money' ELSE 'count' END",
                     "scheme_id", "scheme", "year", "measure", "programme"),
    "grant_projects": ("amount_nok", "'money'", "project_id", "project", "NULL", "''",
                       "programme"),
    "stated_totals": ("value", ("CASE WHEN measure_column LIKE '%nok' THEN 'money' "
                                "ELSE 'count' END"), "total_id", "total_id", "NULL", "''",
                      "''"),
    "vft_recipients": ("recipients", "'count'", "''", "'Mottakere av velferdsteknologi'",
                       "year", "''", "technology"),
    "adoption_counts": ("value", "CASE WHEN unit = 'nok' THEN 'money' ELSE 'count' END",
                        "indicator_id", "indicator", "year", "unit", "group_name"),
    "municipal_counts": ("value", "CASE WHEN unit = 'nok' THEN 'money' ELSE 'count' END",
                         "indicator_id", "indicator", "year", "unit", "group_name"),
    "survey_results": ("value", ("CASE statistic WHEN 'share' THEN 'share' WHEN 'mean' "
                                 "THEN 'mean' ELSE 'count' END"), "survey_id", "question",
                       "NULL", "statistic", "group_name"),
}
_UNIT_KIND = {NOK: "money", COUNT: "count", PERCENT: "share", SCORE: "mean"}


@dataclass(frozen=True)
class KnownRow:
    dataset: str
    row_key: str
    source_id: str
    kind: str
    value: Decimal
    key: str
    label: str
    year: str
    measure: str
    group: str

    @property
    def ref(self) -> str:
        return f"{self.dataset}: {self.row_key}"


class Known:
    """The figure rows of a database, indexed by (kind, value)."""

    def __init__(self, rows: list[KnownRow]):
        self.index: dict[tuple[str, Decimal], list[KnownRow]] = {}
        for r in rows:
            self.index.setdefault((r.kind, r.value), []).append(r)

    @classmethod
    def from_database(cls, con: duckdb.DuckDBPyConnection) -> Known:
        from .. import catalog
        from ..sql import ident

        parts = []
        for name, (col, kind, key, lab, year, meas, grp) in _SOURCES.items():
            ds = catalog.get(name)
            row_key = " || ' / ' || ".join(f"CAST({ident(k)} AS VARCHAR)" for k in ds.key)
            parts.append(
                f"SELECT '{name}' AS dataset, {row_key} AS row_key, source_id, {kind} AS "
                f"kind, CAST({ident(col)} AS VARCHAR) AS value, CAST({key} AS VARCHAR), "
                f"CAST({lab} AS VARCHAR), CAST({year} AS VARCHAR), CAST({meas} AS VARCHAR),"
                f" CAST({grp} AS VARCHAR) FROM {ident(name)} WHERE {ident(col)} IS NOT NULL")
        rows = con.execute(" UNION ALL ".join(parts)).fetchall()
        out = []
        for d, rk, src, kind, value, key, lab, year, meas, grp in rows:
            v = Decimal(value)
            if kind == "share":
                v = v * 100
            out.append(KnownRow(d, rk, src, kind, v.normalize(), key or "", lab or "",
                                year or "", meas or "", grp or ""))
        return cls(out)

    def match(self, value, unit: str, sources: set[str] | None = None, *,
              dataset: str = "", year: str = "") -> list[KnownRow]:
        """Rows with this value. With ``sources``, only rows citing them. Without, a
        small number is too common to say much: then the row must also be of the
        proposal's ``dataset`` (guessed) and of its ``year`` (when both have one)."""
        kind = _UNIT_KIND.get(unit)
        if kind is None:
            return []
        rows = self.index.get((kind, Decimal(value).normalize()), [])
        if sources:
            return [r for r in rows if r.source_id in sources]
        return [r for r in rows if dataset and r.dataset == dataset
                and (not year or not r.year or r.year == year)]

    def programmes(self) -> list[str]:
        return sorted({r.group for r in self.index_rows()
                       if r.dataset in ("grant_rounds", "grant_projects") and r.group},
                      key=len, reverse=True)

    def index_rows(self):
        for rows in self.index.values():
            yield from rows


def document_sources(con: duckdb.DuckDBPyConnection, document: str,
                     source_id: str | None) -> tuple[set[str], list[tuple]]:
    """The source ids that cite ``document`` (by file name) or share a document with
    ``source_id``, and their (source_id, sak) pairs; empty when neither is registered."""
    if source_id:
        rows = con.execute(
            "SELECT source_id, sak FROM sources WHERE source_id = ? OR document IN "
            "(SELECT document FROM sources WHERE source_id = ?)",
            [source_id, source_id]).fetchall()
    else:
        rows = con.execute("SELECT source_id, sak FROM sources WHERE document = ?",
                           [document]).fetchall()
    return {r[0] for r in rows}, rows
