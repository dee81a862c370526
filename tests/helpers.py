"""Small helpers shared by tests."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from workbench import catalog

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def content(db: Path) -> dict[str, list[tuple]]:
    """Every dataset table's rows (sorted) and the load log without its timestamps."""
    with duckdb.connect(str(db), read_only=True) as con:
        out = {name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
               for name in catalog.DATASETS}
        out["load_log"] = sorted(con.execute(
            "SELECT dataset, file, sha256, rows, via FROM load_log").fetchall())
    return out
