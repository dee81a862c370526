"""A light viewer: what a dashboard page does, over HTTP and the kernel websocket.

Used by ``benchmarks/load.py`` and the serving tests to put many viewers on a server
without a browser each (twelve headless Chromium pages on 2 cores spend most of the
time rendering Voilà's front end, not waiting for the server). The sequence is the one
Chromium performs, captured from the page (docs/serving.md, «Capacity»):

1. ``GET /voila/render/<dashboard>`` — the page; its kernel id is in
   ``<script id="jupyter-config-data">`` (sets the ``username-…`` cookie);
2. ``GET /voila/tree/`` — the ``_xsrf`` cookie (the workbench template does this);
3. ``GET /api/kernels/<id>`` — the widget manager's kernel model;
4. websocket ``/api/kernels/<id>/channels`` with the ``v1.kernel.websocket.jupyter.org``
   subprotocol (binary frames);
5. ``kernel_info_request`` → ``kernel_info_reply``;
6. ``comm_open`` (target ``jupyter.widget.control``) + ``comm_msg {method:
   request_states}`` → ``comm_msg {method: update_states}`` with every widget's state:
   **the widgets are live** (a browser only has to draw them now); then ``comm_close``.

A viewer then stays, and leaves ``polite`` (closes the socket and sends the shutdown
POST of the page's ``beforeunload``), ``close`` (closes the socket only: a tab whose
beacon was lost) or ``vanish`` (drops the TCP connection with nothing sent: a killed
browser, a laptop lid).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from websockets.asyncio.client import ClientConnection, connect

SUBPROTOCOL = "v1.kernel.websocket.jupyter.org"
CONFIG = re.compile(r'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})'
                    r"\s*</script>", re.S)


def encode(channel: str, header: dict, parent: dict, metadata: dict, content: dict) -> bytes:
    """A message in the v1 kernel websocket protocol, as the page's front end sends it."""
    return serialize_msg_to_ws_v1([json.dumps(p).encode()
                                   for p in (header, parent, metadata, content)], channel)


def decode(frame: bytes, content: bool = True) -> dict:
    """A v1 frame as a message; ``content=False`` leaves the content unparsed (bytes)."""
    channel, parts = deserialize_msg_from_ws_v1(frame)
    header, parent, metadata = (json.loads(p) if p else {} for p in parts[:3])
    body = parts[3] if len(parts) > 3 else b""
    return {"channel": channel, "header": header, "parent_header": parent,
            "metadata": metadata,
            "content": (json.loads(body) if body else {}) if content else body}


def _header(msg_type: str, session: str) -> dict:
    return {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session,
            "username": "", "version": "5.3",
            "date": datetime.now(UTC).isoformat().replace("+00:00", "Z")}


@dataclass
class Viewer:
    """One viewer of one dashboard (see the module docstring). Times in seconds from
    the start of :meth:`open`; ``error`` says what went wrong, if anything."""

    base_url: str
    notebook: str
    timeout: float = 120.0
    status: int | None = None
    retry_after: str | None = None
    kernel_id: str | None = None
    states: int = 0
    t_page: float | None = None
    t_socket: float | None = None
    t_live: float | None = None
    error: str | None = None
    shutdown_status: int | None = None
    page: str = field(default="", repr=False)
    _http: httpx.AsyncClient | None = field(default=None, repr=False)
    _ws: ClientConnection | None = field(default=None, repr=False)
    _session: str = field(default_factory=lambda: str(uuid.uuid4()), repr=False)

    @property
    def live(self) -> bool:
        return self.t_live is not None

    def summary(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("notebook", "status", "retry_after",
                                              "kernel_id", "states", "t_page", "t_socket",
                                              "t_live", "error", "shutdown_status")}

    async def open(self) -> Viewer:
        """Load the page and bring its widgets to life (never raises)."""
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        t0 = time.monotonic()
        # No TLS context for plain http (building one costs the load generator ~20 ms
        # of CPU per viewer, which the server's processes would share the cores with).
        self._http = httpx.AsyncClient(base_url=base, timeout=self.timeout,
                                       verify=base.startswith("https"))
        try:
            r = await self._http.get(f"voila/render/{self.notebook}")
            self.status, self.t_page = r.status_code, time.monotonic() - t0
            self.retry_after = r.headers.get("retry-after")
            self.page = r.text
            if r.status_code != 200:
                self.error = f"HTTP {r.status_code}"
                return self
            m = CONFIG.search(r.text)
            if not m:
                self.error = "no kernel id in the page"
                return self
            self.kernel_id = json.loads(m.group(1))["kernelId"]
            await self._http.get("voila/tree/")
            model = await self._http.get(f"api/kernels/{self.kernel_id}")
            if model.status_code != 200:
                self.error = f"kernel model: HTTP {model.status_code}"
                return self
            await self._connect(base)
            self.t_socket = time.monotonic() - t0
            await self._widgets_live()
            self.t_live = time.monotonic() - t0
        except Exception as e:  # noqa: BLE001 — a failed visit is a result, not a crash
            self.error = f"{type(e).__name__}: {e}"[:300]
        return self

    async def _connect(self, base: str) -> None:
        host = httpx.URL(base).netloc.decode()
        scheme = "wss" if base.startswith("https") else "ws"
        cookie = "; ".join(f"{k}={v}" for k, v in self._http.cookies.items())
        url = (f"{scheme}://{host}{httpx.URL(base).path}api/kernels/{self.kernel_id}"
               f"/channels?session_id={self._session}")
        self._ws = await connect(url, subprotocols=[SUBPROTOCOL],
                                 origin=f"{base.split(':', 1)[0]}://{host}",
                                 additional_headers={"Cookie": cookie}, max_size=None,
                                 compression=None, open_timeout=self.timeout)

    async def _send(self, msg_type: str, content: dict, metadata: dict | None = None) -> None:
        await self._ws.send(encode("shell", _header(msg_type, self._session), {},
                                   metadata or {}, content))

    async def _until(self, wanted) -> dict:
        """The next message for which ``wanted(msg_type, raw content)`` is true; its
        content parsed (the content of other messages is never parsed)."""
        deadline = time.monotonic() + self.timeout
        while True:
            frame = await asyncio.wait_for(self._ws.recv(), deadline - time.monotonic())
            if isinstance(frame, bytes):
                msg = decode(frame, content=False)
                if wanted(msg["header"].get("msg_type"), msg["content"]):
                    msg["content"] = json.loads(msg["content"] or b"{}")
                    return msg

    async def _widgets_live(self) -> None:
        await self._send("kernel_info_request", {})
        await self._until(lambda kind, _: kind == "kernel_info_reply")
        comm = str(uuid.uuid4())
        await self._send("comm_open", {"comm_id": comm, "target_name":
                                       "jupyter.widget.control", "data": {}},
                         {"version": "1.0.0"})
        await self._send("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}})
        # The states; or, on a page without widgets (no widget manager in the kernel),
        # the kernel closes the comm.
        marker = comm.encode()
        msg = await self._until(
            lambda kind, raw: (kind == "comm_msg" and b"update_states" in raw)
            or (kind == "comm_close" and marker in raw))
        self.states = len(msg["content"].get("data", {}).get("states", {}))
        if msg["header"]["msg_type"] == "comm_msg":
            await self._send("comm_close", {"comm_id": comm, "data": {}})

    async def socket_closed(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the server to close the kernel websocket."""
        if self._ws is None:
            return True
        try:
            await asyncio.wait_for(self._ws.wait_closed(), timeout)
        except TimeoutError:
            return False
        return True

    async def leave(self, how: str = "polite") -> None:
        """``polite``, ``close`` or ``vanish`` (see the module docstring)."""
        try:
            if self._ws is not None:
                if how == "vanish":
                    self._ws.transport.abort()
                else:
                    await self._ws.close()
            if how == "polite" and self.kernel_id and self._http is not None:
                xsrf = self._http.cookies.get("_xsrf", "")
                r = await self._http.post(f"voila/api/shutdown/{self.kernel_id}",
                                          data={"_xsrf": xsrf}, headers={"X-XSRFToken": xsrf})
                self.shutdown_status = r.status_code
        except Exception as e:  # noqa: BLE001 — a failed goodbye is recorded
            self.error = self.error or f"leave: {type(e).__name__}: {e}"[:300]
        finally:
            if self._http is not None:
                await self._http.aclose()
                self._http = None


async def visit(base_url: str, notebook: str, *, hold: float = 0.0, leave: str = "polite",
                delay: float = 0.0, timeout: float = 120.0) -> Viewer:
    """Wait ``delay`` s, open the dashboard, stay ``hold`` s, leave ``leave``-ly."""
    await asyncio.sleep(delay)
    v = await Viewer(base_url, notebook, timeout=timeout).open()
    await asyncio.sleep(hold)
    await v.leave(leave)
    return v


class Loop:
    """An asyncio loop in a thread of its own, for driving viewers from synchronous code
    (a test that also drives Playwright's sync API, which owns the main thread's loop).

        with viewer.Loop() as loop:
            v = loop.run(viewer.Viewer(url, "Budsjett.ipynb").open())
            ...
            loop.run(v.leave("polite"))
    """

    def __init__(self):
        import threading

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro, timeout: float | None = None):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> Loop:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
