"""The DuckDB database: schema from the catalog, read-only connections, atomic publish."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import duckdb

from . import catalog, paths
from .errors import NoDatabase
from .sql import ident as _q

LOAD_LOG_DDL = """
CREATE TABLE load_log (
    dataset VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    loaded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    via VARCHAR NOT NULL
)
"""


def column_ddl(col: catalog.Column) -> str:
    """A column of a table: its DuckDB type (:mod:`workbench.column_types`) and NOT NULL."""
    return f"{_q(col.name)} {col.ctype.duckdb}{' NOT NULL' if col.required else ''}"


def create_table(con: duckdb.DuckDBPyConnection, dataset: catalog.Dataset,
                 name: str | None = None, temp: bool = False) -> None:
    name = name or dataset.name
    cols = ",\n  ".join(column_ddl(c) for c in dataset.columns)
    con.execute(f"CREATE {'TEMP ' if temp else ''}TABLE {_q(name)} (\n  {cols}\n)")
    if temp:
        return
    # Comments make the catalog visible from any SQL client (duckdb_columns()).
    # COMMENT ON takes no bound parameters; the text is the catalog's own, not input.
    table_text = f"{dataset.title}. {dataset.description} Key: {', '.join(dataset.key)}."
    con.execute(f"COMMENT ON TABLE {_q(name)} IS {_literal(table_text)}")
    for c in dataset.columns:
        con.execute(f"COMMENT ON COLUMN {_q(name)}.{_q(c.name)} IS "
                    f"{_literal(c.description)}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# How a source is cited under a chart: «Nasjonalt e-helseråd 14.12.2023, sak 37/23».
SOURCE_LABELS_VIEW = """
CREATE VIEW source_labels AS
SELECT source_id,
       organ
       || CASE WHEN date IS NOT NULL THEN ' ' || strftime(date, '%-d.%-m.%Y')
               ELSE ': ' || title END
       || CASE WHEN sak IS NOT NULL THEN ', sak ' || sak ELSE '' END AS source_label
FROM sources
"""

RECONCILIATION_DDL = """
CREATE TABLE reconciliation_gaps (
    rule VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    stated BIGINT NOT NULL,
    computed BIGINT NOT NULL,
    gap BIGINT NOT NULL,
    detail VARCHAR NOT NULL
)
"""


def provenance_view() -> str:
    """One row per cited row of every dataset that carries ``source_id``: which
    document each figure rests on, how sure the reading is and the note, generated from
    the catalog so a new dataset is included without another copy of its columns."""
    parts = []
    for name in catalog.BUILD_ORDER:
        ds = catalog.DATASETS[name]
        if "source_id" not in ds.column_names or name == "sources":
            continue
        key = " || ' / ' || ".join(f"CAST({_q(k)} AS VARCHAR)" for k in ds.key)

        def col(c: str, cast: str = "VARCHAR", ds: catalog.Dataset = ds) -> str:
            return _q(c) if c in ds.column_names else f"CAST(NULL AS {cast})"

        parts.append(f"SELECT {_literal(name)} AS dataset, {key} AS row_key, source_id, "
                     f"{col('locator')} AS locator, {col('confidence')} AS confidence, "
                     f"{col('derived', 'BOOLEAN')} AS derived, {col('note')} AS note "
                     f"FROM {_q(name)}")
    return "CREATE VIEW provenance AS\n" + "\nUNION ALL\n".join(parts)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name in catalog.BUILD_ORDER:
        create_table(con, catalog.DATASETS[name])
    con.execute(LOAD_LOG_DDL)
    con.execute(SOURCE_LABELS_VIEW)
    con.execute(provenance_view())
    con.execute(RECONCILIATION_DDL)


def connect(db: str | os.PathLike | None = None, read_only: bool = True
            ) -> duckdb.DuckDBPyConnection:
    """Open the published database (read-only by default).

    A read-only connection keeps seeing the snapshot it opened, even after
    ``workbench build`` publishes a new file: the old file stays readable until the
    connection closes. Call :func:`connect` again to see the new one.
    """
    path = paths.db_path(db)
    if not path.exists():
        raise NoDatabase(path)
    return duckdb.connect(str(path), read_only=read_only)


@contextlib.contextmanager
def publish(db: Path, *, start_from_existing: bool):
    """Write a new database next to ``db`` and move it into place only on success.

    The new file is built under a temporary name in the same directory, so the final
    ``os.replace`` is atomic: readers see the old database or the new one, never a
    half-built one, and an exception leaves the old file untouched.
    """
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    _remove(tmp)
    if start_from_existing:
        if not db.exists():
            raise NoDatabase(db)
        shutil.copyfile(db, tmp)
    con = duckdb.connect(str(tmp))
    try:
        yield con
        con.execute("CHECKPOINT")
        con.close()
        _fsync(tmp)
        _before_replace(tmp, db)
        os.replace(tmp, db)
        _fsync_dir(db.parent)
    except BaseException:
        con.close()
        _remove(tmp)
        raise


def _before_replace(tmp: Path, db: Path) -> None:
    """Hook point between a complete new file and the swap (tests inject failures)."""


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)
