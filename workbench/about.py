"""«Om dataene»: the closing section of a report, from the rows the report showed.

Lists the sources behind the figures, the readings with medium or low confidence and the
reconciliation gaps of the datasets concerned — in bokmål, as Markdown.
"""

from __future__ import annotations

import polars as pl

from . import norsk, queries
from .sql import ident

CONFIDENCE = {"medium": "middels", "low": "lav"}


def markdown(shown: list[pl.DataFrame], datasets: list[str], *,
             gaps_about: str | None = None,
             label_columns: tuple[str, ...] = ("label", "scheme", "project", "indicator",
                                               "question", "technology")) -> str:
    """The section for a report that showed the frames ``shown`` from ``datasets``.

    ``gaps_about`` keeps only the gaps whose subject contains it (e.g. ``"2024"``).
    """
    out = ["Tallene kommer fra workbench-databasen, som bygges fra de kuraterte filene i "
           "`data/`. Hver rad har en kilde, en henvisning til hvor i kilden tallet står og "
           "en vurdering av hvor sikker avlesningen er. Figurer merket * bygger på "
           "usikre avlesninger."]
    sources: list[str] = []
    for df in shown:
        if "source_label" in df.columns:
            for cell in df["source_label"].drop_nulls().to_list():
                for s in cell.split("; "):
                    if s not in sources:
                        sources.append(s)
    out += ["", "**Kilder**", ""] + [f"- {s}" for s in sources or ["(ingen)"]]

    uncertain = []
    for df in shown:
        if "confidence" not in df.columns:
            continue
        label = next((c for c in label_columns if c in df.columns), None)
        for r in df.filter(pl.col("confidence") != "high").iter_rows(named=True):
            what = r[label] if label else ""
            line = f"- {what} ({CONFIDENCE[r['confidence']]} sikkerhet)"
            note = (r.get("note") or "").strip()
            if note:
                line += f": {note}"
            if line not in uncertain:
                uncertain.append(line)
    out += ["", f"**Usikre avlesninger ({len(uncertain)})**", ""]
    out += uncertain or ["- Ingen: alle tallene i rapporten er lest med høy sikkerhet."]

    gaps = pl.concat([queries.query("reconciliation_gaps", dataset=d) for d in datasets])
    if gaps_about:
        gaps = gaps.filter(pl.col("subject").str.contains(gaps_about, literal=True))
    out += ["", f"**Avvik mellom oppgitte summer og delene ({gaps.height})**", ""]
    for r in gaps.iter_rows(named=True):
        out.append(f"- {r['subject']}: oppgitt {norsk.nok(r['stated'])}, sum av delene "
                   f"{norsk.nok(r['computed'])}, avvik {norsk.nok(r['gap'])}.")
    if gaps.is_empty():
        out.append("- Ingen: delene summerer seg til de oppgitte summene.")

    con = queries.connection()
    built = con.execute(f"SELECT max(loaded_at)::DATE FROM {ident('load_log')}").fetchall()
    if built and built[0][0]:
        out += ["", f"Databasen ble bygget {norsk.date(built[0][0])}."]
    return "\n".join(out)


def show(shown: list[pl.DataFrame], datasets: list[str], **kwargs) -> None:
    from IPython.display import Markdown, display

    display(Markdown(markdown(shown, datasets, **kwargs)))
