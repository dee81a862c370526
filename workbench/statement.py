"""The tilgjengelighetserklæring as the page each dashboard's footer links to.

``docs/tilgjengelighet.md`` is the text; :func:`write` renders it (Markdown → HTML,
Norwegian page frame, no script, nothing fetched) to the page template's static folder,
where Voilà serves it at ``/voila/templates/workbench/static/tilgjengelighet.html``.
``make docs`` runs it (``python -m workbench.statement``); a test checks that the
committed page is the rendering of the committed text.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from . import paths
from .files import atomic_write

SOURCE = paths.PROJECT_ROOT / "docs" / "tilgjengelighet.md"
PAGE = (paths.PROJECT_ROOT / "serve" / "jupyter" / "voila" / "templates" / "workbench"
        / "static" / "tilgjengelighet.html")

_FRAME = """<!DOCTYPE html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:;base64,=">
<title>{title}</title>
<style>
body {{ font-family: "Source Sans 3", "Segoe UI", Helvetica, Arial, sans-serif;
  color: #1f2933; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; font-weight: 600; }} h2 {{ font-size: 1.3rem; margin-top: 2rem; }}
h3 {{ font-size: 1.1rem; }}
a {{ color: #0072B2; text-decoration: underline; }}
a:focus-visible {{ outline: 3px solid #1f2933; outline-offset: 2px; }}
code {{ font-size: 0.9em; overflow-wrap: anywhere; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1rem; }}
td, th {{ overflow-wrap: anywhere; }}
th, td {{ text-align: left; vertical-align: top; padding: 0.3rem 0.5rem;
  border-bottom: 1px solid #cbd2d9; }}
th {{ border-bottom: 2px solid #52606d; }}
nav {{ margin-bottom: 1rem; }}
</style>
</head>
<body>
<nav aria-label="Tilbake"><a href="../../../../">Til dashbordene</a></nav>
<main>
{body}
</main>
</body>
</html>
"""


def render(markdown: str) -> str:
    """The page for the statement's Markdown (its first ``#`` heading is the title)."""
    import mistune

    body = mistune.create_markdown(plugins=["table"])(markdown)
    body = re.sub(r"<th(?=[\s>])", '<th scope="col"', body)
    title = next((line[2:].strip() for line in markdown.splitlines()
                  if line.startswith("# ")), "Tilgjengelighetserklæring")
    return _FRAME.format(title=html.escape(title), body=body.strip())


def write(source: Path = SOURCE, page: Path = PAGE) -> Path:
    atomic_write(page, render(source.read_text(encoding="utf-8")))
    return page


if __name__ == "__main__":  # pragma: no cover
    print(write())
