"""``workbench build`` and ``workbench load``: validate files and publish the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import catalog, database, kept_loads, locking, paths, reconcile
from .errors import Problem, ValidationError, WorkbenchError
from .sql import ident as _q
from .sql import scalar
from .validate import land


@dataclass(frozen=True)
class LoadResult:
    dataset: str
    file: str
    sha256: str
    rows: int
    fast: bool


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _land_with_hash(con, path: Path, ds: catalog.Dataset, table: str, **kw):
    # Hashing in a thread beside DuckDB's read was measured slower on 2 cores (1.60 s vs
    # 1.47 s for 5M rows): DuckDB already keeps every core busy.
    digest = sha256_of(path)
    return land(con, path, ds, table, **kw), digest


def _log(con, result: LoadResult, via: str, when: dt.datetime) -> None:
    con.execute("INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?)",
                [result.dataset, result.file, result.sha256, result.rows, when, via])


def _display_name(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def build(data: str | os.PathLike | None = None, db: str | os.PathLike | None = None, *,
          wait: float | None = None, on_wait=locking.to_stderr) -> list[LoadResult]:
    """Validate every dataset in ``data`` (and replay analyst loads) and publish ``db``.

    Holds the writer lock (:mod:`workbench.locking`): waits up to ``wait`` seconds for
    another build or load, telling ``on_wait``.
    """
    data_dir, db_path = paths.data_dir(data), paths.db_path(db)
    with locking.writer_lock(db_path, what="bygging av databasen", wait=wait,
                             on_wait=on_wait):
        _clear_after_killed_writers(db_path, data_dir)
        with database.publish(db_path, start_from_existing=False) as con:
            return build_into(con, data_dir)


def _clear_after_killed_writers(db: Path, data_dir: Path) -> None:
    """With the lock held: no half-built database or half-kept copy stays behind."""
    locking.remove_stale(db)
    kept_loads.recover(data_dir, db)


def build_into(con: duckdb.DuckDBPyConnection, data_dir: Path, *,
               replay_loads: bool = True) -> list[LoadResult]:
    """Create the schema in ``con`` and fill it from ``data_dir``; all problems at once.

    ``replay_loads`` also merges the analysts' files kept in ``data/loads/``.
    """
    database.create_schema(con)
    results: list[LoadResult] = []
    problems: list[Problem] = []
    omitted = 0
    now = dt.datetime.now(dt.UTC)
    for name in catalog.BUILD_ORDER:
        ds = catalog.DATASETS[name]
        path = data_dir / ds.file_name
        if not path.exists():
            if ds.curated:
                problems.append(Problem(str(path), f"missing: the curated dataset "
                                                   f"{name!r} has no file"))
            continue
        try:
            landed, digest = _land_with_hash(con, path, ds, name)
        except ValidationError as exc:
            problems += exc.problems
            omitted += exc.omitted
            continue
        r = LoadResult(name, _display_name(path, data_dir.parent), digest, landed.rows,
                       landed.fast)
        _log(con, r, "build", now)
        results.append(r)
    if problems:
        raise ValidationError(problems, omitted)
    # Replayed in the order they were loaded (the file names start with a timestamp).
    for path in kept_loads.kept(data_dir) if replay_loads else []:
        ds = catalog.get(path.parent.name)
        results.append(_merge(con, path, ds, via="build (replayed load)", when=now,
                              base=data_dir.parent))
    reconcile.store(con)
    return results


def load(path: str | os.PathLike, dataset: str, *, db: str | os.PathLike | None = None,
         data: str | os.PathLike | None = None, delimiter: str | None = None,
         keep: bool = True, wait: float | None = None,
         on_wait=locking.to_stderr) -> LoadResult:
    """Validate an analyst's file and merge it into the published database.

    Rows replace existing rows with the same key; loading the same content twice
    changes nothing. A copy of the file is kept in ``data/loads/DATASET/`` (unless
    ``keep`` is false) so that ``workbench build`` replays it. Holds the writer lock
    (:mod:`workbench.locking`) from before the database is read until the copy is kept,
    so two loads at once both land, one after the other.
    """
    (result,) = load_many([(path, dataset)], db=db, data=data, delimiter=delimiter,
                          keep=keep, wait=wait, on_wait=on_wait)
    return result


def load_many(files: list[tuple[str | os.PathLike, str]], *,
              db: str | os.PathLike | None = None, data: str | os.PathLike | None = None,
              delimiter: str | None = None, keep: bool = True, wait: float | None = None,
              on_wait=locking.to_stderr) -> list[LoadResult]:
    """Load several (file, dataset) pairs as one change: all of them or none.

    They are merged in the given order into one new database (a later file may refer
    to rows of an earlier one), every problem of every file is reported at once, and the
    database is published once. Same lock and kept copies as :func:`load`.
    """
    pairs = [(Path(p), catalog.get(d)) for p, d in files]
    data_dir, db_path = paths.data_dir(data), paths.db_path(db)
    names = ", ".join(p.name for p, _ in pairs)
    with locking.writer_lock(db_path, what=f"lasting av {names}", wait=wait,
                             on_wait=on_wait):
        _clear_after_killed_writers(db_path, data_dir)
        now = dt.datetime.now(dt.UTC)
        results: list[LoadResult] = []
        pending: list[Path] = []
        try:
            with database.publish(db_path, start_from_existing=True) as con:
                problems: list[Problem] = []
                omitted = 0
                for path, ds in pairs:
                    try:
                        results.append(_merge(con, path, ds, via="load", when=now,
                                              base=Path.cwd(), delimiter=delimiter))
                    except ValidationError as exc:
                        problems += exc.problems
                        omitted += exc.omitted
                if problems:
                    raise ValidationError(problems, omitted)
                reconcile.store(con)
                for (path, ds), r in zip(pairs, results, strict=True) if keep else ():
                    # staged before the swap, committed after it (see kept_loads)
                    staged = kept_loads.stage(path, ds.name, r.sha256, data_dir, now)
                    if staged is not None:
                        pending.append(staged)
        except BaseException:
            for staged in pending:
                kept_loads.discard(staged)
            raise
        for staged in pending:
            kept_loads.commit(staged)
    return results


def _merge(con, path: Path, ds: catalog.Dataset, *, via: str, when: dt.datetime,
           base: Path, delimiter: str | None = None) -> LoadResult:
    empty = scalar(con, f"SELECT count(*) FROM {_q(ds.name)}") == 0
    if empty:
        landed, digest = _land_with_hash(con, path, ds, ds.name, delimiter=delimiter)
    else:
        stage = f"_stage_{ds.name}"
        database.create_table(con, ds, stage, temp=True)
        self_refs = {c.references: f"SELECT {_q(c.references.split('.')[1])} FROM "
                                   f"{_q(ds.name)} UNION ALL SELECT "
                                   f"{_q(c.references.split('.')[1])} FROM {{self}}"
                     for c in ds.columns
                     if c.references and c.references.startswith(ds.name + ".")}
        landed, digest = _land_with_hash(con, path, ds, stage, delimiter=delimiter,
                                         references=self_refs)
        match = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in ds.key)
        con.execute(f"DELETE FROM {_q(ds.name)} t USING {_q(stage)} s WHERE {match}")
        con.execute(f"INSERT INTO {_q(ds.name)} SELECT * FROM {_q(stage)}")
        con.execute(f"DROP TABLE {_q(stage)}")
    result = LoadResult(ds.name, _display_name(path, base), digest, landed.rows,
                        landed.fast)
    _log(con, result, via, when)
    return result


__all__ = ["build", "build_into", "load", "load_many", "LoadResult", "WorkbenchError"]
