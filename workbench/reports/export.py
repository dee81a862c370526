"""Executed report notebook → one self-contained HTML file for readers.

No code cells, no prompts, no JavaScript and nothing fetched from the network: nbconvert's
``lab`` template is used for the layout and its CSS (inlined), but the blocks that load
require.js, MathJax, Mermaid and the widget manager from CDNs are replaced by nothing.
Charts are inline SVG (``workbench.charts.show``); images in markdown are embedded.
:func:`external_resources` lists anything in a page that a browser would fetch — the
export refuses to write a page that has any.

Universal design (WCAG 2.1 AA, docs/tilgjengelighet.md): every chart SVG is an image
named by its title and described by the text made from its data (``role="img"``,
``<title>``, ``<desc>``), followed by its «Vis som tabell» (a ``<details>`` table, no
JavaScript); the cells sit in ``<main>`` with the run's footer after it, and only what
can be operated is a tab stop (nbconvert makes every cell and output one).
"""

from __future__ import annotations

import copy
import html
import re
import threading
from pathlib import Path
from typing import Any

import nbformat

from .. import chart_text
from ..files import atomic_write

#: Cells with one of these tags are left out of the HTML (kept in the .ipynb).
REMOVE_CELL_TAGS = {"remove-cell", "remove_cell", "skjul"}
#: Cells with one of these tags show their input nowhere and their output not at all.
REMOVE_OUTPUT_TAGS = {"remove-output", "remove_output", "skjul-utdata"}

_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block data_svg scoped -%}
<div class="jp-RenderedSVG jp-OutputArea-output {{ extra_class }}"
     data-mime-type="image/svg+xml">
{{ output.data['image/svg+xml'] }}
</div>
{%- endblock data_svg -%}
{%- block extra_css -%}
<style type="text/css">
:root {
  --jp-content-font-family: "Source Sans 3", "Source Sans Pro", "Segoe UI", Helvetica,
    Arial, sans-serif;
  --jp-ui-font-family: var(--jp-content-font-family);
  --jp-content-font-size1: 15px;
}
body.jp-Notebook { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
.jp-Cell { padding: 0; }
.jp-Cell-inputWrapper:empty, .jp-Cell-outputWrapper:empty { display: none; }
/* Reflow at 320 px: charts scale down to the column, tables and long words (a heading
   «Helseteknologiordningen» at 2em is wider than 320 px) wrap. */
.jp-OutputArea-output svg { max-width: 100%; height: auto; }
.jp-RenderedHTMLCommon { overflow-wrap: break-word; }
.jp-CodeCell .jp-Cell-outputWrapper { padding-left: 5px; }
.wb-report-meta { font-family: var(--jp-content-font-family); color: #52606d;
  font-size: 0.85rem; border-top: 1px solid #e4e7eb; max-width: 60rem;
  margin: 2.5rem auto 0; padding: 0.75rem 1rem 0 calc(1rem + 10px); }
.wb-report-meta code { font-size: 0.85rem; }
a:focus-visible { outline: 3px solid #1f2933; outline-offset: 2px; }
{{ resources.workbench_css }}
</style>
{%- endblock extra_css -%}
{% block body_footer %}
</main>
{%- if resources.workbench_meta -%}
<footer class="wb-report-meta">{{ resources.workbench_meta }}</footer>
{%- endif -%}
</body>
{% endblock body_footer %}
"""

_lock = threading.Lock()
_exporter_instance = None


def _exporter():
    """The one exporter (building its Jinja environment is the slow part: ~0.5 s)."""
    global _exporter_instance
    if _exporter_instance is None:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        exporter = HTMLExporter(
            template_name="lab",
            template_file="workbench_report.html.j2",
            extra_loaders=[DictLoader({"workbench_report.html.j2": _TEMPLATE})],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            theme="light",
        )
        exporter.language_code = "nb"
        tags = TagRemovePreprocessor(remove_cell_tags=REMOVE_CELL_TAGS,
                                     remove_all_outputs_tags=REMOVE_OUTPUT_TAGS)
        exporter.register_preprocessor(tags, enabled=True)
        _exporter_instance = exporter
    return _exporter_instance


def prepare() -> None:
    """Build the exporter and its templates now (e.g. while kernels start)."""
    with _lock:
        exp = _exporter()
        exp.from_notebook_node(nbformat.v4.new_notebook(), resources={"metadata": {}})


def for_readers(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without what readers should not see: code-only cells, stderr, papermill marks."""
    nb = copy.deepcopy(nb)
    keep = []
    charts = 0
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "papermill-error-cell-tag" in tags:
            continue
        if cell.cell_type == "code":
            # stderr is for the analyst (warnings, logging); the .ipynb keeps it.
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream"
                                    and o.get("name") == "stderr")]
            if not cell.outputs:
                continue  # nothing to show: the input is hidden anyway
            for o in cell.outputs:
                svg = o.get("data", {}).get("image/svg+xml")
                if svg:
                    charts += 1
                    o["data"]["image/svg+xml"] = inline_svg(svg, f"wb{charts}-")
        keep.append(cell)
    nb.cells = keep
    return nb


_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"""\bid=(["'])([^"']+)\1""")
_REF = re.compile(r"""(url\(\s*["']?#|href=["']#)""")
_ARIA_REF = re.compile(r"""\b(aria-labelledby|aria-describedby)=(["'])([^"']*)\2""")
_SVG_ROOT = re.compile(r"<svg\b[^>]*>")
_VEGA_TITLE = re.compile(r"aria-label=\"Title text '([^\"]*)'\"")


def inline_svg(svg: str | list[str], prefix: str) -> str:
    """SVG markup ready to sit inline in a page next to other charts.

    Drops the XML prolog and any script, and prefixes every id (and every reference to
    one, ``aria-labelledby``/``-describedby`` included) so that two charts' clip paths,
    gradients or names cannot capture each other. A chart without a name of its own
    (not made by the workbench's builders) is named by its Vega title, if it has one.
    """
    svg = "".join(svg) if isinstance(svg, list) else svg
    svg = _SCRIPT.sub("", _PROLOG.sub("", svg))
    root = _SVG_ROOT.search(svg)
    if root and "role=" not in root.group(0):
        title = _VEGA_TITLE.search(svg)
        if title:
            svg = chart_text.label_svg(svg, html.unescape(title.group(1)))
    svg = _ID.sub(lambda m: f"id={m.group(1)}{prefix}{m.group(2)}{m.group(1)}", svg)
    svg = _ARIA_REF.sub(lambda m: f"{m.group(1)}={m.group(2)}"
                        + " ".join(prefix + i for i in m.group(3).split()) + m.group(2), svg)
    return _REF.sub(lambda m: m.group(1) + prefix, svg)


def _without_tab_stops(page: str) -> str:
    """nbconvert makes every cell and output a tab stop (``tabindex="0"``); only what can
    be operated (links, «Vis som tabell») should be one (WCAG 2.4.3)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    for elem in soup.select("div.jp-Cell-inputWrapper[tabindex], "
                            "div.jp-OutputArea-output[tabindex]"):
        del elem.attrs["tabindex"]
    return str(soup)


def to_html(nb: nbformat.NotebookNode, title: str, footer: str | None = None) -> str:
    """The HTML page for ``nb`` (an executed notebook); raises if it would use the network."""
    resources: dict[str, Any] = {"metadata": {"name": title},
                                 "workbench_css": chart_text.css()}
    if footer:
        resources["workbench_meta"] = footer
    readers = for_readers(nb)
    with _lock:  # one exporter for all threads; a page takes ~20 ms
        body, _ = _exporter().from_notebook_node(readers, resources=resources)
    body = _without_tab_stops(body)
    found = external_resources(body)
    if found:
        raise RuntimeError(f"the HTML would load {found[0]} from the network")
    return body


def write(nb: nbformat.NotebookNode, path: Path, title: str,
          footer: str | None = None) -> Path:
    """Write the page atomically (a reader never sees half a file)."""
    text = to_html(nb, title, footer)
    atomic_write(path, text)
    return path


# What a browser fetches by itself: src/href of loading elements, CSS url() and @import,
# srcset, <object data>, <meta http-equiv=refresh>. Plain <a href> links are not fetched.
_LOADING = re.compile(
    r"""<(?:script|img|iframe|embed|source|audio|video|input|track|image|use|feImage)\b"""
    r"""[^>]*?\s(?:src|href|xlink:href|data|poster|srcset)\s*=\s*["']?\s*([^"'\s>]+)""",
    re.IGNORECASE)
_LINK = re.compile(r"""<link\b[^>]*?\shref\s*=\s*["']?\s*([^"'\s>]+)""", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*([^"')\s]+)""", re.IGNORECASE)
_REFRESH = re.compile(r"""<meta\b[^>]*http-equiv\s*=\s*["']?refresh[^>]*>""", re.IGNORECASE)


def external_resources(page: str) -> list[str]:
    """URLs the page would fetch by itself (data: URLs and #fragments are fine)."""
    found = []
    for rx in (_LOADING, _LINK, _CSS_URL):
        for m in rx.finditer(page):
            url = html.unescape(m.group(1)).strip()
            if url.startswith(("data:", "#", "about:")):
                continue
            found.append(url)
    found += [m.group(0) for m in _REFRESH.finditer(page)]
    return found
