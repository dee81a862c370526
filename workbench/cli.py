"""The ``workbench`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from . import __version__
from .errors import ValidationError, WorkbenchError


def _cmd_build(args) -> int:
    from . import builder as build
    results = build.build(args.data, args.db)
    from .paths import db_path
    total = sum(r.rows for r in results)
    print(f"Published {db_path(args.db)}: {len(results)} files, {total} rows")
    for r in results:
        print(f"  {r.dataset:18} {r.rows:>8}  {r.file}  sha256:{r.sha256[:12]}")
    return 0


def _cmd_check(args) -> int:
    import duckdb

    from . import builder as build, paths, reconcile
    con = duckdb.connect()
    build.build_into(con, paths.data_dir(args.data))
    found, low = reconcile.findings(con), reconcile.low_confidence(con)
    if args.format == "markdown":
        print(reconcile.report_markdown(con), end="")
    elif args.format == "json":
        print(json.dumps({"gaps": [f.as_dict() for f in found],
                          "low_confidence": [vars(x) for x in low]},
                         ensure_ascii=False, indent=2))
    else:
        print(reconcile.report_text(found, low))
    return 0


def _cmd_describe(args) -> int:
    from . import describe
    print(describe.markdown() if args.markdown else describe.text(args.dataset), end="")
    return 0


def _cmd_load(args) -> int:
    from . import builder as build
    r = build.load(args.path, args.dataset, db=args.db, data=args.data,
                   delimiter=args.delimiter, keep=not args.no_keep)
    print(f"Loaded {r.rows} rows from {r.file} into {r.dataset} (sha256:{r.sha256[:12]})")
    return 0


def _cmd_query(args) -> int:
    from . import queries
    if args.list or not args.name:
        for q in queries.catalog().values():
            print(f"{q.name}: {q.description}")
            print(f"    parameters: {q.accepted()}")
        return 0
    params = dict(_key_value(p) for p in args.param)
    df = queries.run(args.name, params, from_text=True, db=args.db)
    if args.format == "csv":
        print(df.write_csv(), end="")
    elif args.format == "json":
        print(json.dumps(df.to_dicts(), ensure_ascii=False, default=str, indent=2))
    else:
        import polars as pl
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60,
                       tbl_width_chars=200, tbl_hide_dataframe_shape=True):
            print(df)
    return 0


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise WorkbenchError(f"parameter {text!r} is not KEY=VALUE")
    return key.strip(), value


def _cmd_serve(args) -> int:
    from . import server
    return server.serve(args)


def _cmd_report(args) -> int:
    from . import reports
    return reports.cli_report(args)


def _cmd_schedule(args) -> int:
    from . import reports
    return reports.cli_schedule(args)


def _cmd_extract(args) -> int:
    from . import extract
    r = extract.extract(args.path, out=args.out, source_id=args.source_id, ocr=args.ocr,
                        lang=args.lang, db=args.db)
    print(f"Wrote {len(r.proposals)} proposals to {r.out} "
          f"({len(r.document.pages)} page(s), {r.seconds:.1f} s)")
    if r.sources_out:
        print(f"{r.document.name} is not in sources yet: proposed {len(r.sources)} "
              f"sources row(s) in {r.sources_out}; check them and write ja in accept")
    if r.database is None:
        print("No database yet: proposals are not compared with existing rows (known) "
              "and sources are not looked up; run `workbench build` first", file=sys.stderr)
    for page in r.scanned_pages:
        print(f"{r.document.name}: page {page} has no text layer (a scan?); run with "
              f"--ocr to read it with Tesseract", file=sys.stderr)
    return 0


def _cmd_accept(args) -> int:
    from . import extract
    r = extract.accept(args.path, db=args.db, data=args.data, sources=args.sources)
    print(f"{r.summary()} ({args.path})")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbench", description="e-helse workbench: "
                                "validated datasets in DuckDB, queries, dashboards.")
    p.add_argument("--version", action="version", version=__version__)
    p.add_argument("-v", "--verbose", action="store_true", help="log details")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: $WORKBENCH_DB or "
                                     "data/warehouse.duckdb)")
    common.add_argument("--data", help="data folder (default: $WORKBENCH_DATA or data/)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("build", parents=[common],
                       help="validate every dataset and publish the database")
    s.set_defaults(func=_cmd_build)
    s = sub.add_parser("check", parents=[common],
                       help="reconciliation report: gaps and low-confidence rows")
    s.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="markdown gives the docs/data.md page")
    s.set_defaults(func=_cmd_check)
    s = sub.add_parser("describe", help="data dictionary")
    s.add_argument("dataset", nargs="?")
    s.add_argument("--markdown", action="store_true", help="the docs/ page")
    s.set_defaults(func=_cmd_describe)
    s = sub.add_parser("load", parents=[common], help="validate and add a file")
    s.add_argument("path")
    s.add_argument("--dataset", required=True)
    s.add_argument("--delimiter", help="CSV delimiter (default: detected)")
    s.add_argument("--no-keep", action="store_true",
                   help="do not keep a copy in data/loads/ for later builds")
    s.set_defaults(func=_cmd_load)
    s = sub.add_parser("query", parents=[common], help="run a named query")
    s.add_argument("name", nargs="?", help="query name (see --list)")
    s.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    s.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s.add_argument("--list", action="store_true", help="list the queries")
    s.set_defaults(func=_cmd_query)
    # --- dashboards (owned by workbench/server.py) ---
    s = sub.add_parser("serve", parents=[common],
                       help="build the database if missing and serve the dashboards")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: loopback only)")
    s.add_argument("--port", type=int, default=8866)
    s.add_argument("--dashboards", metavar="DIR",
                   help="folder of notebooks to serve (default: dashboards/)")
    s.set_defaults(func=_cmd_serve)
    # --- reports (owned by workbench/reports.py) ---
    s = sub.add_parser("report", parents=[common],
                       help="run a report notebook into self-contained HTML")
    s.add_argument("name", nargs="?", help="report name (see --list)")
    s.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    s.add_argument("--out", help="output folder")
    s.add_argument("--reports-dir", help="folder of report notebooks (default: "
                   "$WORKBENCH_REPORTS or notebooks/reports/)")
    s.add_argument("--timeout", type=float, default=600,
                   help="seconds before the report is stopped (default: 600)")
    s.add_argument("--list", action="store_true",
                   help="list the reports and their parameters instead")
    s.set_defaults(func=_cmd_report)
    s = sub.add_parser("schedule", parents=[common],
                       help="run the scheduled set of reports in reports.toml")
    s.add_argument("--config", default="reports.toml")
    s.add_argument("--only", action="append", default=[], metavar="NAME")
    s.add_argument("--output", help="folder for the runs (default: the config's output)")
    s.add_argument("--workers", type=int, help="kernels in parallel (default: the "
                   "config's workers, else the number of cores)")
    s.add_argument("--dry-run", action="store_true",
                   help="check the config and list the runs without starting kernels")
    s.set_defaults(func=_cmd_schedule)
    # --- extraction (owned by workbench/extract/) ---
    s = sub.add_parser("extract", parents=[common],
                       help="propose the figures of a meeting paper (text, PDF, scan)")
    s.add_argument("path")
    s.add_argument("--source-id", help="the document's row in sources (default: looked up "
                   "by file name; proposed from the header when missing)")
    s.add_argument("--out", help="proposals CSV (default: <document>.forslag.csv)")
    s.add_argument("--ocr", action="store_true",
                   help="read pages without a text layer with Tesseract")
    s.add_argument("--lang", default="nor", help="Tesseract language (default: nor)")
    s.set_defaults(func=_cmd_extract)
    s = sub.add_parser("accept", parents=[common],
                       help="load the proposals marked ja (all or nothing)")
    s.add_argument("path", help="the proposals CSV")
    s.add_argument("--sources", help="proposed sources rows (default: the .kilder.csv "
                   "beside the proposals)")
    s.set_defaults(func=_cmd_accept)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except ValidationError as exc:
        print(exc.report(), file=sys.stderr)
        n = len(exc.problems) + exc.omitted
        print(f"workbench: {n} problem(s) found; nothing was changed.", file=sys.stderr)
        return 1
    except (WorkbenchError, KeyError) as exc:
        msg = exc.args[0] if exc.args else str(exc)
        print(f"workbench: {msg}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `workbench query ... | head` closed the pipe: not an error worth a traceback.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
