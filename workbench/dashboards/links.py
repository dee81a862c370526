"""The landing page's list of dashboards (``dashboards/Oversikt.ipynb``)."""

from __future__ import annotations

import html
import os


def _notebook_title(path) -> tuple[str, str]:
    """(title, first sentence) from the notebook's first Markdown cell, else its name."""
    import json

    fallback = path.stem.replace("_", " ")
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return fallback, ""
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        lines = [ln.strip() for ln in ("".join(source) if isinstance(source, list)
                                       else source).splitlines() if ln.strip()]
        title = next((ln.lstrip("#").strip() for ln in lines if ln.startswith("#")), "")
        intro = next((ln for ln in lines if not ln.startswith("#")), "")
        return title or fallback, intro
    return fallback, ""


def dashboard_links(folder: str | os.PathLike | None = None,
                    exclude: tuple[str, ...] = ("Oversikt.ipynb",)):
    """A list of links to every dashboard in ``folder`` (default: the kernel's folder).

    For the landing page (``dashboards/Oversikt.ipynb``): each notebook's title is the
    first ``#`` heading of its first Markdown cell, with the first line of text under it.
    Notebooks whose name starts with ``_`` are left out.
    """
    from pathlib import Path
    from urllib.parse import quote

    from IPython.display import HTML

    base = Path(folder) if folder else Path.cwd()
    # An absolute path with target="_self": JupyterLab's output renderer (which Voilà
    # uses) would hijack a relative link as a "local file" and the click would do nothing.
    prefix = os.environ.get("VOILA_BASE_URL", "/") + "voila/render/"
    items = []
    for nb in sorted(base.glob("*.ipynb"), key=lambda p: p.name.lower()):
        if nb.name.startswith(("_", ".")) or nb.name in exclude:
            continue
        title, intro = _notebook_title(nb)
        text = (f'<div class="wb-intro" style="color:#52606d;margin-top:.2rem">'
                f'{html.escape(intro)}</div>') if intro else ""
        items.append(
            f'<li style="border-bottom:1px solid #e4e7eb;padding:.7rem .2rem">'
            f'<a href="{prefix}{quote(nb.name)}" target="_self" '
            f'data-notebook="{html.escape(nb.name)}"'
            f' style="font-size:1.15rem;color:#0072B2;text-decoration:none">'
            f'{html.escape(title)}</a>{text}</li>')
    return HTML('<ul class="wb-dashboards" style="list-style:none;padding:0;max-width:48rem">'
                f'{"".join(items)}</ul>')
