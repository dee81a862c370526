"""Analysts' loaded files, kept in ``data/loads/DATASET/`` so that ``build`` replays them.

A kept copy must exist exactly when its load was published, even if the process is
killed at any moment. So a load first *stages* its copy under a hidden name
(``.pending--…``), then publishes the database, then *commits* the copy (a rename). A
writer that finds a staged copy left by a killed load (:func:`recover`, called while it
holds the writer lock) looks in the published database's ``load_log``: if that load was
published, the copy is committed, otherwise it is deleted. ``build`` replays only
committed copies, in the order they were loaded (their names start with the load time).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from pathlib import Path

import duckdb

from .errors import WorkbenchError
from .files import atomic_write

LOADS_DIR = "loads"
PENDING = ".pending--"
_STAMP = "%Y%m%dT%H%M%S%fZ"


def folder(data_dir: Path, dataset: str | None = None) -> Path:
    base = data_dir / LOADS_DIR
    return base / dataset if dataset else base


def kept(data_dir: Path) -> list[Path]:
    """Committed copies of every dataset, oldest load first."""
    return sorted((p for p in folder(data_dir).glob("*/*")
                   if p.is_file() and not p.name.startswith(".")), key=lambda p: p.name)


def _name(digest: str, when: dt.datetime, file_name: str) -> str:
    return f"{when.astimezone(dt.UTC).strftime(_STAMP)}--{digest[:16]}--{file_name}"


def stage(source: Path, dataset: str, digest: str, data_dir: Path,
          when: dt.datetime) -> Path | None:
    """Write the copy under its pending name; None when identical content is kept already.

    The bytes copied are checked against ``digest`` (the SHA-256 of what was loaded), so
    a file changed between the load and the copy is noticed instead of kept.
    """
    target = folder(data_dir, dataset)
    target.mkdir(parents=True, exist_ok=True)
    if any(p.name.split("--")[1:2] == [digest[:16]] for p in target.iterdir()
           if not p.name.startswith(".")):
        return None
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise WorkbenchError(f"{source}: the file changed while it was being loaded; "
                             "load it again")
    return atomic_write(target / (PENDING + _name(digest, when, source.name)), data,
                        fsync=True)


def commit(pending: Path) -> Path:
    final = pending.with_name(pending.name[len(PENDING):])
    pending.replace(final)
    return final


def discard(pending: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        pending.unlink()


def recover(data_dir: Path, db: Path) -> dict[str, list[Path]]:
    """Settle what killed loads left in ``data/loads``; call only with the lock held.

    A staged copy whose load is in the published database's ``load_log`` is committed;
    any other staged copy, and any half-written temporary file, is removed.
    """
    out: dict[str, list[Path]] = {"committed": [], "removed": []}
    base = folder(data_dir)
    if not base.is_dir():
        return out
    for tmp in base.glob("*/.*.tmp"):  # atomic_write's temporaries of a killed writer
        discard(tmp)
        out["removed"].append(tmp)
    pending = sorted(base.glob(f"*/{PENDING}*"))
    if not pending:
        return out
    published = _published_loads(db)
    for p in pending:
        stamp, digest = p.name[len(PENDING):].split("--")[:2]
        if (stamp, digest) in published:
            out["committed"].append(commit(p))
        else:
            discard(p)
            out["removed"].append(p)
    return out


def _published_loads(db: Path) -> set[tuple[str, str]]:
    if not db.exists():
        return set()
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT loaded_at, sha256 FROM load_log WHERE via = 'load'"
                           ).fetchall()
    return {(when.astimezone(dt.UTC).strftime(_STAMP), sha[:16]) for when, sha in rows}
