"""The Voilà application ``workbench serve`` runs: Voilà, hardened and made to scale.

* **Malformed URLs are refused.** A request whose path is malformed — an invalid percent
  escape (``%zz``, ``%%32%65``), bytes that are not UTF-8 once unescaped (``%c0%ae``, an
  over-long ``.``), NUL or other control characters, a backslash — is the client's
  error: it gets 400 before any of Voilà's handlers sees it. A template path that is not
  ``<template>/static/<file>`` gets 404. Without this, several of Voilà 0.5.13's
  handlers answer such paths with 500.
* **A busy server says so.** A 503 (the kernel cap is reached) carries ``Retry-After``
  and ``Cache-Control: no-store``, and the template's ``503.html`` shows a Norwegian
  page that counts down and retries by itself. (Tornado's ``send_error`` clears the
  headers before ``write_error``, so they are set there.)
* **``/healthz``** reports the kernel counts for a load balancer (:mod:`.health`).
* **Voilà's kernel pool is fixed**: the pool class Voilà generates around
  :class:`.kernels.CappedKernelManager` gets :class:`.kernels.PoolFixes` on top.

Run as ``python -m workbench.serving.app`` with Voilà's own options; the configuration
is Voilà's (serve/voila.py), since this class is a Voilà.
"""

from __future__ import annotations

import inspect
import posixpath
import random
import re
from urllib.parse import unquote_to_bytes

import voila.app
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Integer
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler

from .health import HealthHandler
from .kernels import pool_fixes

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


class _BusyPage:
    """Mixed into every handler: a 503 tells the client when to come back."""

    def write_error(self, status_code, **kwargs):
        if status_code == 503:
            base = self.settings.get("workbench_retry_after", 10)
            self._retry_after = base + random.randint(0, max(base // 2, 1))  # spread out
            self.set_header("Retry-After", str(self._retry_after))
            self.set_header("Cache-Control", "no-store")
        return super().write_error(status_code, **kwargs)

    @property
    def template_namespace(self):
        ns = dict(super().template_namespace)
        ns["retry_after"] = getattr(self, "_retry_after",
                                    self.settings.get("workbench_retry_after", 10))
        return ns


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
    return type(f"Guarded{handler.__name__}", (_RefuseMalformed, _BusyPage, handler), {})


class WorkbenchVoila(Voila):
    """Voilà with the changes listed in the module docstring."""

    busy_retry_after = Integer(
        10, config=True,
        help="Seconds a viewer who got the busy page (503) waits before it retries "
             "(plus up to half of that at random, so that retries spread out).")

    def init_settings(self) -> dict:
        # Voilà builds its pool class around ours with voila_kernel_manager_factory
        # (voila/app.py); our fixes must sit above that class, so wrap the factory.
        factory = voila.app.voila_kernel_manager_factory
        voila.app.voila_kernel_manager_factory = pool_fixes(factory)
        try:
            settings = super().init_settings()
        finally:
            voila.app.voila_kernel_manager_factory = factory
        settings["workbench_retry_after"] = self.busy_retry_after
        return settings

    def init_handlers(self) -> list:
        out = [(url_path_join(self.server_url, "/healthz"), HealthHandler,
                {"kernel_manager": self.kernel_manager})]
        for spec in super().init_handlers():
            pattern, handler, *rest = spec
            out.append((pattern, _guarded(handler), *rest))
        return out


main = WorkbenchVoila.launch_instance

if __name__ == "__main__":
    main()
