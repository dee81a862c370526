"""The ``workbench`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys

from . import __version__, params
from .errors import ValidationError, WorkbenchError, printable


def _cmd_build(args) -> int:
    from . import builder, paths

    results = builder.build(args.data, args.db, wait=args.wait)
    total = sum(r.rows for r in results)
    print(f"Published {paths.db_path(args.db)}: {len(results)} files, {total} rows")
    for r in results:
        print(f"  {r.dataset:18} {r.rows:>8}  {r.file}  sha256:{r.sha256[:12]}")
    return 0


def _cmd_check(args) -> int:
    import duckdb

    from . import builder, paths, reconcile

    con = duckdb.connect()
    builder.build_into(con, paths.data_dir(args.data))
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
    from . import builder

    r = builder.load(args.path, args.dataset, db=args.db, data=args.data,
                     delimiter=args.delimiter, keep=not args.no_keep, wait=args.wait)
    print(f"Loaded {r.rows} rows from {r.file} into {r.dataset} (sha256:{r.sha256[:12]})")
    return 0


def _cmd_query(args) -> int:
    from . import queries

    if args.list or not args.name:
        for q in queries.catalog().values():
            print(f"{q.name}: {q.description}")
            print(f"    parameters: {q.accepted()}")
        return 0
    df = queries.run(args.name, params.split(args.param), from_text=True, db=args.db)
    if args.format == "csv":
        from . import csv_export

        print(csv_export.to_csv(df), end="")
    elif args.format == "json":
        print(json.dumps(df.to_dicts(), ensure_ascii=False, default=str, indent=2))
    else:
        import polars as pl
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60,
                       tbl_width_chars=200, tbl_hide_dataframe_shape=True):
            print(df)
    return 0


def _cmd_serve(args) -> int:
    from . import serving

    return serving.serve(db=args.db, data=args.data, host=args.host, port=args.port,
                         dashboards=args.dashboards, pool_size=args.pool_size,
                         max_kernels=args.max_kernels, behind_proxy=args.behind_proxy,
                         build_missing=not args.no_build)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class _Stopped(KeyboardInterrupt):
    """SIGTERM (systemd, kill), unwound like Ctrl-C so that running kernels are killed."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


def _stop_on_sigterm() -> None:
    def stop(signum, frame):
        raise _Stopped(signum)

    signal.signal(signal.SIGTERM, stop)


def _interrupted(exc: KeyboardInterrupt) -> int:
    _say(f"workbench: {exc.args[0] if exc.args else 'interrupted'}; the kernels were "
         "stopped and no manifest was written")
    return 128 + getattr(exc, "signum", signal.SIGINT)


def _cmd_report(args) -> int:
    from . import reports

    if args.list:
        for r in reports.list_reports(args.reports_dir):
            print(f"{r.name}: {r.title}")
            for p in r.params.values():
                print(f"    {p.describe()}" + (f"  # {p.help}" if p.help else ""))
        return 0
    if not args.name:
        names = reports.available(reports.report_folder(args.reports_dir))
        raise WorkbenchError("name a report (see `workbench report --list`); reports: "
                             + (", ".join(names) or "none"))
    values = params.split(args.param)
    _stop_on_sigterm()
    try:
        o = reports.run_report(args.name, params=values, from_text=True, db=args.db,
                               out=args.out, reports_dir=args.reports_dir,
                               timeout=args.timeout)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    if o.status == "ok":
        print(f"{o.html}")
        _say(f"{o.job.report}: wrote {o.html} and {o.notebook.name} ({o.duration:.1f} s)")
        return 0
    _say(f"workbench: {o.job.report}: {o.describe_failure()}; "
         f"executed notebook: {o.notebook}")
    return 1


def _cmd_schedule(args) -> int:
    from . import reports

    if args.dry_run:
        for j in reports.plan_schedule(args.config, db=args.db, only=args.only):
            print(f"{j.report}\t{json.dumps(j.params, ensure_ascii=False)}\t{j.stem}")
        return 0
    total = [0]
    done = [0]

    def started(jobs, workers, run) -> None:
        total[0] = len(jobs)
        _say(f"schedule: {len(jobs)} report(s) with up to {workers} kernel(s) into {run}")

    def finished(o) -> None:
        done[0] += 1
        _say(f"  [{done[0]}/{total[0]}] {o.job.stem}: "
             + ("ok" if o.status == "ok" else o.describe_failure())
             + f" ({o.duration:.1f} s)")

    _stop_on_sigterm()
    try:
        result = reports.run_schedule(args.config, db=args.db, only=args.only,
                                      output=args.output, workers=args.workers,
                                      on_start=started, on_done=finished)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    m, c = result.manifest, result.manifest["counts"]
    removed = f"; removed {len(result.deleted)} old run(s)" if result.deleted else ""
    _say(f"schedule: {c['ok']} ok, {c['failed']} failed in {m['duration_s']:.1f} s; "
         f"{result.run / 'index.html'}{removed}")
    return 1 if result.failed else 0


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
    writer = argparse.ArgumentParser(add_help=False)
    writer.add_argument("--wait", type=float, metavar="SECONDS",
                        help="how long to wait for another build or load to finish "
                             "(default: $WORKBENCH_LOCK_WAIT or 300)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("build", parents=[common, writer],
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
    s = sub.add_parser("load", parents=[common, writer], help="validate and add a file")
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
    # --- dashboards (owned by workbench/serving/) ---
    s = sub.add_parser("serve", parents=[common],
                       help="build the database if missing and serve the dashboards")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: loopback only)")
    s.add_argument("--port", type=int, default=8866)
    s.add_argument("--dashboards", metavar="DIR",
                   help="folder of notebooks to serve (default: dashboards/)")
    s.add_argument("--pool-size", type=int, metavar="N",
                   help="warm (preheated) kernels per dashboard (default: serve/voila.py)")
    s.add_argument("--max-kernels", type=int, metavar="N",
                   help="most kernels at once, warm ones included (default: serve/voila.py)")
    s.add_argument("--behind-proxy", action="store_true",
                   help="listen on loopback but accept the host name a reverse proxy "
                        "on this machine passes on")
    s.add_argument("--no-build", action="store_true",
                   help="never build the database: a missing one is an error (replicas "
                        "serving a published snapshot)")
    s.set_defaults(func=_cmd_serve)
    # --- reports (owned by workbench/reports/) ---
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
    except WorkbenchError as exc:
        print(f"workbench: {printable(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `workbench query ... | head` closed the pipe: not an error worth a traceback.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
