"""The kernel manager Voilà uses under ``workbench serve`` (set in serve/voila.py).

Voilà gives every page its own kernel. :class:`CappedKernelManager` bounds how many run at
once and gives back the kernels whose viewer is gone:

* **never connected** — a page was rendered (a plain GET, a link-preview bot, a viewer
  who closed the tab before the page loaded) but no websocket was ever opened to its
  kernel: shut down ``unconnected_timeout`` seconds after the page got it, or after the
  kernel's last output if it ran later;
* **disconnected** — the page's websocket closed (tab killed, laptop lid shut and the
  ping timed out, network gone) and did not come back: shut down
  ``disconnected_timeout`` seconds after the close;
* everything else stays: pooled (preheated) kernels are not reclaimed, a kernel that is
  busy is never cut, and a connected viewer keeps the kernel until jupyter_server's idle
  culler (``cull_idle_timeout``) takes it.

Viewers come before warm kernels: a viewer who finds the cap reached and no warm kernel
of their dashboard takes the slot of another dashboard's ready warm kernel (the fullest
pool gives one up), so the busy page comes only when every kernel is a viewer's or a
warm one still starting.

A scan every ``reclaim_interval`` seconds does this and refills the preheated pools that
are short (after a refill was refused at the cap). jupyter_server tells the manager about
websockets through ``notify_connect`` / ``notify_disconnect``; Voilà's pool class tells
it nothing, so :class:`PoolFixes` (mixed in above Voilà's generated pool class by
:func:`pool_fixes`, see :mod:`.app`) records when a pooled kernel is handed to a page and
fixes two pool bugs of Voilà 0.5.13 (docs/serving.md, «Kernels come back»).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import time
from urllib.parse import unquote

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from tornado.ioloop import PeriodicCallback
from traitlets import Float, Integer


class CappedKernelManager(AsyncMappingKernelManager):
    """At most ``max_kernels`` kernels at once; kernels of vanished viewers come back.

    Preheated (pooled) kernels count, but give their slot up to a viewer (one warm
    kernel of the fullest pool is shut down). A viewer who needs a new kernel beyond the
    cap when no warm kernel is left gets HTTP 503 (the template's Norwegian busy page,
    which retries by itself). A pool refill at the cap waits up to ``preheat_wait``
    seconds for a kernel to be shut down, then gives up; the reclaim scan refills the
    pool when there is room again.
    """

    max_kernels = Integer(16, config=True,
                          help="Most kernels at once, preheated ones included.")
    preheat_wait = Float(10.0, config=True,
                         help="Seconds a pool refill waits for a free slot.")
    unconnected_timeout = Float(
        20.0, config=True,
        help="Shut down a page's kernel when no websocket was ever opened to it this "
             "many seconds after the page got it (or after its last output).")
    disconnected_timeout = Float(
        45.0, config=True,
        help="Shut down a kernel this many seconds after its last websocket closed, "
             "unless one came back.")
    reclaim_interval = Float(2.0, config=True,
                             help="Seconds between reclaim scans (0: no reclaim).")
    pool_concurrency = Integer(
        2, config=True,
        help="Pool kernels started and rendered at once. Rendering a notebook's page "
             "runs in Voila's own process: twenty at once kept it from answering "
             "viewers and probes for seconds.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._starting = 0
        self._ever_connected: set[str] = set()
        self._disconnected_at: dict[str, float] = {}
        self._unpooled_since: dict[str, float] = {}
        self._reclaiming: set[str] = set()
        self._reclaimer: PeriodicCallback | None = None
        self._background: set[asyncio.Task] = set()
        self.reclaimed = {"never_connected": 0, "disconnected": 0}
        self.refused = 0  # viewers who got the busy page
        self.refused_pool = 0  # pool refills that gave up at the cap
        self.evicted = 0
        self._warmed = False  # every pool was full once (readiness waits for it)
        self._pool_slots: asyncio.Semaphore | None = None

    # --- the cap ---------------------------------------------------------------------

    def free_slots(self) -> int:
        return self.max_kernels - len(self) - self._starting

    def _full(self) -> bool:
        return self.free_slots() <= 0

    async def start_kernel(self, *args, **kwargs):
        self._ensure_reclaimer()
        env = kwargs.get("env") or {}
        preheat = env.get("VOILA_PREHEAT") == "True"
        # A viewer's slot is reserved (counted in _starting) before anything is awaited,
        # so that a pool refill waiting at the cap cannot take it first.
        reserved = False
        if kwargs.get("kernel_id") is None and self._full():
            reserved = not preheat and await self._evict_warm_kernel(
                exclude=self._notebook_of(env.get("SCRIPT_NAME", "")))
            if not reserved:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + (self.preheat_wait if preheat else 0)
                while self._full():
                    if loop.time() >= deadline:
                        if preheat:
                            self.refused_pool += 1
                        else:
                            self.refused += 1
                        self.log.warning("Kernel cap reached (%d kernels); refusing a "
                                         "new one%s", self.max_kernels,
                                         " for the pool" * preheat)
                        raise web.HTTPError(503, "too many kernels")
                    await asyncio.sleep(0.25)
        if not reserved:
            self._starting += 1
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1
        self.add_restart_callback(kernel_id, functools.partial(self._kernel_died, kernel_id),
                                  "dead")
        if not preheat:  # a viewer's own kernel: it is "handed out" from the start
            self._unpooled_since[kernel_id] = time.monotonic()
            self._rearm_pool(env.get("SCRIPT_NAME", ""))
        return kernel_id

    async def _evict_warm_kernel(self, exclude: str | None = None) -> bool:
        """Shut down one ready warm kernel of another dashboard than ``exclude`` (the
        viewer's), from the pool with the most ready ones; it is refilled when there is
        room again. Warm kernels still starting or rendering cannot give up their slot.
        """
        best, ready_count = None, 0
        for name, pool in (getattr(self, "_pools", None) or {}).items():
            if name == exclude:
                continue
            ready = [t for t in pool if self._ready(t)]
            if len(ready) > ready_count:
                best, ready_count = (name, ready[-1]), len(ready)
        if best is None:
            return False
        name, task = best
        kernel_id = task.result().get("kernel_id")
        with contextlib.suppress(ValueError):
            self._pools[name].remove(task)  # no page can take it while it shuts down
        self._starting += 1  # the viewer's slot, held from now on
        try:
            await self.shutdown_kernel(kernel_id, now=True)
        except Exception:
            self._starting -= 1
            self.log.exception("Could not shut warm kernel %s down", kernel_id)
            return False
        self.evicted += 1
        self.log.info("Kernel cap reached: a warm kernel of %s gave its slot to a viewer",
                      name)
        return True

    @staticmethod
    def _notebook_of(script_name: str) -> str | None:
        """The notebook (as Voilà names its pool) a page's SCRIPT_NAME renders."""
        marker = "/voila/render/"
        return unquote(script_name.split(marker, 1)[1]) if marker in script_name else None

    def _rearm_pool(self, script_name: str) -> None:
        # Voilà refills a pool only when a pooled kernel is taken; after a refill
        # gave up at the cap the pool is short, so refill it here.
        name = self._notebook_of(script_name)
        if name is not None:
            self.refill_pools(only=name)

    # --- pools (Voilà's VoilaKernelManager keeps them in self._pools) ------------------

    def _pool_tasks(self):
        for name, pool in (getattr(self, "_pools", None) or {}).items():
            for task in pool:
                yield name, pool, task

    @staticmethod
    def _ready(task) -> bool:
        return task.done() and not task.cancelled() and task.exception() is None

    def pooled_kernel_ids(self) -> set[str]:
        return {t.result().get("kernel_id") for _, _, t in self._pool_tasks()
                if self._ready(t)}

    def drop_failed_pool_tasks(self) -> int:
        """Remove pool entries whose kernel could not be started (refused at the cap).

        Voilà's ``shutdown_kernel`` calls ``result()`` on every finished pool entry, so a
        failed one made every later shutdown — the beacon a closing tab sends — fail
        with that entry's 503, and the viewer's kernel stayed.
        """
        failed = [(pool, t) for _, pool, t in self._pool_tasks()
                  if t.done() and not self._ready(t)]
        for pool, task in failed:
            with contextlib.suppress(ValueError):
                pool.remove(task)
        return len(failed)

    def refill_pools(self, only: str | None = None) -> None:
        """Start pool kernels where a pool is short, as far as the cap allows."""
        pools = getattr(self, "_pools", None)
        if not pools or not hasattr(self, "fill_if_needed"):
            return
        self.drop_failed_pool_tasks()
        budget = self.free_slots()  # shared by the pools refilled in this call
        for name, pool in list(pools.items()):
            if only is not None and name != only:
                continue
            need = self.pool_size_for(name) - len(pool)
            if 0 < need <= budget:
                self.log.info("Refilling the kernel pool of %s (%d short)", name, need)
                self.fill_if_needed(delay=0, notebook_name=name)
                budget -= need

    def pool_size_for(self, name: str) -> int:
        config = getattr(self, "kernel_pools_config", None) or {}
        default = config.get("default", {})
        return int(config.get(name, default).get("pool_size", default.get("pool_size", 0)))

    def _kernel_died(self, kernel_id: str) -> None:
        """A kernel process died (out of memory, killed). serve/voila.py sets
        ``KernelRestarter.restart_limit = 0``: a restarted kernel would be a bare one, its
        page's widgets gone, and a pooled one would be handed to a viewer as a blank page.
        jupyter_server has already dropped it from the map; here its pool entry goes too
        (no viewer gets it), and its page's websockets are closed, so the page tells the
        viewer (kernel-watch.js). The reclaim scan refills the pool."""
        self.log.warning("Kernel %s died; its page cannot work any more", kernel_id)
        for pool in (getattr(self, "_pools", None) or {}).values():
            for task in [t for t in pool if self._ready(t)
                         and t.result().get("kernel_id") == kernel_id]:
                pool.remove(task)
        for value in (getattr(self, "notebook_data", None) or {}).values():
            if kernel_id in value.get("kernel_ids", ()):
                value["kernel_ids"].remove(kernel_id)
        close_websockets(kernel_id)

        async def shut_down_if_still_there():  # jupyter_server's own callback may not
            if kernel_id in self._kernels:      # have run yet
                await self.shutdown_kernel(kernel_id, now=True)

        self._in_background(shut_down_if_still_there(), kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        try:
            return await super().shutdown_kernel(kernel_id, *args, **kwargs)
        finally:
            close_websockets(kernel_id)

    # --- connections (called by jupyter_server's websocket connection) ------------------

    def notify_connect(self, kernel_id):
        super().notify_connect(kernel_id)
        self._ever_connected.add(kernel_id)
        self._disconnected_at.pop(kernel_id, None)

    def notify_disconnect(self, kernel_id):
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id, 0) <= 0:
            self._disconnected_at[kernel_id] = time.monotonic()

    def mark_handed_out(self, kernel_id: str) -> None:
        """A pooled kernel was given to a page now (called by :class:`PoolFixes`)."""
        self._unpooled_since[kernel_id] = time.monotonic()

    # --- the reclaim scan --------------------------------------------------------------

    def _ensure_reclaimer(self) -> None:
        if self._reclaimer is not None or self.reclaim_interval <= 0:
            return
        self._reclaimer = PeriodicCallback(self.reclaim, 1000 * self.reclaim_interval)
        self._reclaimer.start()
        self.log.info("Reclaiming kernels never connected for %g s or disconnected for "
                      "%g s (scan every %g s)", self.unconnected_timeout,
                      self.disconnected_timeout, self.reclaim_interval)

    def reclaim(self) -> None:
        """One scan: shut down the kernels of vanished viewers, refill short pools."""
        now = time.monotonic()
        live = set(self._kernels)
        for table in (self._unpooled_since, self._disconnected_at):
            for kid in [k for k in table if k not in live]:
                del table[kid]
        self._ever_connected &= live
        pooled = self.pooled_kernel_ids()
        for kid in live - pooled - self._reclaiming:
            since = self._unpooled_since.setdefault(kid, now)
            if self._kernel_connections.get(kid, 0) > 0:
                continue
            kernel = self._kernels[kid]
            if getattr(kernel, "execution_state", None) in ("busy", "starting"):
                continue  # a page in the making, or a kernel not up yet
            if kid in self._ever_connected:
                gone = now - self._disconnected_at.get(kid, now)
                if gone >= self.disconnected_timeout:
                    self._reclaim(kid, "disconnected", gone)
                continue
            idle = now - since
            last = getattr(kernel, "last_activity", None)
            if last is not None:
                idle = min(idle, (dt.datetime.now(dt.UTC) - last).total_seconds())
            if idle >= self.unconnected_timeout:
                self._reclaim(kid, "never_connected", idle)
        self.refill_pools()

    def _reclaim(self, kernel_id: str, why: str, seconds: float) -> None:
        self._reclaiming.add(kernel_id)
        self.reclaimed[why] += 1
        self.log.info("Reclaiming kernel %s: %s for %.0f s", kernel_id,
                      why.replace("_", " "), seconds)

        self._in_background(self.shutdown_kernel(kernel_id), kernel_id,
                            then=lambda: self._reclaiming.discard(kernel_id))

    def _in_background(self, shutdown, kernel_id: str, then=None) -> None:
        async def run():
            try:
                await shutdown
            except Exception:  # logged; the next scan tries again
                self.log.exception("Could not shut kernel %s down", kernel_id)
            finally:
                if then:
                    then()

        task = asyncio.ensure_future(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- what /healthz reports ---------------------------------------------------------

    def counts(self) -> dict:
        live = set(self._kernels)
        pooled = self.pooled_kernel_ids() & live
        pending = sum(1 for _, _, t in self._pool_tasks() if not t.done())
        connected = sum(1 for k in live if self._kernel_connections.get(k, 0) > 0)
        pool_size = sum(self.pool_size_for(n) for n in getattr(self, "_pools", {}))
        self._warmed = self._warmed or len(pooled) >= pool_size
        return {
            "kernels": len(live),
            "starting": self._starting,
            "pooled": len(pooled),
            "pool_pending": pending,
            "pool_size": pool_size,
            "warmed": self._warmed,
            "viewers": connected,
            "viewers_unconnected": len(live - pooled) - connected,
            "max_kernels": self.max_kernels,
            "free": max(self.free_slots(), 0),
            "reclaimed": dict(self.reclaimed),
            "refused": self.refused,
            "refused_pool": self.refused_pool,
            "evicted": self.evicted,
        }


def close_websockets(kernel_id: str) -> int:
    """Close the websockets still open to a kernel that was shut down.

    jupyter_server leaves them open (it closes them only when the server stops), so a
    page whose kernel was reclaimed, culled or shut down would keep a socket to nothing
    and never notice. Closed, the page's reconnect finds no kernel, and kernel-watch.js
    tells the viewer. Returns how many were closed.
    """
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection as Connection,
    )

    closed = 0
    for conn in list(Connection._open_sockets):
        if getattr(conn, "kernel_id", None) == kernel_id:
            with contextlib.suppress(Exception):  # already closing
                conn.websocket_handler.close(4404, "kernel gone")
                closed += 1
    return closed


class PoolFixes:
    """Mixed in above Voilà's ``VoilaKernelManager`` (the class it generates around ours).

    * A page takes a pooled kernel only when one is ready. Voilà counts pending entries
      (a refill still waiting for its ``fill_delay`` or starting) and failed ones (a
      refill refused at the cap) as available, so a viewer waited for the delay, or got
      the failed entry's 503. Here a viewer without a ready kernel gets a new one.
    * A failed entry is removed before a shutdown (see
      :meth:`CappedKernelManager.drop_failed_pool_tasks`).
    * The moment a pooled kernel is handed to a page is recorded, for the reclaim scan.
    * At most ``pool_concurrency`` pool kernels start and render at once, and a pool
      entry is ready only once its page is rendered.
    """

    async def _initialize(self, notebook_path: str, kernel_id: str | None = None, **kwargs):
        if self._pool_slots is None:
            self._pool_slots = asyncio.Semaphore(max(self.pool_concurrency, 1))
        async with self._pool_slots:
            result = await super()._initialize(notebook_path, kernel_id, **kwargs)
            with contextlib.suppress(Exception):  # a failed render is the page's to show
                await asyncio.shield(result["task"])
        return result

    def get_pool_size(self, notebook_name: str) -> int:
        return sum(1 for t in getattr(self, "_pools", {}).get(notebook_name, [])
                   if self._ready(t))

    async def get_rendered_notebook(self, notebook_name: str, *args, **kwargs):
        pool = self._pools.get(notebook_name, [])
        ready = [t for t in pool if self._ready(t)]
        if ready:  # Voilà takes pool[0]: put a ready entry first
            pool.remove(ready[0])
            pool.insert(0, ready[0])
        result = await super().get_rendered_notebook(notebook_name, *args, **kwargs)
        self.mark_handed_out(result[2])
        return result

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        self.drop_failed_pool_tasks()
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    async def cull_kernel_if_idle(self, kernel_id: str):
        self.drop_failed_pool_tasks()
        return await super().cull_kernel_if_idle(kernel_id)


def pool_fixes(factory):
    """Wrap ``voila.voila_kernel_manager.voila_kernel_manager_factory``: the class it
    makes gets :class:`PoolFixes` on top (only when it pools kernels)."""

    def make(base_class, preheat_kernel, *args, **kwargs):
        cls = factory(base_class, preheat_kernel, *args, **kwargs)
        if not preheat_kernel:
            return cls
        return type(cls.__name__, (PoolFixes, cls), {"__module__": __name__})

    return make
