"""Errors in a dashboard: a short Norwegian message for the viewer, the traceback in the log.

:func:`guarded` / :func:`guard` turn an exception into that message and a full
traceback in the server log. :func:`install_traceback_guard` (called by each dashboard
notebook, first thing) makes every other traceback, e.g. from a widget callback inside an
``ipywidgets.Output``, show the message instead; it does nothing outside Voilà, so
analysts in JupyterLab keep their tracebacks.
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
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("workbench.dashboard")

ERROR_MESSAGE = ("Noe gikk galt, og denne delen av dashbordet kan ikke vises nå. "
                 "Feilen er logget på serveren (referanse {ref}).")


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
