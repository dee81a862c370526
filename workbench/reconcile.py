"""``workbench check``: reconciliation findings and low-confidence readings.

Gaps are findings, not failures: the sources do not always add up, and the workbench
shows by how much instead of forcing the numbers to agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from . import catalog
from .catalog import ChildrenSum, RunningSum, StatedTotals
from .sql import ident as _q
from .sql import scalar


@dataclass(frozen=True)
class Finding:
    rule: str
    dataset: str
    subject: str  # the line, project or total concerned
    stated: int
    computed: int
    gap: int  # stated - computed
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LowConfidence:
    dataset: str
    key: str
    confidence: str
    note: str


def findings(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    out: list[Finding] = []
    for rule in catalog.RECONCILIATION_RULES:
        if isinstance(rule, ChildrenSum):
            out += _children_sum(con, rule)
        elif isinstance(rule, RunningSum):
            out += _running_sum(con, rule)
        elif isinstance(rule, StatedTotals):
            out += _stated_totals(con, rule)
        else:  # pragma: no cover - a new rule type must be wired in here
            raise TypeError(rule)
    return out


def _children_sum(con, r: ChildrenSum) -> list[Finding]:
    t, i, p, a = _q(r.dataset), _q(r.id_column), _q(r.parent_column), _q(r.amount_column)
    rows = con.execute(
        f"SELECT par.{i}, par.label, par.{a}, sum(ch.{a}), count(*) "
        f"FROM {t} par JOIN {t} ch ON ch.{p} = par.{i} "
        f"GROUP BY ALL HAVING par.{a} <> sum(ch.{a}) ORDER BY par.{i}").fetchall()
    return [Finding(r.name, r.dataset, line_id, int(stated), int(total),
                    int(stated - total), f"{label}: {n} sub-lines")
            for line_id, label, stated, total, n in rows]


def _running_sum(con, r: RunningSum) -> list[Finding]:
    t = _q(r.dataset)
    g, o, a, c = (_q(x) for x in (r.group_column, r.order_column, r.amount_column,
                                  r.cumulative_column))
    rows = con.execute(
        f"SELECT {g}, project_id, project, priority, {c}, running FROM ("
        f"SELECT *, sum({a}) OVER (PARTITION BY {g} ORDER BY {o} "
        f"ROWS UNBOUNDED PRECEDING) AS running FROM {t}) "
        f"WHERE {c} IS NOT NULL AND {c} <> running ORDER BY {g}, {o}").fetchall()
    return [Finding(r.name, r.dataset, f"{group} / {pid}", int(cum), int(running),
                    int(cum - running), f"priority {prio}: {name}")
            for group, pid, name, prio, cum, running in rows]


def _stated_totals(con, r: StatedTotals) -> list[Finding]:
    out = []
    totals = con.execute(
        f"SELECT total_id, dataset, filter_column, filter_value, measure_column, value "
        f"FROM {_q(r.dataset)} ORDER BY total_id").fetchall()
    for total_id, ds_name, fcol, fval, mcol, value in totals:
        ds = catalog.get(ds_name)
        # Column names come from data, so they are checked against the catalog before
        # being used as identifiers; the filter value is bound as a parameter.
        for col in (fcol, mcol):
            ds.column(col)
        computed = scalar(con, f"SELECT coalesce(sum({_q(mcol)}), 0) FROM {_q(ds_name)} "
                                    f"WHERE {_q(fcol)} = ?", [fval])
        if int(computed) != int(value):
            out.append(Finding(r.name, ds_name, total_id, int(value), int(computed),
                               int(value - computed),
                               f"sum of {mcol} where {fcol} = {fval!r}"))
    return out


def store(con: duckdb.DuckDBPyConnection) -> None:
    """Materialise the findings in ``reconciliation_gaps`` for queries and dashboards."""
    con.execute("DELETE FROM reconciliation_gaps")
    rows = [(f.rule, f.dataset, f.subject, f.stated, f.computed, f.gap, f.detail)
            for f in findings(con)]
    if rows:
        con.executemany("INSERT INTO reconciliation_gaps VALUES (?, ?, ?, ?, ?, ?, ?)",
                        rows)


def low_confidence(con: duckdb.DuckDBPyConnection) -> list[LowConfidence]:
    """Rows read with medium or low confidence: per dataset in catalog order, low first."""
    rows = con.execute("SELECT dataset, row_key, confidence, coalesce(note, '') "
                       "FROM provenance WHERE confidence <> 'high'").fetchall()
    order = {name: i for i, name in enumerate(catalog.BUILD_ORDER)}
    rows.sort(key=lambda r: (order[r[0]], r[2] == "medium", r[1]))
    return [LowConfidence(*r) for r in rows]


def report_text(found: list[Finding], low: list[LowConfidence]) -> str:
    lines = [f"Reconciliation: {len(found)} gap(s)"]
    for f in found:
        lines.append(f"  GAP {f.dataset} {f.subject}: stated {_kr(f.stated)}, "
                     f"sum {_kr(f.computed)}, gap {_kr(f.gap)} ({f.detail})")
    lines.append(f"Low-confidence readings: {sum(x.confidence == 'low' for x in low)} low, "
                 f"{sum(x.confidence == 'medium' for x in low)} medium")
    for x in low:
        lines.append(f"  {x.confidence.upper():6} {x.dataset} {x.key}: {x.note}")
    return "\n".join(lines)


def _kr(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def report_markdown(con: duckdb.DuckDBPyConnection) -> str:
    """docs/data.md: each dataset's rows and sources, the gaps, the uncertain readings."""
    found, low = findings(con), low_confidence(con)
    out = ["# The curated data", "",
           "Generated by `workbench check --format markdown` from the files in `data/`; "
           "do not edit by hand. Column definitions are in "
           "[data-dictionary.md](data-dictionary.md).", "",
           "## Datasets", "",
           "| dataset | rows | high | medium | low | derived | sources |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for ds in catalog.DATASETS.values():
        n = scalar(con, f"SELECT count(*) FROM {_q(ds.name)}")
        if "confidence" in ds.column_names:
            conf = dict(con.execute(f"SELECT confidence, count(*) FROM {_q(ds.name)} "
                                    f"GROUP BY ALL").fetchall())
            derived = scalar(con, f"SELECT count(*) FILTER (WHERE derived) "
                                  f"FROM {_q(ds.name)}")
            cells = [conf.get("high", 0), conf.get("medium", 0), conf.get("low", 0),
                     derived]
        else:
            cells = ["–"] * 4
        if "source_id" in ds.column_names and ds.name != "sources":
            srcs = [r[0] for r in con.execute(
                f"SELECT DISTINCT source_id FROM {_q(ds.name)} ORDER BY 1").fetchall()]
        else:
            srcs = []
        out.append(f"| `{ds.name}` | {n} | " + " | ".join(str(c) for c in cells)
                   + f" | {', '.join(srcs) or '–'} |")
    out += ["", "## Sources", "", "| source_id | organ | meeting | date | sak | title |",
            "|---|---|---|---|---|---|"]
    for sid, organ, meeting, date, sak, title in con.execute(
            "SELECT source_id, organ, coalesce(meeting, ''), coalesce(CAST(date AS "
            "VARCHAR), ''), coalesce(sak, ''), coalesce(sak_title, title) FROM sources "
            "ORDER BY source_id").fetchall():
        out.append(f"| `{sid}` | {organ} | {meeting} | {date} | {sak} | {title} |")
    out += ["", f"## Reconciliation gaps ({len(found)})", "",
            "Stated totals that their parts do not add up to. Both are kept; the gap is "
            "shown, not forced away.", "",
            "| rule | dataset | subject | stated (kr) | sum (kr) | gap (kr) | detail |",
            "|---|---|---|---:|---:|---:|---|"]
    for f in found:
        out.append(f"| {f.rule} | `{f.dataset}` | {f.subject} | {_kr(f.stated)} | "
                   f"{_kr(f.computed)} | {_kr(f.gap)} | {f.detail} |")
    out += ["", f"## Low- and medium-confidence readings ({len(low)})", "",
            "| confidence | dataset | key | why |", "|---|---|---|---|"]
    for x in low:
        out.append(f"| {x.confidence} | `{x.dataset}` | {x.key} | "
                   f"{x.note.replace('|', '/')} |")
    return "\n".join(out) + "\n"
