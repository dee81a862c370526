"""``GET /healthz``: is this replica able to take a new viewer? For load balancers.

The answer is JSON with the kernel counts of :meth:`.kernels.CappedKernelManager.counts`,
the database snapshot the replica serves, and a status:

* ``starting`` — the warm kernels are not all there yet since the server started: a
  replica in a rollout gets viewers only once it can serve them at full speed;
* ``ok`` — room for new viewers (at least ``OK_FREE`` free kernel slots) and a warm
  (preheated) kernel ready;
* ``degraded`` — still room, but little, or no warm kernel: a new viewer waits for a
  kernel to start;
* ``full`` — no free slot and no warm kernel that could give its slot up (every kernel
  is a viewer's): a new viewer would get the busy page.

Status codes: ``/healthz`` answers 503 when ``starting`` or ``full`` and 200 otherwise —
a readiness probe, so that a load balancer sends new viewers only to a replica that can
take them;
``/healthz?live=1`` always answers 200 while the server runs — a liveness probe, so that
a busy replica is not restarted (which would cut off every viewer on it).

A plain tornado handler, not a Jupyter one: Jupyter's handlers refuse a Host header that
is not loopback (DNS-rebinding protection) and would fail a probe sent to the pod's IP.
It reveals counts only, no kernel ids.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from tornado import web

OK_FREE = 2


def snapshot(path: str | None) -> dict | None:
    """Which database file this replica serves (name, size, time), or None."""
    if not path:
        return None
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return {"file": p.name, "missing": True}
    modified = dt.datetime.fromtimestamp(st.st_mtime, dt.UTC)
    return {"file": p.name, "bytes": st.st_size,
            "modified": modified.isoformat(timespec="seconds")}


def status_of(counts: dict) -> str:
    if not counts.get("warmed", True):
        return "starting"
    if counts["free"] <= 0 and not counts["pooled"]:
        return "full"
    if counts["free"] < OK_FREE or (counts["pool_size"] and not counts["pooled"]):
        return "degraded"
    return "ok"


class HealthHandler(web.RequestHandler):
    """``GET /healthz[?live=1]`` (see the module docstring)."""

    def initialize(self, kernel_manager):
        self.kernel_manager = kernel_manager

    def set_default_headers(self):
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")

    def get(self):
        counts = self.kernel_manager.counts()
        status = status_of(counts)
        if status in ("starting", "full") and not self.get_argument("live", ""):
            self.set_status(503)
        self.finish(json.dumps({"status": status, **counts,
                                "snapshot": snapshot(os.environ.get("WORKBENCH_DB"))}))

    def head(self):
        self.get()

    def write_error(self, status_code, **kwargs):
        self.finish(json.dumps({"status": "error", "code": status_code}))
