"""Beyond capacity: viewers come before warm kernels; the busy page (503 + Retry-After,
Norwegian, retries by itself) only when every kernel is a viewer's; /healthz for a load
balancer; and tab closes that still free kernels after a pool refill was refused at the
cap (the Voilà 0.5.13 bug that locked everyone out)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import signal
import time

import pytest

from workbench.serving import testing, viewer

from .conftest import NOTEBOOKS, open_tab

pytestmark = pytest.mark.slow

CAP = 3


@pytest.fixture(scope="module")
def small(tmp_path_factory, new_project):
    """Two one-cell notebooks (Trivial, Annen), one warm kernel each, at most CAP kernels;
    a refill waits 1 s at the cap and starts 0.2 s after a kernel is taken; the busy page
    retries after 3–4 s."""
    project = new_project(tmp_path_factory.mktemp("busy"), [NOTEBOOKS / "Trivial.ipynb"])
    shutil.copy(NOTEBOOKS / "Trivial.ipynb", project / "dashboards" / "Annen.ipynb")
    srv = testing.start(project / "dashboards", db=project / "data" / "warehouse.duckdb",
                        data=project / "data", log_path=project / "serve.log", pool_size=1,
                        max_kernels=CAP,
                        voila_args="--WorkbenchVoila.busy_retry_after=3 "
                                   "--VoilaKernelManager.fill_delay=0.2 "
                                   "--CappedKernelManager.preheat_wait=1")
    yield srv
    srv.stop()


def get(srv, path: str, headers: dict | None = None, method: str = "GET"):
    con = http.client.HTTPConnection(srv.host, srv.port, timeout=60)
    con.request(method, path, headers=headers or {})
    resp = con.getresponse()
    body = resp.read()
    con.close()
    return resp, body


def health(srv) -> tuple[int, dict]:
    resp, body = get(srv, "/healthz")
    return resp.status, json.loads(body)


def wait_for(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def test_busy_server_says_so_and_frees_kernels_when_tabs_close(small, browser):
    srv = small
    status, h = health(srv)
    assert status == 200 and h["status"] == "degraded", h  # 2 warm of 3: one slot free
    assert h["kernels"] == h["pooled"] == h["pool_size"] == 2 and h["max_kernels"] == CAP
    # A probe sent to the pod's address has a foreign Host: still answered (not 403).
    resp, body = get(srv, "/healthz", headers={"Host": "10.1.2.3:8866"})
    assert resp.status == 200 and json.loads(body)["kernels"] == 2
    assert get(srv, "/healthz", method="HEAD")[0].status == 200

    async def scenario():
        viewers = []

        async def view():
            v = await viewer.Viewer(srv.url, "Trivial.ipynb", timeout=30).open()
            assert v.live, v.summary()
            viewers.append(v)

        # Two viewers take Trivial's warm kernel one after the other; the second one's
        # refill finds the cap reached (two viewers + Annen's warm kernel) and is refused.
        await view()
        wait_for(lambda: srv.health()["pooled"] == 2, 30, "Trivial's pool refilled")
        await view()
        wait_for(lambda: srv.health()["refused_pool"] >= 1, 30, "a refill refused at the cap")
        assert srv.health()["refused"] == 0  # no viewer was turned away
        h = srv.health()
        assert h["kernels"] == CAP and h["pooled"] == 1 and h["viewers"] == 2, h
        # A third viewer of Trivial: no warm kernel for it, no free slot; Annen's warm
        # kernel gives its slot up, and the viewer is served.
        await view()
        wait_for(lambda: srv.health()["evicted"] == 1, 30, "the warm kernel evicted")
        wait_for(lambda: srv.health()["kernels"] == CAP, 30, "its slot taken")
        h = srv.health()
        assert h["viewers"] == 3 and h["pooled"] == 0 and h["free"] == 0, h
        status, h = health(srv)
        assert status == 503 and h["status"] == "full"  # readiness: send no one here
        assert srv.health()["status"] == "full"  # liveness (?live=1): 200, keep it

        # The next viewer gets the busy page: every kernel is a viewer's.
        resp, body = get(srv, "/voila/render/Trivial.ipynb")
        page = body.decode()
        assert resp.status == 503 and srv.health()["refused"] == 1
        retry = int(resp.getheader("Retry-After"))
        assert 3 <= retry <= 4
        assert resp.getheader("Cache-Control") == "no-store"
        assert "default-src 'self'" in resp.getheader("Content-Security-Policy")
        assert '<html lang="nb">' in page and "<main>" in page and "<h1>" in page
        assert "For mange samtidige brukere" in page and "prøver igjen av seg selv" in page
        assert 'role="alert"' in page and 'http-equiv="refresh"' not in page
        assert f'data-seconds="{retry}"' in page
        for leak in ("Traceback", "HTTPError", "too many kernels", "kernels.py"):
            assert leak not in page

        # Tabs close (the beacon of beforeunload): every kernel goes, although a pool
        # refill failed at the cap (Voilà then answered every shutdown with 503).
        for v in viewers:
            await v.leave("polite")
        return viewers

    with viewer.Loop() as loop:
        viewers = loop.run(scenario())
    assert [v.shutdown_status for v in viewers] == [204, 204, 204]  # not 503
    assert "503 POST /voila/api/shutdown" not in srv.log()
    wait_for(lambda: srv.health()["kernels"] == 2 and srv.health()["pooled"] == 2, 60,
             "back at two warm kernels")
    assert health(srv)[0] == 200


def test_busy_page_counts_down_and_retries_by_itself(small, browser):
    srv = small

    async def fill():
        """Viewers until every kernel is a viewer's, and no refill is on its way."""
        taken = []
        while True:
            h = srv.health()
            if h["kernels"] >= CAP and not h["pooled"] and not h["pool_pending"]:
                return taken
            if h["pool_pending"] or h["starting"]:  # a refill on its way: wait for it
                await asyncio.sleep(0.2)
                continue
            v = await viewer.Viewer(srv.url, "Trivial.ipynb", timeout=30).open()
            assert v.live, v.summary()
            taken.append(v)

    async def release(taken):
        for v in taken:
            await v.leave("polite")

    with viewer.Loop() as loop:
        taken = loop.run(fill())
        with open_tab(browser) as tab:
            page = tab.page
            response = page.goto(srv.page("Trivial.ipynb"))
            assert response.status == 503, (response.status, page.content()[:500])
            heading = page.locator("main h1")
            assert heading.inner_text() == "For mange samtidige brukere akkurat nå"
            status = page.locator('[role="alert"]')
            assert "prøver igjen av seg selv" in status.inner_text()
            first = int(page.locator("#wb-nedtelling").inner_text())
            page.wait_for_function(
                f"() => Number(document.getElementById('wb-nedtelling').textContent) < {first}",
                timeout=5_000)
            # Room again: the page's own retry brings the dashboard (no click).
            loop.run(release(taken))
            page.wait_for_selector("text=Hei fra en triviell side", timeout=60_000)
            assert page.locator("#wb-nedtelling").count() == 0
            assert not tab.errors

        # A viewer can stop the automatic retry by keyboard (WCAG 2.2.1).
        taken = loop.run(fill())
        with open_tab(browser) as tab:
            page = tab.page
            assert page.goto(srv.page("Trivial.ipynb")).status == 503
            page.keyboard.press("Tab")  # «Stopp automatisk nytt forsøk» comes first
            assert page.evaluate("document.activeElement.id") == "wb-stopp"
            page.keyboard.press("Enter")
            assert "er stoppet" in page.locator("#wb-automatisk").inner_text()
            url = page.url
            loop.run(release(taken))
            page.wait_for_timeout(6000)  # the retry was due after 3–4 s
            assert page.url == url and page.locator("main h1").inner_text() == \
                "For mange samtidige brukere akkurat nå"  # still here: no reload
            assert not tab.errors


def test_a_kernel_that_dies_is_not_handed_out_and_its_pool_refills(small):
    """A warm kernel killed (as by the OOM killer): not restarted as a bare kernel, its
    pool entry dropped, the pool refilled with a working kernel, no process left."""
    srv = small
    wait_for(lambda: srv.health()["kernels"] == srv.health()["pooled"] == 2, 60,
             "two warm kernels")
    before = set(srv.kernel_pids())
    victim = sorted(before)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in srv.kernel_pids(), 30, "the killed kernel gone")
    wait_for(lambda: srv.health()["pooled"] == 2 and len(srv.kernel_pids()) == 2, 60,
             "the pool refilled")
    assert victim not in srv.kernel_pids()
    assert "restarting kernel" not in srv.log()

    async def view():
        for nb in ("Trivial.ipynb", "Annen.ipynb"):  # both pools: no dead kernel handed out
            v = await viewer.Viewer(srv.url, nb, timeout=30).open()
            assert v.live, v.summary()
            await v.leave("polite")

    with viewer.Loop() as loop:
        loop.run(view())


def test_a_starting_server_is_not_ready_until_its_warm_kernels_are_there(tmp_path,
                                                                      new_project):
    """Readiness waits for the warm kernels (a replica in a rollout takes viewers only
    when it can serve them at once); liveness answers from the start."""
    project = new_project(tmp_path, [NOTEBOOKS / "Trivial.ipynb"])
    for name in ("Annen", "Tredje"):
        shutil.copy(NOTEBOOKS / "Trivial.ipynb", project / "dashboards" / f"{name}.ipynb")
    with testing.start(project / "dashboards", db=project / "data" / "warehouse.duckdb",
                       data=project / "data", log_path=tmp_path / "serve.log",
                       pool_size=3, pool=False) as srv:
        status, h = health(srv)  # 9 warm kernels, started two at a time: not there yet
        assert (status, h["status"], h["warmed"]) == (503, "starting", False), h
        assert h["pooled"] < h["pool_size"] == 9
        assert get(srv, "/healthz?live=1")[0].status == 200
        wait_for(lambda: health(srv)[0] == 200, 120, "ready once the pools are full")
        status, h = health(srv)
        assert h["warmed"] and h["pooled"] == 9 and h["status"] == "ok", h
