"""Report notebooks: ``workbench report`` and ``workbench schedule``.

A report is a notebook in ``notebooks/reports/`` with one cell tagged ``parameters``
whose assignments are the defaults (``aar = 2024  # help text``). Everything here that
can go wrong with a request — unknown report, unknown parameter, a value of the wrong
type, a bad ``reports.toml`` — is found by reading files, before any kernel starts.
Execution (papermill on warm kernels) is in :mod:`workbench.scheduler`; the HTML for
readers in :mod:`workbench.htmlexport`.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import fcntl
import hashlib
import html
import json
import os
import re
import shutil
import sys
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import params, paths
from .errors import WorkbenchError

RUN_ID = re.compile(r"^\d{8}-\d{6}(-\d+)?$")


# --- reports and their parameters -------------------------------------------------

@dataclass(frozen=True)
class Param:
    name: str
    kind: str            # one of KINDS
    default: Any
    optional: bool       # None is accepted
    help: str = ""

    def describe(self) -> str:
        return f"{self.name} ({params.KINDS[self.kind]}, default {self.default!r})"


@dataclass(frozen=True)
class Report:
    name: str
    path: Path
    params: dict[str, Param]
    title: str

    def validate(self, values: dict[str, Any], from_text: bool = False) -> dict[str, Any]:
        """Checked and typed values, in the notebook's order; raises WorkbenchError."""
        unknown = [k for k in values if k not in self.params]
        if unknown:
            known = ", ".join(self.params) or "none"
            hint = difflib.get_close_matches(unknown[0], list(self.params), n=1)
            hint = f" (did you mean {hint[0]}?)" if hint else ""
            raise WorkbenchError(f"{self.name}: unknown parameter {unknown[0]!r}{hint}; "
                                 f"parameters are: {known}")
        return {k: self._coerce(self.params[k], values[k], from_text)
                for k in self.params if k in values}

    def _coerce(self, p: Param, value: Any, from_text: bool) -> Any:
        try:
            return params.coerce(p.kind, value, as_text=from_text, optional=p.optional)
        except ValueError:
            raise WorkbenchError(f"{self.name}: parameter {p.name} must be "
                                 f"{params.KINDS[p.kind]} (default {p.default!r}), got "
                                 f"{value!r}") from None


def report_folder(folder: str | os.PathLike | None = None) -> Path:
    if folder:
        return Path(folder)
    env = os.environ.get("WORKBENCH_REPORTS")
    return Path(env) if env else paths.PROJECT_ROOT / "notebooks" / "reports"


def available(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_")))


def find(name: str, folder: str | os.PathLike | None = None) -> Report:
    folder = report_folder(folder)
    path = folder / f"{name}.ipynb"
    if "/" in name or name.startswith((".", "_")) or not path.is_file():
        names = available(folder)
        hint = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {hint[0]}?)" if hint else ""
        raise WorkbenchError(f"unknown report {name!r}{hint}; reports in {folder}: "
                             f"{', '.join(names) or 'none'}")
    return read(path)


def read(path: Path) -> Report:
    """The report at ``path``: its parameters (from the ``parameters`` cell) and title."""
    import nbformat

    try:
        cells = nbformat.read(path, as_version=4).cells
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WorkbenchError(f"{path}: not a readable notebook ({exc})") from None
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise WorkbenchError(f"{path}: needs exactly one cell tagged 'parameters' "
                             f"(found {len(tagged)})")
    return Report(path.stem, path, notebook_parameters(path), _title(cells) or path.stem)


def _title(cells) -> str | None:
    for c in cells:
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            return None
    return None


def notebook_parameters(path: Path) -> dict[str, Param]:
    """Names, kinds and defaults of a report's parameters, without running it.

    Read by papermill's ``inspect_notebook`` (the same parser that injects them). The
    kind is the annotation if there is one (``grense: Optional[int] = None``; papermill
    does not read the ``int | None`` form), else the kind of the literal default; a
    default that is not a literal (``str(date.today())``) makes the parameter ``any``.
    A trailing comment is the parameter's help text.
    """
    import papermill

    try:
        found = papermill.inspect_notebook(str(path))
    except (ValueError, SyntaxError) as exc:
        raise WorkbenchError(f"{path}: the parameters cell cannot be read: {exc}") from None
    out: dict[str, Param] = {}
    for name, info in found.items():
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            default, kind, optional = info["default"], "any", True
        else:
            kind, optional = _kind_of(default), default is None
        annotated = info.get("inferred_type_name")
        if annotated and annotated != "None":
            kind, optional = _annotation_kind(annotated, kind, optional)
        out[name] = Param(name, kind, default, optional, info.get("help") or "")
    return out


def _kind_of(value: Any) -> str:
    for kind, typ in (("bool", bool), ("int", int), ("float", float), ("str", str),
                      ("list", (list, tuple)), ("dict", dict)):
        if isinstance(value, typ):
            return kind
    return "any"


def _annotation_kind(text: str, kind: str, optional: bool) -> tuple[str, bool]:
    text = text.replace(" ", "")
    m = re.fullmatch(r"Optional\[(.+)\]", text)
    if m:
        text, optional = m.group(1), True
    base = text.split("[")[0].lower()
    base = {"tuple": "list", "sequence": "list", "mapping": "dict"}.get(base, base)
    return (base if base in params.KINDS else kind), optional


# --- output names -------------------------------------------------------------------

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


# --- reports.toml -------------------------------------------------------------------

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
    from .scheduler import Job

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
    return [dict(zip(cols, _plain(row))) for row in rows]


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


# --- runs on disk: lock, manifest, index, retention ---------------------------------

def _new_run_dir(output: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run = output / stamp
    n = 1
    while run.exists():
        n += 1
        run = output / f"{stamp}-{n}"
    run.mkdir(parents=True)
    return run


def _lock(output: Path):
    output.mkdir(parents=True, exist_ok=True)
    fh = open(output / ".schedule.lock", "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise WorkbenchError(f"{output}: another `workbench schedule` is writing here") \
            from None
    return fh


def runs(output: Path) -> list[Path]:
    """Run folders in ``output``, oldest first."""
    if not output.is_dir():
        return []
    return sorted((p for p in output.iterdir() if p.is_dir() and RUN_ID.match(p.name)),
                  key=lambda p: (p.name[:15], int(p.name[16:] or 1)))


def prune(output: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest runs; returns what was deleted."""
    old = runs(output)[:-keep] if keep > 0 else []
    for p in old:
        shutil.rmtree(p, ignore_errors=True)
    return old


def manifest(outcomes: list, run: Path, meta: dict[str, Any]) -> dict[str, Any]:
    reports = [o.as_dict(run) for o in outcomes]
    failed = sum(r["status"] != "ok" for r in reports)
    return {**meta, "status": "failed" if failed else "ok",
            "counts": {"ok": len(reports) - failed, "failed": failed}, "reports": reports}


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


_PAGE = """<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "Source Sans 3", "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933;
  max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e4e7eb;
  vertical-align: top; }}
th {{ font-weight: 600; }}
.ok {{ color: #046c4e; }} .failed {{ color: #b42318; font-weight: 600; }}
.muted {{ color: #52606d; font-size: .9rem; }} code {{ font-size: .9rem; }}
</style></head><body>
{body}
</body></html>
"""

_STATUS = {"ok": "OK", "failed": "Feilet", "timeout": "Tidsavbrudd"}


def _when(iso: str | None) -> str:
    if not iso:
        return "–"
    from . import norsk

    t = dt.datetime.fromisoformat(iso)
    return f"{norsk.date(t.date())} kl. {t:%H:%M}"


def index_html(m: dict[str, Any]) -> str:
    rows = []
    for r in m["reports"]:
        params = ", ".join(f"{k} = {v!r}" for k, v in r["parameters"].items()) or "standard"
        links = []
        if r.get("html"):
            links.append(f'<a href="{_esc(r["html"])}">rapport</a>')
        if r.get("notebook"):
            links.append(f'<a href="{_esc(r["notebook"])}">notatbok</a>')
        err = ""
        if r["status"] != "ok":
            cell = r.get("failed_cell") or {}
            where = (f"celle {cell.get('index')}: <code>{_esc(cell.get('first_line', ''))}"
                     "</code><br>") if cell else ""
            err = f'<div class="muted">{where}{_esc(r.get("error") or "")}</div>'
        rows.append(
            f"<tr><td>{_esc(r['report'])}</td><td><code>{_esc(params)}</code></td>"
            f'<td class="{"ok" if r["status"] == "ok" else "failed"}">'
            f"{_STATUS.get(r['status'], r['status'])}{err}</td>"
            f"<td>{r['duration_s']:.1f} s</td><td>{' · '.join(links)}</td></tr>")
    c = m["counts"]
    failed = f", {c['failed']} feilet" if c["failed"] else ""
    body = (f"<h1>Rapporter {_esc(_when(m['started']))}</h1>"
            f"<p>{c['ok']} av {c['ok'] + c['failed']} rapporter ble laget{failed}. "
            "Kjøringen tok "
            f"{m['duration_s']:.1f} s med {m['workers']} parallelle kjerner. "
            f'<a href="manifest.json">manifest.json</a></p>'
            "<table><thead><tr><th>Rapport</th><th>Parametere</th><th>Status</th>"
            "<th>Tid</th><th>Filer</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
            f'<p class="muted">Database: <code>{_esc(m["database"])}</code> · '
            f'Oppsett: <code>{_esc(m["config"])}</code></p>')
    return _PAGE.format(title=f"Rapporter {_esc(m['run_id'])}", body=body)


def runs_index_html(output: Path) -> str:
    rows = []
    for run in reversed(runs(output)):
        try:
            m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        c = m["counts"]
        link = f'<a href="{_esc(run.name)}/index.html">{_esc(_when(m["started"]))}</a>'
        status = f'<td class="{m["status"]}">{_STATUS.get(m["status"], "")}</td>'
        rows.append(f"<tr><td>{link}</td>{status}"
                    f"<td>{c['ok']} av {c['ok'] + c['failed']}</td></tr>")
    body = ("<h1>Planlagte rapporter</h1><table><thead><tr><th>Kjøring</th><th>Status</th>"
            "<th>Laget</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    return _PAGE.format(title="Planlagte rapporter", body=body)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _point_latest(output: Path, run: Path) -> None:
    link = output / "latest"
    tmp = output / ".latest.tmp"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(run.name, target_is_directory=True)
        tmp.replace(link)
    except OSError:
        pass  # no symlinks here (some file systems): index.html still lists the runs


# --- the commands -------------------------------------------------------------------

def database(db: str | os.PathLike | None = None) -> Path:
    """The published database's absolute path; an error when there is none yet."""
    path = paths.db_path(db).resolve()
    if not path.exists():
        raise WorkbenchError(f"{path}: no database here yet; run `workbench build` first")
    return path


def list_reports(reports_dir: str | os.PathLike | None = None) -> list[Report]:
    """Every report in the folder, with its parameters and title."""
    return [find(name, reports_dir) for name in available(report_folder(reports_dir))]


def run_report(name: str, *, params: dict[str, Any] | None = None, from_text: bool = False,
               db: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
               reports_dir: str | os.PathLike | None = None, timeout: float = 600.0):
    """Run one report into ``out`` (default ``reports-out/``); returns its Outcome.

    ``params`` are checked against the notebook's parameters cell before a kernel
    starts (``from_text``: the values are text from the command line, coerced to each
    parameter's type). A failing report does not raise: the Outcome says what failed.
    """
    from . import scheduler

    report = find(name, reports_dir)
    values = report.validate(params or {}, from_text=from_text)
    path = database(db)
    folder = Path(out) if out else paths.PROJECT_ROOT / "reports-out"
    folder.mkdir(parents=True, exist_ok=True)
    job = scheduler.Job(report=report.name, notebook=report.path, params=values,
                        stem=output_stem(report.name, values), out_dir=folder,
                        title=report.title, timeout=float(timeout))
    (outcome,) = scheduler.run([job], workers=1, env=scheduler.kernel_env(path),
                               warm=DEFAULT_WARM, retries=1)
    return outcome


def plan_schedule(config: str | os.PathLike, *, db: str | os.PathLike | None = None,
                  only: list[str] | None = None) -> list:
    """The schedule's runs as validated Jobs, without starting a kernel."""
    return plan(load_config(config), database(db), only)


@dataclass
class ScheduleRun:
    """What ``run_schedule`` did: the run folder, its manifest and pruned old runs."""

    run: Path
    manifest: dict[str, Any]
    deleted: list[Path]

    @property
    def failed(self) -> int:
        return self.manifest["counts"]["failed"]


def run_schedule(config: str | os.PathLike, *, db: str | os.PathLike | None = None,
                 only: list[str] | None = None, output: str | os.PathLike | None = None,
                 workers: int | None = None, on_start=None, on_done=None) -> ScheduleRun:
    """Run the scheduled set into a new run folder with a manifest and an index page.

    ``on_start(jobs, workers, run_dir)`` and ``on_done(outcome)`` report progress.
    Failing reports do not raise; the manifest and ``ScheduleRun.failed`` say so.
    """
    from . import scheduler

    cfg = load_config(config)
    path = database(db)
    output = Path(output).resolve() if output else cfg.output
    workers = workers or cfg.workers or os.cpu_count() or 1
    jobs = plan(cfg, path, only)
    lock = _lock(output)
    try:
        run = _new_run_dir(output)
        for j in jobs:
            j.out_dir = run
        started = dt.datetime.now().astimezone()
        if on_start:
            on_start(jobs, min(workers, len(jobs)), run)
        outcomes = scheduler.run(jobs, workers=workers, env=scheduler.kernel_env(path),
                                 warm=cfg.warm, retries=cfg.retries,
                                 max_reports_per_kernel=cfg.max_reports_per_kernel,
                                 on_done=on_done)
        finished = dt.datetime.now().astimezone()
        m = manifest(outcomes, run, {
            "run_id": run.name, "started": started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            "duration_s": round((finished - started).total_seconds(), 3),
            "config": str(cfg.path), "database": str(path),
            "workers": min(workers, len(jobs)), "python": sys.executable,
        })
        _write(run / "manifest.json", json.dumps(m, ensure_ascii=False, indent=2) + "\n")
        _write(run / "index.html", index_html(m))
        _point_latest(output, run)
        deleted = prune(output, cfg.keep)
        _write(output / "index.html", runs_index_html(output))
    finally:
        lock.close()
    return ScheduleRun(run, m, deleted)
