"""Named queries: one ``queries/NAME.sql`` file each, parameters bound by DuckDB.

A query file starts with comment lines: a description, then one line per parameter::

    -- @param year int = 2026 : budget year
    -- @param parent text = null : line_id to break down

Types are ``int``, ``decimal``, ``text`` and ``bool``; ``= null`` makes a parameter
optional with no value, no default makes it required. Values are always bound as DuckDB
parameters (``$year``), never formatted into the SQL text.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from . import params, paths
from .errors import NoDatabase, WorkbenchError

_PARAM = re.compile(r"^--\s*@param\s+(\w+)\s+(int|decimal|text|bool)"
                    r"(?:\s*=\s*(.*?))?\s*(?::\s*(.*))?$")
_REQUIRED = object()


class QueryError(WorkbenchError):
    """An unknown query or a bad parameter: one line saying what is accepted."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object  # _REQUIRED, None or a typed value
    description: str

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def signature(self) -> str:
        if self.required:
            return f"{self.name} ({self.type}, required)"
        shown = "empty" if self.default is None else repr(self.default)
        return f"{self.name} ({self.type}, default {shown})"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    params: tuple[Param, ...]
    sql: str
    path: Path

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def accepted(self) -> str:
        return ", ".join(p.signature() for p in self.params) or "no parameters"


def _parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    description, declared = [], []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        m = _PARAM.match(line)
        if m:
            name, typ, default, desc = m.groups()
            value = _REQUIRED if default is None else (
                None if default.strip() == "null"
                else params.from_text(params.kind_of(typ), default.strip()))
            declared.append(Param(name, typ, value, (desc or "").strip()))
        else:
            description.append(line.lstrip("-").strip())
    return NamedQuery(path.stem, " ".join(d for d in description if d), tuple(declared),
                      text, path)


def catalog(folder: Path | None = None) -> dict[str, NamedQuery]:
    folder = folder or paths.queries_dir()
    return {p.stem: _parse(p) for p in sorted(folder.glob("*.sql"))}


def get(name: str) -> NamedQuery:
    queries = catalog()
    if name not in queries:
        raise QueryError(f"unknown query {name!r}; known queries: {', '.join(queries)}")
    return queries[name]


def bind(q: NamedQuery, values: dict[str, object], from_text: bool = False) -> dict:
    """Check names and types; return the values to bind (defaults filled in).

    ``from_text``: the values are command-line text, typed by :mod:`workbench.params`.
    """
    unknown = [k for k in values if q.param(k) is None]
    if unknown:
        raise QueryError(f"{q.name}: unknown parameter {unknown[0]!r}; accepted: "
                         f"{q.accepted()}")
    bound = {}
    for p in q.params:
        if p.name not in values:
            if p.required:
                raise QueryError(f"{q.name}: missing parameter {p.name!r}; accepted: "
                                 f"{q.accepted()}")
            bound[p.name] = p.default
            continue
        try:
            bound[p.name] = params.coerce(params.kind_of(p.type), values[p.name],
                                          as_text=from_text, optional=not p.required)
        except ValueError:
            value = values[p.name]
            if value is None or (from_text and str(value).strip() in params.NO_VALUE):
                raise QueryError(f"{q.name}: parameter {p.name!r} needs a value; "
                                 f"accepted: {q.accepted()}") from None
            raise QueryError(f"{q.name}: parameter {p.name!r} must be {p.type}, got "
                             f"{value!r}; accepted: {q.accepted()}") from None
    return bound


# --- connection shared by notebooks and dashboard kernels ---------------------------

_lock = threading.Lock()
_shared: dict[str, object] = {}


def connection(db: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published database, shared within the process.

    When ``workbench build`` has published a new file since the connection was opened
    (the file at the path is a different file now), the connection is reopened, so a
    long-running kernel picks up the new snapshot at its next query.
    """
    path = paths.db_path(db)
    try:
        stamp = (os.stat(path).st_ino, os.stat(path).st_mtime_ns)
    except FileNotFoundError:
        raise NoDatabase(path) from None
    with _lock:
        key = str(path.resolve())
        cached = _shared.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
        if cached:
            cached[1].close()
        # Not database.connect(): that module brings the catalog (the schema), which a
        # dashboard kernel does not need; the existence check is the stat above.
        con = duckdb.connect(str(path), read_only=True)
        _shared[key] = (stamp, con)
        return con


def run(name: str, params: dict | None = None, *, con=None, from_text: bool = False,
        db: str | os.PathLike | None = None) -> pl.DataFrame:
    q = get(name)
    values = bind(q, params or {}, from_text)
    con = con or connection(db)
    with _lock:
        # Through DuckDB's Arrow C stream (polars reads the PyCapsule directly), not
        # relation.pl(), which imports pyarrow: ~45 MB more in every dashboard kernel.
        return pl.DataFrame(con.sql(q.sql, params=values))


def query(name: str, /, **params) -> pl.DataFrame:
    """Run the named query ``queries/NAME.sql`` and return a polars DataFrame."""
    return run(name, params)
