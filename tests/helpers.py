"""Small helpers shared by tests."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb

from workbench import catalog

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"


def project_with_ssb(folder: Path, *, keep: bool = False) -> Path:
    """``folder/data`` (a copy of data/) and ``folder/w.duckdb`` built from it, with the
    test source ``ssb`` registered so that kommune_indicators files can cite it. Returns
    the database."""
    import shutil

    from workbench.builder import build, load

    shutil.copytree(ROOT / "data", folder / "data",
                    ignore=shutil.ignore_patterns("*.duckdb", "*.wal", "loads", ".*"))
    db = folder / "w.duckdb"
    build(folder / "data", db)
    load(CORPUS / "ok_sources_ssb.csv", "sources", db=db, data=folder / "data", keep=keep)
    return db


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def content(db: Path) -> dict[str, list[tuple]]:
    """Every dataset table's rows (sorted) and the load log without its timestamps."""
    with duckdb.connect(str(db), read_only=True) as con:
        out = {name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
               for name in catalog.DATASETS}
        out["load_log"] = sorted(con.execute(
            "SELECT dataset, file, sha256, rows, via FROM load_log").fetchall())
    return out


# --- WCAG 2.x contrast (for colours axe cannot check: SVG chart text and marks) --------

def parse_colour(text: str) -> tuple[float, float, float, float]:
    """``#0072B2``, ``#07b``, ``rgb(0, 114, 178)`` or ``rgba(…, 0.5)`` → (r, g, b, alpha)
    with r, g, b in 0–255."""
    import re

    text = text.strip().lower()
    if text.startswith("#"):
        h = text[1:]
        if len(h) in (3, 4):
            h = "".join(c * 2 for c in h)
        alpha = int(h[6:8], 16) / 255 if len(h) == 8 else 1.0
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha
    m = re.match(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:[,\s/]+([\d.]+%?))?\s*\)",
                 text)
    if not m:
        raise ValueError(f"not a colour: {text!r}")
    a = m.group(4)
    alpha = 1.0 if a is None else float(a[:-1]) / 100 if a.endswith("%") else float(a)
    return float(m.group(1)), float(m.group(2)), float(m.group(3)), alpha


def over(colour, alpha: float = 1.0, background=(255, 255, 255)) -> tuple[float, ...]:
    """``colour`` (its own alpha times ``alpha``) painted on ``background``, as browsers
    composite (in sRGB)."""
    r, g, b, a = parse_colour(colour) if isinstance(colour, str) else (*colour[:3], 1.0)
    a *= alpha
    return tuple(a * c + (1 - a) * bg for c, bg in zip((r, g, b), background, strict=True))


def luminance(rgb) -> float:
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg=(255, 255, 255)) -> float:
    """WCAG contrast ratio of two opaque colours (strings or RGB tuples)."""
    a = luminance(over(fg) if isinstance(fg, str) else fg)
    b = luminance(over(bg) if isinstance(bg, str) else bg)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


# --- "the largest value as the chart shows it" -------------------------------------------

_SHOWN_NUMBER = re.compile(
    r"(−|-)?(\d{1,3}(?:\u00a0\d{3})+|\d+)(,\d+)?( mill\. kr| mrd\. kr| kr)?")
_SCALE = {" mill. kr": 1e6, " mrd. kr": 1e9, " kr": 1.0, None: 1.0}


def shown_numbers(text: str) -> list[tuple[str, str, float]]:
    """The Norwegian numbers in a chart's label or a mark's aria-label, as shown:
    (text, kind «kr» or «antall», value). In an aria-label («Linje: 72,6 mill. kr») only
    the part after the last «: » holds values (before it: names, years)."""
    if ": " in text:
        text = text.rsplit(": ", 1)[1]
    out = []
    for m in _SHOWN_NUMBER.finditer(text):
        sign, digits, decimals, unit = m.groups()
        value = float(digits.replace("\u00a0", "") + (decimals or "").replace(",", "."))
        value *= _SCALE[unit] * (-1 if sign else 1)
        out.append((m.group(0), "kr" if unit else "antall", value))
    return out


def largest_shown(texts: list[str]) -> dict[str, str]:
    """The largest value of each kind (kroner, counts) among a chart's shown texts,
    exactly as shown: {"kr": "237,4 mrd. kr", "antall": "180"}."""
    best: dict[str, tuple[float, str]] = {}
    for t in texts:
        for shown, kind, value in shown_numbers(t):
            if kind not in best or value > best[kind][0]:
                best[kind] = (value, shown)
    return {kind: shown for kind, (_, shown) in best.items()}
