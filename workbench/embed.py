"""Interactive charts, downloads and safe error messages for Voilà dashboards.

Everything here works without internet:

* :func:`chart` shows an Altair chart as an interactive Vega view. The JavaScript (vega,
  vega-lite, vega-embed) comes from the workbench's own server: ``workbench serve``
  writes ``vl_convert.javascript_bundle()`` once and serves it as a static file of the
  page template; the browser loads it once per page (and caches it). ``.update(chart)``
  redraws the same view in place when a filter changes. Numbers and dates are formatted
  the Norwegian way (:data:`workbench.norsk.D3_FORMAT_LOCALE`).
* :func:`download` is a «Last ned data» button: on click, the kernel sends exactly the
  rows of the DataFrame it holds as CSV (UTF-8 with BOM, semicolon, decimal comma — what
  Excel with Norwegian settings opens correctly) and the browser saves it as a file. No
  Jupyter file endpoint is involved.
* :func:`guarded` / :func:`guard` turn an exception into a short Norwegian message for
  the viewer and a full traceback in the server log. In a Voilà kernel, importing this
  module also makes every other traceback (e.g. from a widget callback inside an
  ``ipywidgets.Output``) show that message instead (:func:`install_traceback_guard`).

Both widgets are anywidget widgets: the chart's data travels as widget state over the
kernel's websocket, never through an ``ipywidgets.Output`` (a large Output can hang
nbclient, jupyter/nbclient#312).

Typical dashboard cell::

    import ipywidgets as w
    from workbench import embed

    year = w.Dropdown(options=[2024, 2026], description="År")
    view = embed.chart(budget_chart(2024))
    rows = embed.download(budget_rows(2024), "budsjett-2024.csv")

    @embed.guard(show=view)
    def on_year(change):
        view.update(budget_chart(change.new))
        rows.update(budget_rows(change.new), f"budsjett-{change.new}.csv")

    year.observe(on_year, "value")
    w.VBox([year, view, rows])
"""

from __future__ import annotations

import contextlib
import functools
import html
import io
import logging
import os
import secrets
import sys
from typing import Any, Callable, Iterator

import anywidget
import traitlets

from . import norsk

log = logging.getLogger("workbench.dashboard")

ERROR_MESSAGE = ("Noe gikk galt, og denne delen av dashbordet kan ikke vises nå. "
                 "Feilen er logget på serveren (referanse {ref}).")
BOM = b"\xef\xbb\xbf"

VEGA_ACTIONS = {"export": True, "source": False, "compiled": False, "editor": False}
VEGA_I18N = {
    "CLICK_TO_VIEW_ACTIONS": "Vis valg",
    "COMPILED_ACTION": "Vis Vega",
    "EDITOR_ACTION": "Åpne i Vega-editoren",
    "PNG_ACTION": "Lagre som PNG",
    "SOURCE_ACTION": "Vis kilde",
    "SVG_ACTION": "Lagre som SVG",
}


# --- Server-side logging ---------------------------------------------------------------

def _server_stream():
    """A stream to the kernel's real stderr (the Voilà server's log), not to the page.

    ipykernel replaces sys.stderr with a stream to the browser and also captures fd 2;
    ``sys.stderr.fileno()`` then returns its copy of the original fd.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return sys.__stderr__
    return open(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace")


def _ensure_log_handler() -> None:
    if any(getattr(h, "_workbench", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(_server_stream())
    handler._workbench = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _where() -> str:
    # Voilà gives a kernel the request path (SCRIPT_NAME) when it starts it for a viewer;
    # a preheated kernel only knows its working directory.
    return os.environ.get("SCRIPT_NAME") or os.getcwd()


def report_error(exc: BaseException, what: str = "") -> str:
    """Log ``exc`` with its traceback on the server; return a short reference for it."""
    _ensure_log_handler()
    ref = secrets.token_hex(4)
    log.error("feil %s i %s%s: %s: %s", ref, _where(), f" ({what})" if what else "",
              type(exc).__name__, exc, exc_info=(type(exc), exc, exc.__traceback__))
    return ref


def error_text(ref: str) -> str:
    return ERROR_MESSAGE.format(ref=ref)


def error_html(ref: str) -> str:
    return (f'<div class="wb-feil" role="alert">{html.escape(error_text(ref))}</div>')


class _ErrorHTML:
    def __init__(self, ref: str):
        self.ref = ref

    def _repr_html_(self) -> str:
        return error_html(self.ref)

    def __repr__(self) -> str:
        return error_text(self.ref)


def show_error(ref: str, show: Any = None) -> None:
    """Show the Norwegian message in ``show`` (a chart, an HTML/Output widget) or the cell."""
    if show is not None and hasattr(show, "show_error"):
        show.show_error(error_text(ref))
        return
    if show is not None and hasattr(show, "clear_output"):  # ipywidgets.Output
        show.clear_output()
        show.append_display_data(_ErrorHTML(ref))
        return
    if show is not None and hasattr(show, "value") and isinstance(show.value, str):
        show.value = error_html(ref)  # ipywidgets.HTML / HTMLMath / Label
        return
    from IPython.display import display

    display(_ErrorHTML(ref))


@contextlib.contextmanager
def guarded(what: str = "", show: Any = None) -> Iterator[None]:
    """Run a block; on an exception, log it and show the short Norwegian message.

    ``show``: where the message goes (a :class:`VegaChart`, an ``ipywidgets.HTML`` or
    ``Output``); default: the current cell output. The exception does not propagate.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 — that is the point
        show_error(report_error(exc, what), show)


def guard(func: Callable | None = None, *, what: str | None = None, show: Any = None):
    """Decorator form of :func:`guarded`, for widget callbacks (``@embed.guard(show=view)``)."""
    def wrap(f: Callable) -> Callable:
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            with guarded(what or getattr(f, "__name__", ""), show):
                return f(*args, **kwargs)
        return wrapper
    return wrap(func) if func is not None else wrap


def _in_voila() -> bool:
    return "VOILA_BASE_URL" in os.environ or "VOILA_PREHEAT" in os.environ


def install_traceback_guard(force: bool = False) -> bool:
    """In a Voilà kernel, replace every traceback shown to the viewer by the message.

    IPython's ``showtraceback`` is what prints an uncaught exception — of a cell, of a
    widget callback (ipywidgets), or inside ``with output_widget:``. Here it logs the
    exception on the server and displays the Norwegian message instead. Does nothing
    outside Voilà (analysts in JupyterLab keep their tracebacks) unless ``force``.
    """
    if not (force or _in_voila()):
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "_workbench_guarded", False):
        return shell is not None

    def showtraceback(exc_tuple=None, *args, **kwargs):
        etype, value, tb = exc_tuple if exc_tuple else sys.exc_info()
        if value is None and etype is not None:
            value = etype()
        if value is not None and tb is not None and value.__traceback__ is None:
            value = value.with_traceback(tb)
        ref = report_error(value if value is not None else RuntimeError("ukjent feil"))
        show_error(ref)

    def showsyntaxerror(*args, **kwargs):
        showtraceback()

    shell.showtraceback = showtraceback
    shell.showsyntaxerror = showsyntaxerror
    shell._workbench_guarded = True
    return True


# --- Charts ----------------------------------------------------------------------------

_CHART_ESM = r"""
function loadVegaEmbed(model) {
  if (window.vegaEmbed) return Promise.resolve(window.vegaEmbed);
  if (!window.__workbenchVega) {
    const url = model.get("_bundle_url");
    const src = url
      ? new URL(url, document.baseURI).href
      : URL.createObjectURL(new Blob([model.get("_bundle_src")], { type: "text/javascript" }));
    window.__workbenchVega = import(src).then(() => window.vegaEmbed).catch((e) => {
      window.__workbenchVega = null;
      throw e;
    });
  }
  return window.__workbenchVega;
}

function message(text) {
  const box = document.createElement("div");
  box.className = "wb-feil";
  box.setAttribute("role", "alert");
  box.textContent = text;
  return box;
}

function render({ model, el }) {
  el.classList.add("wb-chart");
  const holder = document.createElement("div");
  holder.className = "wb-chart-holder";
  el.appendChild(holder);
  let current = null;
  let seq = 0;

  const done = (version) => {
    el.dataset.wbRendered = String(version);
    el.dispatchEvent(new CustomEvent("wb-rendered", { bubbles: true, detail: version }));
  };

  // A preheated kernel sends a static SVG of the first chart (drawn server-side by
  // vl-convert): shown at once, replaced by the interactive view when that is drawn.
  const snapshot = model.get("_snapshot");
  if (snapshot) {
    const still = document.createElement("div");
    still.className = "wb-chart-view wb-snapshot";
    still.innerHTML = snapshot;
    holder.appendChild(still);
  }

  async function draw() {
    const mine = ++seq;
    const version = model.get("version");
    const error = model.get("error");
    if (error) {
      if (current) { current.finalize(); current = null; }
      holder.replaceChildren(message(error));
      done(version);
      return;
    }
    const spec = model.get("spec");
    if (!spec || Object.keys(spec).length === 0) {
      if (current) { current.finalize(); current = null; }
      holder.replaceChildren();
      done(version);
      return;
    }
    let vegaEmbed;
    performance.mark("wb-chart-start");
    try {
      vegaEmbed = await loadVegaEmbed(model);
      performance.mark("wb-vega-loaded");
    } catch (e) {
      console.error("workbench: could not load the Vega bundle", e);
      holder.replaceChildren(message("Grafen kunne ikke lastes."));
      return;
    }
    if (mine !== seq) return;
    // Draw the new view off-screen, then swap: no flicker, no layout jump.
    const target = document.createElement("div");
    target.className = "wb-chart-view";
    if (holder.firstChild) target.style.cssText = "position:absolute;visibility:hidden;top:0;left:0";
    holder.appendChild(target);
    let next;
    try {
      next = await vegaEmbed(target, structuredClone(spec), structuredClone(model.get("_embed_options")));
    } catch (e) {
      console.error("workbench: Vega could not draw the chart", e);
      target.remove();
      if (mine === seq) holder.replaceChildren(message("Grafen kunne ikke tegnes."));
      return;
    }
    if (mine !== seq) { next.finalize(); target.remove(); return; }
    if (current) current.finalize();
    for (const child of [...holder.children]) if (child !== target) child.remove();
    target.style.cssText = "";
    current = next;
    performance.mark("wb-chart-drawn");
    done(version);
  }

  model.on("change:version", draw);
  draw();
  return () => {
    model.off("change:version", draw);
    if (current) current.finalize();
  };
}

export default { render };
"""

_CHART_CSS = """
.wb-chart { max-width: 100%; }
.wb-chart-holder { position: relative; }
.wb-chart .vega-embed { max-width: 100%; }
.wb-feil { border-left: 4px solid #D55E00; background: #fff4ec; color: #1f2933;
  padding: 0.6rem 0.9rem; margin: 0.5rem 0; font-size: 14px; max-width: 60rem; }
"""


def _bundle_location() -> tuple[str, str]:
    """(URL, "") under ``workbench serve``; ("", bundle source) anywhere else."""
    path = os.environ.get("WORKBENCH_VEGA_BUNDLE")
    if path:
        return os.environ.get("VOILA_BASE_URL", "/") + path, ""
    import vl_convert

    return "", _inline_bundle(vl_convert)


@functools.lru_cache(maxsize=1)
def _inline_bundle(vl_convert) -> str:
    return vl_convert.javascript_bundle()


SNAPSHOT_MAX = 300_000  # characters; a bigger SVG is not worth sending twice


def _snapshot_svg(spec: dict[str, Any]) -> str:
    """The chart as static SVG (vl-convert, Norwegian locale), or "" if that fails.

    Sent with the widget's first state so that the chart is visible as soon as the page
    shows its widgets, before Vega has loaded in the browser. It costs ~0.1 s in the
    kernel (0.6 s the first time), which a preheated kernel spends before the viewer
    arrives.
    """
    try:
        import vl_convert

        svg = vl_convert.vegalite_to_svg(spec, format_locale=norsk.D3_FORMAT_LOCALE,
                                         time_format_locale=norsk.D3_TIME_FORMAT_LOCALE)
    except Exception:  # noqa: BLE001 — the interactive view will show it anyway
        log.debug("no SVG snapshot", exc_info=True)
        return ""
    return svg if len(svg) <= SNAPSHOT_MAX else ""


def _embed_options(renderer: str) -> dict[str, Any]:
    return {
        "renderer": renderer,
        "actions": VEGA_ACTIONS,
        "i18n": VEGA_I18N,
        "formatLocale": norsk.D3_FORMAT_LOCALE,
        "timeFormatLocale": norsk.D3_TIME_FORMAT_LOCALE,
        "downloadFileName": "graf",
    }


def to_spec(chart: Any, validate: bool = True) -> dict[str, Any]:
    """A Vega-Lite spec (dict) from an Altair chart, a dict, or None (empty view)."""
    if chart is None:
        return {}
    if isinstance(chart, dict):
        return chart
    from . import charts  # noqa: F401 — registers and enables the house theme

    return chart.to_dict(validate=validate)


class VegaChart(anywidget.AnyWidget):
    """An interactive Vega-Lite view; ``update(chart)`` redraws it in place."""

    _esm = _CHART_ESM
    _css = _CHART_CSS
    spec = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)
    _embed_options = traitlets.Dict().tag(sync=True)
    _bundle_url = traitlets.Unicode("").tag(sync=True)
    _bundle_src = traitlets.Unicode("").tag(sync=True)
    _snapshot = traitlets.Unicode("").tag(sync=True)

    def __init__(self, chart: Any = None, *, renderer: str = "svg",
                 snapshot: bool | None = None, **kwargs):
        url, src = _bundle_location()
        spec = to_spec(chart)
        if snapshot is None:  # only where it is free: a preheated Voilà kernel
            snapshot = os.environ.get("VOILA_PREHEAT") == "True"
        super().__init__(spec=spec, _embed_options=_embed_options(renderer),
                         _bundle_url=url, _bundle_src=src, version=1,
                         _snapshot=_snapshot_svg(spec) if snapshot and spec else "",
                         **kwargs)

    def update(self, chart: Any) -> None:
        """Show ``chart`` (Altair chart or Vega-Lite dict) instead; clears an error."""
        spec = to_spec(chart)
        with self.hold_sync():
            self.spec = spec
            self.error = ""
            self._snapshot = ""
            self.version += 1

    def show_error(self, text: str) -> None:
        with self.hold_sync():
            self.error = text
            self.version += 1


def chart(chart: Any = None, *, renderer: str = "svg", **kwargs) -> VegaChart:
    """An interactive, offline view of an Altair chart (``renderer``: "svg" or "canvas")."""
    return VegaChart(chart, renderer=renderer, **kwargs)


# --- Downloads -------------------------------------------------------------------------

_DOWNLOAD_ESM = r"""
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "wb-download jupyter-widgets jupyter-button widget-button";
  const sync = () => {
    button.textContent = model.get("text");
    button.title = model.get("filename");
    button.disabled = model.get("rows") === 0;
  };
  sync();
  model.on("change:text", sync);
  model.on("change:rows", sync);
  model.on("change:filename", sync);
  button.addEventListener("click", () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    model.send({ event: "download" });
  });
  const onMessage = (msg, buffers) => {
    if (!msg || msg.event !== "csv") return;
    button.removeAttribute("aria-busy");
    sync();
    if (msg.error) {
      const box = document.createElement("div");
      box.className = "wb-feil";
      box.setAttribute("role", "alert");
      box.textContent = msg.error;
      el.appendChild(box);
      return;
    }
    const blob = new Blob(buffers, { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = msg.filename;
    link.style.display = "none";
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 60000);
  };
  model.on("msg:custom", onMessage);
  el.appendChild(button);
  return () => {
    model.off("msg:custom", onMessage);
    model.off("change:text", sync);
    model.off("change:rows", sync);
    model.off("change:filename", sync);
  };
}
export default { render };
"""


def csv_bytes(df, *, separator: str = ";", decimal_comma: bool = True) -> bytes:
    """``df`` as CSV bytes: UTF-8 with BOM, ``;`` between fields, ``3,5`` for decimals.

    That is what Excel with Norwegian settings opens as columns, with æøå intact, and
    what ``workbench load`` reads back.
    """
    text = df.write_csv(separator=separator, decimal_comma=decimal_comma)
    return BOM + text.encode("utf-8")


def _rows_text(label: str, n: int) -> str:
    return f"{label} ({norsk.number(n)} {'rad' if n == 1 else 'rader'})"


class Download(anywidget.AnyWidget):
    """A «Last ned data» button for the rows of a polars DataFrame (see :func:`download`)."""

    _esm = _DOWNLOAD_ESM
    _css = """
.wb-download.jupyter-button { width: auto; max-width: none; padding: 0 1em; }
.wb-feil { border-left: 4px solid #D55E00; background: #fff4ec; color: #1f2933;
  padding: 0.6rem 0.9rem; margin: 0.5rem 0; font-size: 14px; max-width: 60rem; }
"""
    text = traitlets.Unicode("").tag(sync=True)
    filename = traitlets.Unicode("data.csv").tag(sync=True)
    rows = traitlets.Int(0).tag(sync=True)

    def __init__(self, df, filename: str = "data.csv", label: str = "Last ned data",
                 *, separator: str = ";", decimal_comma: bool = True, **kwargs):
        self.label = label
        self._df = df
        self._csv_options = {"separator": separator, "decimal_comma": decimal_comma}
        super().__init__(filename=filename, rows=df.height,
                         text=_rows_text(label, df.height), **kwargs)
        self.on_msg(self._on_message)

    @property
    def data(self):
        return self._df

    def update(self, df, filename: str | None = None) -> None:
        """Offer ``df`` instead (e.g. after a filter changed)."""
        self._df = df
        with self.hold_sync():
            if filename:
                self.filename = filename
            self.rows = df.height
            self.text = _rows_text(self.label, df.height)

    def _on_message(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or content.get("event") != "download":
            return
        try:
            payload = csv_bytes(self._df, **self._csv_options)
        except Exception as exc:  # noqa: BLE001
            ref = report_error(exc, f"nedlasting av {self.filename}")
            self.send({"event": "csv", "error": error_text(ref)})
            return
        self.send({"event": "csv", "filename": self.filename}, buffers=[payload])


def download(df, filename: str = "data.csv", label: str = "Last ned data", **kwargs
             ) -> Download:
    """A button that downloads exactly the rows of ``df`` as CSV (see :func:`csv_bytes`)."""
    return Download(df, filename, label, **kwargs)


# --- Landing page --------------------------------------------------------------------

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
            f'<a href="{prefix}{quote(nb.name)}" target="_self" data-notebook="{html.escape(nb.name)}"'
            f' style="font-size:1.15rem;color:#0072B2;text-decoration:none">'
            f'{html.escape(title)}</a>{text}</li>')
    return HTML('<ul class="wb-dashboards" style="list-style:none;padding:0;max-width:48rem">'
                f'{"".join(items)}</ul>')


install_traceback_guard()

__all__ = ["chart", "VegaChart", "download", "Download", "csv_bytes", "guarded", "guard",
           "dashboard_links",
           "report_error", "show_error", "error_text", "install_traceback_guard",
           "ERROR_MESSAGE"]
