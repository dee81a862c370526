"""Shared fixtures."""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from workbench.builder import build_into

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/helpers.py


@pytest.fixture(scope="session")
def curated_db():
    """An in-memory database built from the committed files in data/ by the real build."""
    con = duckdb.connect()
    build_into(con, DATA, replay_loads=False)
    yield con
    con.close()
