"""The Voilà application ``workbench serve`` runs: Voilà, with malformed URLs refused.

A request whose path is malformed — an invalid percent escape (``%zz``, ``%%32%65``),
bytes that are not UTF-8 once unescaped (``%c0%ae``, an over-long ``.``), NUL or other
control characters, a backslash — is the client's error: it gets 400 before any of
Voilà's handlers sees it. A template path that is not ``<template>/static/<file>``
gets 404. Without this, several of Voilà 0.5.13's handlers answer such paths with 500.

Run as ``python -m workbench.serving.app`` with Voilà's own options; the configuration
is Voilà's (serve/voila.py), since this class is a Voilà.
"""

from __future__ import annotations

import inspect
import posixpath
import re
from urllib.parse import unquote_to_bytes

from tornado import web
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def malformed(raw_path: str) -> str | None:
    """Why the raw (still percent-encoded) request path is malformed, or None."""
    if _BAD_ESCAPE.search(raw_path):
        return "invalid percent escape"
    try:
        text = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 once unescaped"
    if _CONTROL.search(text):
        return "control character or backslash"
    return None


class _RefuseMalformed:
    """Mixed into every handler: a malformed path is answered 400 before routing work."""

    async def prepare(self, *args, **kwargs):
        why = malformed(self.request.path)
        if why:
            raise web.HTTPError(400, f"malformed path: {why}")
        result = super().prepare(*args, **kwargs)
        if inspect.isawaitable(result):
            await result


class _TemplateStatic(TemplateStaticFileHandler):
    """Voilà's template static files; a path that is not <template>/static/<file> is 404.

    Voilà's handler splits the path and asserts on its parts, so such a path raised
    ValueError or AssertionError (500).
    """

    def parse_url_path(self, path):
        parts = path.split("/", 2)
        normal = posixpath.normpath(path).split("/", 2)
        if (len(parts) < 3 or parts[1] != "static" or not parts[0] or not parts[2]
                or normal[:2] != parts[:2] or len(normal) < 3 or ".." in normal[2].split("/")):
            raise web.HTTPError(404)
        return super().parse_url_path(path)


def _guarded(handler: type) -> type:
    if handler is TemplateStaticFileHandler:
        handler = _TemplateStatic
    return type(f"Guarded{handler.__name__}", (_RefuseMalformed, handler), {})


class WorkbenchVoila(Voila):
    """Voilà whose handlers refuse malformed paths with 400 (see the module docstring)."""

    def init_handlers(self) -> list:
        out = []
        for spec in super().init_handlers():
            pattern, handler, *rest = spec
            out.append((pattern, _guarded(handler), *rest))
        return out


main = WorkbenchVoila.launch_instance

if __name__ == "__main__":
    main()
