"""The kernel manager Voilà uses under ``workbench serve`` (set in serve/voila.py)."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Float, Integer


class CappedKernelManager(AsyncMappingKernelManager):
    """A kernel manager that runs at most ``max_kernels`` kernels at once.

    Preheated (pooled) kernels count. A viewer who needs a new kernel beyond the cap
    gets HTTP 503 (the template's Norwegian "prøv igjen om litt" page). A pool refill
    at the cap waits up to ``preheat_wait`` seconds for a kernel to be shut down or
    culled, then gives up with the same 503 for the viewer it was meant for; the
    pool is filled again by the next viewer who gets a kernel.
    """

    max_kernels = Integer(16, config=True,
                          help="Most kernels at once, preheated ones included.")
    preheat_wait = Float(10.0, config=True,
                         help="Seconds a pool refill waits for a free slot.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._starting = 0

    def _full(self) -> bool:
        return len(self) + self._starting >= self.max_kernels

    async def start_kernel(self, *args, **kwargs):
        env = kwargs.get("env") or {}
        preheat = env.get("VOILA_PREHEAT") == "True"
        if kwargs.get("kernel_id") is None and self._full():
            deadline = asyncio.get_running_loop().time() + (
                self.preheat_wait if preheat else 0)
            while self._full():
                if asyncio.get_running_loop().time() >= deadline:
                    self.log.warning("Kernel cap reached (%d kernels); refusing a new "
                                     "one", self.max_kernels)
                    raise web.HTTPError(503, "too many kernels")
                await asyncio.sleep(0.5)
        self._starting += 1
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1
        if not preheat:
            self._rearm_pool(env.get("SCRIPT_NAME", ""))
        return kernel_id

    def _rearm_pool(self, script_name: str) -> None:
        # Voilà refills a pool only when a pooled kernel is taken; after a refill
        # gave up at the cap the pool is empty, so refill it here.
        pools = getattr(self, "_pools", None)
        marker = "/voila/render/"
        if not pools or marker not in script_name or not hasattr(self, "fill_if_needed"):
            return
        name = unquote(script_name.split(marker, 1)[1])
        if name in pools and not pools[name]:
            self.fill_if_needed(notebook_name=name)
