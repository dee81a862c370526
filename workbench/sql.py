"""Small DuckDB helpers shared by the modules that write SQL."""

from __future__ import annotations

import duckdb


def ident(name: str) -> str:
    """Quote an identifier (table or column name) for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def row(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> tuple:
    """The single row of a query.

    Fetches everything: DuckDB 2.0 refuses further work on a connection whose last
    result was only partly fetched (``fetchone`` leaves it open).
    """
    rows = con.execute(sql, params or []).fetchall()
    if len(rows) != 1:
        raise ValueError(f"expected one row, got {len(rows)}")
    return rows[0]


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params=None):
    return row(con, sql, params)[0]
