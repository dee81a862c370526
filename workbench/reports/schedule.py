"""The scheduled set: ``reports.toml`` and the plan of runs it gives.

Everything that can be wrong with a schedule (unknown keys, wrong types, a report that
does not exist, parameters it does not take, a failing ``params_query``) is found here by
reading files and the database, before any kernel starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError
from .execute import Job
from .parameters import find

_FOLD = str.maketrans({"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "å": "a", "Å": "A"})


def _slug(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = "-".join(_slug(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = str(value)
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9.+]+", "-", text).strip("-").lower() or "tom"


def output_stem(report: str, params: dict[str, Any]) -> str:
    """``budsjett`` or ``budsjett_budsjettaar-2026`` (parameters in the notebook's order)."""
    stem = report + "".join(f"_{k}-{_slug(v)}" for k, v in params.items())
    if len(stem) > 120:
        digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str)
                              .encode()).hexdigest()[:10]
        stem = f"{stem[:100]}_{digest}"
    return stem


def _unique_stems(jobs: list) -> None:
    seen: dict[str, list] = {}
    for job in jobs:
        seen.setdefault(job.stem, []).append(job)
    for stem, same in seen.items():
        if len(same) > 1:
            for job in same:
                digest = hashlib.sha1(json.dumps(job.params, sort_keys=True)
                                      .encode()).hexdigest()[:8]
                job.stem = f"{stem}_{digest}"
    if len({j.stem for j in jobs}) != len(jobs):
        dup = next(j for j in jobs if sum(k.stem == j.stem for k in jobs) > 1)
        raise WorkbenchError(f"{dup.report}: the same parameters are scheduled twice: "
                             f"{dup.params}")


# --- reports.toml ----------------------------------------------------------------

@dataclass
class Entry:
    name: str
    params: list[dict[str, Any]]
    params_query: str | None = None
    timeout: float | None = None
    fresh_kernel: bool = False


@dataclass
class Config:
    path: Path
    output: Path
    keep: int = 14
    workers: int = 0
    timeout: float = 600.0
    retries: int = 1
    reports_dir: Path | None = None
    warm: list[str] = field(default_factory=lambda: list(DEFAULT_WARM))
    max_reports_per_kernel: int = 25
    entries: list[Entry] = field(default_factory=list)


#: Imported into every kernel before its first report (while the runner starts up).
DEFAULT_WARM = ("workbench", "workbench.charts", "workbench.norsk", "altair", "polars",
                "duckdb", "IPython.display")

_SCHEDULE_KEYS = {"output", "keep", "workers", "timeout", "retries", "reports_dir", "warm",
                  "max_reports_per_kernel"}
_REPORT_KEYS = {"name", "params", "params_query", "timeout", "fresh_kernel"}


def load_config(path: str | os.PathLike) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkbenchError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise WorkbenchError(f"{path}: {exc}") from None
    where = str(path)
    unknown = set(raw) - {"schedule", "report"}
    if unknown:
        raise WorkbenchError(f"{where}: unknown section {sorted(unknown)[0]!r} "
                             "(expected [schedule] and [[report]])")
    sched = raw.get("schedule", {})
    _no_unknown(sched, _SCHEDULE_KEYS, f"{where}: [schedule]")
    base = path.resolve().parent
    cfg = Config(path=path.resolve(), output=base / _get(sched, "output", str,
                                                         "reports-out/scheduled", where))
    cfg.keep = _get(sched, "keep", int, cfg.keep, where, minimum=1)
    cfg.workers = _get(sched, "workers", int, cfg.workers, where, minimum=0)
    cfg.timeout = float(_get(sched, "timeout", (int, float), cfg.timeout, where, minimum=1))
    cfg.retries = _get(sched, "retries", int, cfg.retries, where, minimum=0)
    cfg.max_reports_per_kernel = _get(sched, "max_reports_per_kernel", int,
                                      cfg.max_reports_per_kernel, where, minimum=1)
    if "reports_dir" in sched:
        cfg.reports_dir = base / _get(sched, "reports_dir", str, "", where)
    warm = sched.get("warm", cfg.warm)
    if not isinstance(warm, list) or not all(isinstance(m, str) for m in warm):
        raise WorkbenchError(f"{where}: [schedule] warm must be a list of module names")
    cfg.warm = warm
    reports = raw.get("report", [])
    if not isinstance(reports, list) or not reports:
        raise WorkbenchError(f"{where}: no [[report]] entries")
    for i, r in enumerate(reports, 1):
        at = f"{where}: [[report]] #{i}"
        _no_unknown(r, _REPORT_KEYS, at)
        name = _get(r, "name", str, None, at)
        if not name:
            raise WorkbenchError(f"{at}: needs a name")
        params = r.get("params", [{}] if "params_query" not in r else [{}])
        if isinstance(params, dict):
            params = [params]
        if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
            raise WorkbenchError(f"{at} ({name}): params must be a table or a list of tables")
        query = r.get("params_query")
        if query is not None and not isinstance(query, str):
            raise WorkbenchError(f"{at} ({name}): params_query must be SQL text")
        timeout = r.get("timeout")
        if timeout is not None:
            timeout = float(_get(r, "timeout", (int, float), None, at, minimum=1))
        fresh = _get(r, "fresh_kernel", bool, False, at)
        cfg.entries.append(Entry(name, params or [{}], query, timeout, fresh))
    return cfg


def _no_unknown(table: dict, allowed: set[str], where: str) -> None:
    if not isinstance(table, dict):
        raise WorkbenchError(f"{where}: expected a table")
    extra = sorted(set(table) - allowed)
    if extra:
        raise WorkbenchError(f"{where}: unknown key {extra[0]!r} "
                             f"(known: {', '.join(sorted(allowed))})")


def _get(table: dict, key: str, typ, default, where: str, minimum=None):
    value = table.get(key, default)
    if value is default:
        return value
    if not isinstance(value, typ) or isinstance(value, bool) and typ is not bool:
        raise WorkbenchError(f"{where}: {key} has the wrong type ({value!r})")
    if minimum is not None and value < minimum:
        raise WorkbenchError(f"{where}: {key} must be at least {minimum} (got {value})")
    return value


def plan(cfg: Config, db: Path, only: list[str] | None = None,
         out_dir: Path | None = None) -> list:
    """Every run of the schedule as a validated Job (queries run, no kernel started)."""
    names = {e.name for e in cfg.entries}
    for n in only or []:
        if n not in names:
            raise WorkbenchError(f"--only {n}: not in {cfg.path.name} "
                                 f"(scheduled: {', '.join(sorted(names))})")
    jobs: list[Job] = []
    for entry in cfg.entries:
        if only and entry.name not in only:
            continue
        report = find(entry.name, cfg.reports_dir)
        sets = entry.params
        if entry.params_query:
            rows = _query_rows(entry, db)
            sets = [{**base, **row} for base in entry.params for row in rows]
        for values in sets:
            params = report.validate(values)
            jobs.append(Job(report=report.name, notebook=report.path, params=params,
                            stem=output_stem(report.name, params),
                            out_dir=out_dir or Path("."), title=report.title,
                            timeout=entry.timeout or cfg.timeout,
                            fresh_kernel=entry.fresh_kernel))
    _unique_stems(jobs)
    return jobs


def _query_rows(entry: Entry, db: Path) -> list[dict[str, Any]]:
    import duckdb

    if not db.exists():
        raise WorkbenchError(f"{entry.name}: params_query needs the database, and there is "
                             f"none at {db}; run `workbench build` first")
    con = duckdb.connect(str(db), read_only=True)
    try:
        rel = con.sql(entry.params_query)
        if rel is None:
            raise WorkbenchError(f"{entry.name}: params_query returns no rows")
        cols, rows = rel.columns, rel.fetchall()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise WorkbenchError(f"{entry.name}: params_query failed: {first}") from None
    finally:
        con.close()
    return [dict(zip(cols, _plain(row), strict=True)) for row in rows]


def _plain(row: tuple) -> tuple:
    """Dates from SQL become ISO text; Decimals become floats."""
    out = []
    for v in row:
        if isinstance(v, (dt.date, dt.datetime)):
            v = v.isoformat()
        elif type(v).__name__ == "Decimal":
            v = float(v)
        out.append(v)
    return tuple(out)


