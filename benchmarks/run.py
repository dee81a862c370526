"""Ingest benchmark: validated `workbench load` against plain DuckDB, same run, same file.

Generates a synthetic kommune_indicators CSV (real 4-character kommunenummer × year ×
indicator × value) at 1M and 5M rows, loads it through the workbench (validation,
atomic publish, SHA-256, load log) and with plain DuckDB ``CREATE TABLE AS SELECT *
FROM read_csv(...)`` into a fresh file, and reports rows/s and the ratio.

    python benchmarks/run.py [--sizes 1000000 5000000] [--repeat 3]

Writes benchmarks/results/ingest.json and the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.builder import build, load  # noqa: E402

SOURCES = ("source_id,organ,title,meeting,date,sak,sak_title,document,note\n"
           "bench,Benchmark,Syntetiske data,,,,,benchmarks/run.py,Generert.\n")


def generate(path: Path, rows: int, kommuner: list[str]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE k AS SELECT unnest(?) AS kommunenummer", [kommuner])
    nk = len(kommuner)
    years = 25
    # Unique keys: kommune varies fastest, then year, then indicator.
    con.execute(
        f"""COPY (
          SELECT k.kommunenummer, 2000 + (i // {nk}) % {years} AS year,
                 'indikator_' || (i // ({nk} * {years})) AS indicator,
                 round(((i * 7919) % 100000) / 100.0, 2) AS value,
                 'bench' AS source_id
          FROM range({rows}) r(i)
          JOIN (SELECT kommunenummer, row_number() OVER (ORDER BY kommunenummer) - 1 AS ki
                FROM k) k ON k.ki = i % {nk}
          ORDER BY i
        ) TO '{path}' (HEADER)""")
    con.close()


def time_floor(csv: Path, work: Path) -> float:
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
    con.close()
    return time.perf_counter() - t


def time_workbench(csv: Path, base_db: Path, work: Path) -> float:
    db = work / "wb.duckdb"
    shutil.copyfile(base_db, db)
    t = time.perf_counter()
    load(csv, "kommune_indicators", db=db, data=work, keep=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wb-bench-"))
    try:
        base = work / "base.duckdb"
        build(ROOT / "data", base)
        (work / "sources.csv").write_text(SOURCES, encoding="utf-8")
        load(work / "sources.csv", "sources", db=base, data=work, keep=False)
        with duckdb.connect(str(base), read_only=True) as con:
            kommuner = [r[0] for r in con.execute(
                "SELECT kommunenummer FROM kommuner ORDER BY 1").fetchall()]
        results = []
        for rows in args.sizes:
            csv = work / f"kommune_indicators_{rows}.csv"
            generate(csv, rows, kommuner)
            time_floor(csv, work)  # warm the page cache for both contenders
            floor, ours = [], []
            for _ in range(args.repeat):  # interleaved so drift hits both alike
                floor.append(time_floor(csv, work))
                ours.append(time_workbench(csv, base, work))
            f, o = statistics.median(floor), statistics.median(ours)
            results.append({
                "rows": rows, "file_mb": round(csv.stat().st_size / 1e6, 1),
                "duckdb_read_csv_s": round(f, 3), "workbench_load_s": round(o, 3),
                "duckdb_rows_per_s": round(rows / f), "workbench_rows_per_s": round(rows / o),
                "ratio": round(f / o, 3), "runs": args.repeat,
            })
            print(f"{rows:>9} rows  duckdb {f:6.2f}s ({rows / f:>12,.0f} rows/s)  "
                  f"workbench {o:6.2f}s ({rows / o:>12,.0f} rows/s)  "
                  f"ratio {f / o:.2f}")
            csv.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}, duckdb {duckdb.__version__}",
            "date": time.strftime("%Y-%m-%d")}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps({**meta, "results": results}, indent=2)
                                     + "\n")
    write_doc(meta, results)


def write_doc(meta: dict, results: list[dict]) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    start, end = "<!-- ingest:start -->", "<!-- ingest:end -->"
    table = [start, "",
             f"Measured {meta['date']} on {meta['machine']} by `make bench` "
             f"(median of {results[0]['runs']} interleaved runs).", "",
             "| rows | file | plain DuckDB read_csv | workbench load | ratio (goal ≥ 0.70) |",
             "|---:|---:|---:|---:|---:|"]
    for r in results:
        table.append(f"| {r['rows']:,} | {r['file_mb']} MB | {r['duckdb_read_csv_s']} s "
                     f"({r['duckdb_rows_per_s']:,} rows/s) | {r['workbench_load_s']} s "
                     f"({r['workbench_rows_per_s']:,} rows/s) | {r['ratio']} |")
    table += ["", end]
    block = "\n".join(table)
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n## Ingest (`make bench`)\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
