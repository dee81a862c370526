"""The data dictionary, generated from the catalog (``workbench describe``, docs/)."""

from __future__ import annotations

from . import catalog
from .catalog import Column, Dataset


def _rules(col: Column) -> str:
    parts = []
    if col.allowed:
        parts.append("one of " + ", ".join(f"`{a}`" for a in col.allowed))
    if col.min is not None:
        parts.append(f"≥ {col.min:g}")
    if col.max is not None:
        parts.append(f"≤ {col.max:g}")
    if col.pattern:  # a pattern the type implies is in the type's description
        parts.append(f"pattern `{col.pattern}`")
    if col.references:
        parts.append(f"refers to `{col.references}`")
    return "; ".join(parts)


def text(name: str | None = None) -> str:
    datasets = [catalog.get(name)] if name else list(catalog.DATASETS.values())
    out = []
    for ds in datasets:
        out.append(f"{ds.name} — {ds.title}")
        out.append(f"  {ds.description}")
        out.append(f"  key: {', '.join(ds.key)}   file: data/{ds.file_name}"
                   f"{'' if ds.curated else '   (loaded by analysts)'}")
        for c in ds.columns:
            req = "required" if c.required else "optional"
            rules = _rules(c).replace("`", "")
            out.append(f"  - {c.name} ({c.ctype.description}, {req})"
                       f"{': ' + rules if rules else ''}")
            out.append(f"      {c.description}")
        for rc in ds.checks:
            out.append(f"  check {rc.name}: {rc.message}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def markdown() -> str:
    out = ["# Data dictionary", "",
           "Generated from `workbench/catalog.py` by `workbench describe --markdown`; "
           "do not edit by hand.", "",
           "Files are CSV (comma or semicolon), Excel `.xlsx` or Parquet. Whole numbers "
           "may use a space or no-break space as thousands separator (`95 718`); "
           "decimals may use a decimal comma (`3,4`); dates are `YYYY-MM-DD` or "
           "`DD.MM.YYYY`; amounts are whole kroner without units.", ""]
    for ds in catalog.DATASETS.values():
        out += _dataset_md(ds)
    out += ["## Also in the database", "",
            "- `load_log` — one row per file loaded: dataset, file, SHA-256, rows, time, "
            "and whether by `build`, a replayed load or `load`.",
            "- `source_labels` (view) — how each source is cited under charts "
            "(«Nasjonalt e-helseråd 14.12.2023, sak 37/23»).",
            "- `provenance` (view) — every cited row of every dataset above: dataset, "
            "key, `source_id`, locator, confidence, derived, note (query "
            "`source_usage`; `workbench check` lists the uncertain readings from it).",
            "- `reconciliation_gaps` — the findings of `workbench check`, stored at "
            "build time (query `reconciliation_gaps`).", ""]
    rules = catalog.RECONCILIATION_RULES
    out += ["## Reconciliation rules (`workbench check`)", ""]
    out += [f"- **{r.name}** — {r.description}" for r in rules]
    return "\n".join(out) + "\n"


def _dataset_md(ds: Dataset) -> list[str]:
    out = [f"## `{ds.name}` — {ds.title}", "", ds.description, "",
           f"Key: {', '.join(f'`{k}`' for k in ds.key)}. File: `data/{ds.file_name}`"
           f"{'' if ds.curated else ' (loaded by analysts with `workbench load`)'}.", "",
           "| column | type | required | rules | description |",
           "|---|---|---|---|---|"]
    for c in ds.columns:
        out.append(f"| `{c.name}` | {c.ctype.description} | "
                   f"{'yes' if c.required else 'no'} | {_rules(c)} | {c.description} |")
    if ds.checks:
        out += ["", "Row checks:"]
        out += [f"- `{rc.name}`: {rc.message} (`{rc.sql}`)" for rc in ds.checks]
    return out + [""]
