"""``workbench serve``: the dashboards on Voilà (in progress)."""

from __future__ import annotations

from . import builder, paths


def serve(args) -> int:
    if not paths.db_path(args.db).exists():
        builder.build(args.data, args.db)
    for name, n in builder.summary(args.db):
        print(f"  {name:18} {n:>8} rows")
    print("The dashboards are not built yet; the database above is ready.")
    return 0
