"""Two `workbench serve` replicas behind Debian's nginx with deploy/nginx/workbench.conf:
sticky sessions, the proxy's host name accepted, and a replica killed — its viewers are
told and reload onto the survivor, new viewers go to the survivor, nothing is left."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from workbench.serving import testing, viewer

from .conftest import NOTEBOOKS, offline_context, shut_down_kernel

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(testing.NGINX).exists(),
                                 reason=f"{testing.NGINX} not installed (apt-get install nginx)")]

DRAWN = """() => { const cs = [...document.querySelectorAll('.wb-chart')];
  return cs.length > 0 && cs.every(c => c.dataset.wbRendered &&
                                   c.querySelector('svg.marks .role-mark > *')); }"""
KERNEL_ID = "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
LOG_LINE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d+) upstream=(?P<upstream>\S+) '
                      r"route=(?P<route>\S+)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, new_project):
    """Replicas A and B (same snapshot, --behind-proxy) and nginx in front."""
    root = tmp_path_factory.mktemp("replicas")
    project = new_project(root, [NOTEBOOKS / "Graf.ipynb", NOTEBOOKS / "Trivial.ipynb"])
    db = project / "data" / "warehouse.duckdb"
    from workbench.builder import build

    build(project / "data", db)
    replicas = [testing.start(project / "dashboards", db=db, data=project / "data",
                              log_path=root / f"replica-{name}.log", pool_size=1,
                              behind_proxy=True, timeout=180) for name in "AB"]
    proxy = testing.start_nginx([f"127.0.0.1:{r.port}" for r in replicas],
                                workdir=root / "nginx")
    yield replicas, proxy
    proxy.stop()
    for r in replicas:
        r.stop()


def holder(replicas, kernel_id: str) -> int | None:
    """Which replica holds the kernel, asked directly (not through nginx)."""
    for i, srv in enumerate(replicas):
        try:
            if httpx.get(f"{srv.url}api/kernels/{kernel_id}", timeout=30).status_code == 200:
                return i
        except httpx.ConnectError:  # a replica that is down holds nothing
            continue
    return None


def test_viewers_stick_to_the_replica_that_holds_their_kernel(cluster):
    replicas, proxy = cluster
    with viewer.Loop() as loop:
        async def visits():
            vs = []
            for _ in range(12):  # one after the other: each a new browser, no cookie
                v = await viewer.Viewer(proxy.url, "Trivial.ipynb", timeout=60).open()
                vs.append(v)
            for v in vs:
                await v.leave("polite")
            return vs

        vs = loop.run(visits())
    # The page, the kernel model and the websocket reached the replica with the kernel
    # (the other one answers 404 for it), for every viewer.
    assert all(v.live for v in vs), [v.summary() for v in vs if not v.live]
    routes: dict[str, set[str]] = {}
    for m in LOG_LINE.finditer(proxy.access_log()):
        if m["upstream"] != "-":
            routes.setdefault(m["route"], set()).add(m["upstream"])
    assert len(routes) >= 12
    assert all(len(up) == 1 for up in routes.values()), routes  # sticky
    used = set().union(*routes.values())
    assert used == {f"127.0.0.1:{r.port}" for r in replicas}, used  # both used

    # The public host name nginx passes on is accepted (the replicas listen on loopback
    # with --behind-proxy); the websocket's Origin matches it.
    r = httpx.get(proxy.url + "voila/render/Trivial.ipynb",
                  headers={"Host": "dashbord.example.no"}, timeout=60)
    assert r.status_code == 200 and "Hei fra en triviell side" in r.text
    assert "wbroute=" in r.headers.get("set-cookie", "")


def test_a_killed_replica_sends_its_viewers_to_the_survivor(cluster, browser):
    replicas, proxy = cluster
    a, b = replicas
    blocked: list[str] = []
    with viewer.Loop() as loop:
        page = None
        for _ in range(12):  # a fresh browser until the tab lands on A
            ctx = offline_context(browser, blocked)
            candidate = ctx.new_page()
            candidate.goto(proxy.url + "voila/render/Graf.ipynb")
            candidate.wait_for_function(DRAWN, timeout=120_000, polling=100)
            if holder(replicas, candidate.evaluate(KERNEL_ID)) == 0:
                page = candidate
                break
            shut_down_kernel(candidate)
            ctx.close()
        assert page is not None, "no tab landed on replica A"
        # A viewer on B, who must not notice anything.
        on_b = None
        for _ in range(12):
            v = loop.run(viewer.Viewer(proxy.url, "Trivial.ipynb", timeout=60).open())
            if v.live and holder(replicas, v.kernel_id) == 1:
                on_b = v
                break
            loop.run(v.leave("polite"))
        assert on_b is not None, "no viewer landed on replica B"

        a_tree = [(p, testing.start_time(p)) for p in a.pids()]
        assert len(a_tree) >= 2  # Voilà and the tab's kernel at least
        os.kill(a.proc.pid, signal.SIGKILL)
        t_kill = time.monotonic()
        a.proc.wait()  # reaped: not a zombie in the check below

        # A's viewer is told, in Norwegian, and the reload brings the dashboard from B.
        alert = page.locator('.wb-frakoblet[role="alert"]')
        alert.wait_for(timeout=30_000)
        print(f"reload message {time.monotonic() - t_kill:.1f} s after replica A died")
        assert "Forbindelsen til serveren er brutt" in alert.inner_text()
        page.locator(".wb-frakoblet button").click()
        page.wait_for_function(DRAWN, timeout=120_000, polling=100)
        assert holder(replicas, page.evaluate(KERNEL_ID)) == 1

        # New viewers all go to B, and B's viewer kept its kernel.
        async def newcomers():
            vs = [await viewer.Viewer(proxy.url, "Trivial.ipynb", timeout=60).open()
                  for _ in range(6)]
            where = [holder(replicas, v.kernel_id) if v.kernel_id else None for v in vs]
            for v in vs:
                await v.leave("polite")
            return vs, where

        new, where = loop.run(newcomers())
        assert all(v.live for v in new), [v.summary() for v in new if not v.live]
        assert where == [1] * 6
        assert holder(replicas, on_b.kernel_id) == 1
        loop.run(on_b.leave("polite"))
        shut_down_kernel(page)
        page.context.close()
    assert not blocked, blocked
    assert "connect() failed" in proxy.error_log()  # nginx saw A go

    # Nothing of A is left running: its kernels followed it.
    deadline = time.monotonic() + 30
    while any(testing.start_time(p) == t for p, t in a_tree):
        assert time.monotonic() < deadline, [p for p, t in a_tree
                                             if testing.start_time(p) == t]
        time.sleep(0.5)
