"""Shared fixtures."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from workbench import catalog

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def curated_db():
    """A DuckDB connection on the curated data in data/ (provisional: typed read_csv)."""
    con = duckdb.connect()
    for name in catalog.BUILD_ORDER:
        ds = catalog.DATASETS[name]
        path = DATA / ds.file_name
        if not path.exists():
            continue
        types = {c.name: c.duckdb_type for c in ds.columns}
        con.execute(
            f'CREATE TABLE "{name}" AS SELECT * FROM read_csv(?, header=true, '
            f"delim=',', columns={types!r})",
            [str(path)],
        )
    yield con
    con.close()
