"""Where the data and the database live (overridable by environment or option)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir(path: str | os.PathLike | None = None) -> Path:
    if path:
        return Path(path)
    return Path(os.environ.get("WORKBENCH_DATA") or PROJECT_ROOT / "data")


def db_path(path: str | os.PathLike | None = None) -> Path:
    if path:
        return Path(path)
    env = os.environ.get("WORKBENCH_DB")
    return Path(env) if env else data_dir() / "warehouse.duckdb"


def queries_dir() -> Path:
    return PROJECT_ROOT / "queries"
