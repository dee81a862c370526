"""A link shared with an organisation: kernels come back, viewers keep theirs, a viewer
whose kernel is gone is told so, and a dashboard kernel stays lean.

One server (the real dashboards, serve/voila.py's reclaim settings, one warm kernel per
dashboard). The reclaim scenarios run at the same time so that one wait covers them all:
Chromium tabs whose browser is killed, plain GETs (a link-preview bot), and a viewer who
stays on the page past both reclaim timeouts.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from workbench.serving import testing, viewer

from .conftest import CHROMIUM, CHROMIUM_ARGS, DASHBOARDS, make_project, offline_context

pytestmark = pytest.mark.slow

DRAWN = """() => { const cs = [...document.querySelectorAll('.wb-chart')];
  return cs.length > 0 && cs.every(c => c.dataset.wbRendered &&
                                   c.querySelector('svg.marks .role-mark > *')); }"""
KERNEL_ID = "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
# The dropdowns of ipywidgets 8 and every other control of the dashboard.
CONTROLS = "#rendered_cells select, #rendered_cells button, #rendered_cells input"
BUDGET = 90  # seconds the issue allows until the kernel count is back at idle
_CONFIG = (Path(__file__).resolve().parents[2] / "serve" / "voila.py").read_text()
UNCONNECTED, DISCONNECTED = (float(re.search(rf"{name} = ([\d.]+)", _CONFIG).group(1))
                             for name in ("unconnected_timeout", "disconnected_timeout"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("many"), notebooks=[])
    srv = testing.start(DASHBOARDS, db=root / "data" / "warehouse.duckdb",
                        data=root / "data", log_path=root / "serve.log", pool_size=1,
                        timeout=240)
    yield srv
    srv.stop()
    assert not srv.pids()


class KillableChromium:
    """A Chromium we start ourselves (so that we can kill it like a crash), driven over
    the DevTools protocol by the shared Playwright instance."""

    def __init__(self, playwright_browser, profile: Path):
        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", *CHROMIUM_ARGS, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Chromium did not start")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        self.browser = playwright_browser.browser_type.connect_over_cdp(
            f"http://127.0.0.1:{port}")

    def kill(self) -> None:
        """SIGKILL the whole browser: no beforeunload, no websocket close frames."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        with contextlib.suppress(Exception):  # the connection is gone
            self.browser.close()


def open_dashboard(ctx, srv, notebook: str):
    page = ctx.new_page()
    page.goto(srv.page(notebook))
    page.wait_for_function(DRAWN, timeout=120_000, polling=100)
    return page


def change_first_filter(page) -> None:
    """Pick the next option of the first dropdown with a choice; wait for the redraw."""
    before = page.evaluate("document.querySelector('.wb-chart').dataset.wbRendered")
    page.evaluate("""() => {
      const s = [...document.querySelectorAll('.widget-dropdown select')]
        .find(s => !s.disabled && s.options.length > 1);
      s.selectedIndex = (s.selectedIndex + 1) % s.options.length;
      s.dispatchEvent(new Event('change', {bubbles: true})); }""")
    page.wait_for_function(
        f"() => document.querySelector('.wb-chart').dataset.wbRendered !== '{before}'",
        timeout=30_000)


def kernel_exists(srv, kernel_id: str) -> bool:
    return httpx.get(f"{srv.url}api/kernels/{kernel_id}", timeout=30).status_code == 200


def test_kernels_come_back_and_a_staying_viewer_keeps_a_working_dashboard(
        server, browser, tmp_path):
    srv = server
    idle = srv.health()
    assert idle["kernels"] == idle["pooled"] == idle["pool_size"] == 5
    blocked: list[str] = []
    stay_ctx = offline_context(browser, blocked)
    chromium = KillableChromium(browser, tmp_path / "profile")
    try:
        # A viewer who stays on the page through everything below.
        stay = open_dashboard(stay_ctx, srv, "Budsjett.ipynb")
        stay_since = time.monotonic()
        stay_kernel = stay.evaluate(KERNEL_ID)
        # Three tabs in a browser that will be killed ...
        ctx = chromium.browser.new_context()
        tabs = [open_dashboard(ctx, srv, nb) for nb in
                ("Oversikt.ipynb", "Tilskudd.ipynb", "Kommuner.ipynb")]
        tab_kernels = [t.evaluate(KERNEL_ID) for t in tabs]
        # ... and three plain GETs, as a link-preview bot makes them.
        get_kernels = []
        for nb in ("Velferdsteknologi.ipynb", "Budsjett.ipynb", "Oversikt.ipynb"):
            with urllib.request.urlopen(srv.page(nb), timeout=120) as r:
                page = r.read().decode()
            get_kernels.append(json.loads(viewer.CONFIG.search(page).group(1))["kernelId"])
        t_get = time.monotonic()
        chromium.kill()
        t_kill = time.monotonic()
        assert all(kernel_exists(srv, k) for k in tab_kernels + get_kernels)

        # Each kernel goes in time, and the server is back at idle — the warm pools plus
        # the staying viewer's kernel — within the 90 s.
        def back_at_idle() -> bool:
            h = srv.health()
            return (h["kernels"] == idle["kernels"] + 1 and h["pooled"] == h["pool_size"]
                    and h["viewers_unconnected"] == 0 and h["viewers"] == 1)

        gone_at: dict[str, float] = {}
        while not (len(gone_at) == 6 and back_at_idle()):
            assert time.monotonic() - t_kill < BUDGET, (gone_at, srv.health())
            for k in tab_kernels + get_kernels:
                if k not in gone_at and not kernel_exists(srv, k):
                    gone_at[k] = time.monotonic()
            time.sleep(0.5)
        took = time.monotonic() - t_kill
        get_gone = max(gone_at[k] for k in get_kernels) - t_get
        tabs_gone = max(gone_at[k] for k in tab_kernels) - t_kill
        print(f"plain GETs' kernels gone {get_gone:.1f} s after the last GET; killed tabs' "
              f"kernels {tabs_gone:.1f} s after the kill; back at idle after {took:.1f} s")
        assert get_gone <= 30  # never connected: within 30 s
        assert tabs_gone <= 60  # disconnected and not back: within 60 s
        assert len(srv.kernel_pids()) == idle["kernels"] + 1  # no process left behind
        reclaimed = srv.health()["reclaimed"]
        assert reclaimed["never_connected"] >= 3 and reclaimed["disconnected"] >= 3

        # The staying viewer, idle past both timeouts, still has a working dashboard.
        while time.monotonic() - stay_since < 5 + max(UNCONNECTED, DISCONNECTED):
            time.sleep(1)
        assert kernel_exists(srv, stay_kernel)
        change_first_filter(stay)
        assert stay.locator(".wb-frakoblet").count() == 0

        # The next viewer is served.
        assert srv.health()["status"] == "ok"
        nxt = open_dashboard(stay_ctx, srv, "Velferdsteknologi.ipynb")
        assert nxt.locator(".wb-feil").count() == 0

        # Its kernel goes away while the viewer is on the page (reclaimed, culled, the
        # server restarted): the page says so in Norwegian and offers a reload.
        kernel = nxt.evaluate(KERNEL_ID)
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            c.get("voila/tree/")
            xsrf = c.cookies.get("_xsrf")
            assert c.post(f"voila/api/shutdown/{kernel}", data={"_xsrf": xsrf}
                          ).status_code == 204
        t_gone = time.monotonic()
        alert = nxt.locator('.wb-frakoblet[role="alert"]')
        alert.wait_for(timeout=30_000)
        print(f"reload message {time.monotonic() - t_gone:.1f} s after the kernel went")
        assert "Forbindelsen til serveren er brutt" in alert.inner_text()
        assert nxt.evaluate("document.activeElement.textContent") == "Last inn siden på nytt"
        # Every control of the dashboard is disabled; only the message's reload button
        # works (the message sits at the top of <main>, which holds the cells).
        enabled = nxt.evaluate(f"[...document.querySelectorAll('{CONTROLS}')]"
                               ".filter(el => !el.disabled && !el.closest('.wb-frakoblet'))"
                               ".map(el => el.outerHTML)")
        assert enabled == [], enabled
        assert nxt.evaluate(f"document.querySelectorAll('{CONTROLS}').length") > 0
        nxt.keyboard.press("Enter")  # the focused button: reload
        nxt.wait_for_function(DRAWN, timeout=120_000, polling=100)
        assert nxt.locator(".wb-frakoblet").count() == 0
        assert stay.locator(".wb-frakoblet").count() == 0  # the other viewer: untouched
    finally:
        chromium.kill()
        for page in stay_ctx.pages:
            with contextlib.suppress(Exception):  # best effort
                page.close(run_before_unload=True)
        stay_ctx.close()
    assert not blocked, blocked


# Modules a dashboard kernel must not load: server-side chart rendering (vl-convert's V8),
# pyarrow (DuckDB's .pl()), the builder and validation, the report machinery.
HEAVY = ["vl_convert", "pyarrow", "workbench.builder", "workbench.validate",
         "workbench.catalog", "workbench.readers", "workbench.reports", "papermill",
         "nbformat", "pandas"]
HEAVY_LIBS = ["vl_convert", "pyarrow"]  # shared libraries, seen in /proc/PID/maps


def test_dashboard_kernels_are_lean(server, tmp_path):
    """A behaviour check, not a measurement (benchmarks/load.py measures the memory):
    the served kernels map no vl-convert or pyarrow library, and a kernel forked as
    Voilà's are (from the zygote, with its preloads), after running every dashboard,
    has imported none of the heavy modules."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import KernelProvisionerFactory
    from nbformat import read

    from workbench.serving.forkkernel import ForkedProcess, Zygote

    # The test before ends with viewers leaving: their dashboards' pools refill
    # fill_delay (10 s) later. Look at the served kernels once they are all there.
    deadline = time.monotonic() + 60
    while not server.pools_full():
        assert time.monotonic() < deadline, server.health()
        time.sleep(0.5)
    kernels = server.kernel_pids()
    assert len(kernels) >= 5
    for pid in kernels:
        assert testing.comm(pid).startswith(testing.FORKED_MARK)  # forked, as configured
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert not [lib for lib in HEAVY_LIBS if lib in maps], pid
        print(pid, testing.memory_kb(pid))

    db = server.proc.args[server.proc.args.index("--db") + 1]
    env = dict(os.environ, VOILA_PREHEAT="True", VOILA_BASE_URL="/", WORKBENCH_DB=db,
               WORKBENCH_VEGA_BUNDLE="voila/templates/workbench/static/vega.js")
    code = ["\n".join(c.source for c in read(nb, as_version=4).cells if c.cell_type == "code")
            for nb in sorted(DASHBOARDS.glob("*.ipynb"))]

    async def run():
        factory = KernelProvisionerFactory.instance()
        default = factory.default_provisioner_name
        factory.default_provisioner_name = "workbench-fork"
        km = AsyncKernelManager(kernel_name="python3")
        try:
            await km.start_kernel(env=env, cwd=str(DASHBOARDS))
        finally:
            factory.default_provisioner_name = default
        assert isinstance(km.provisioner.process, ForkedProcess)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            for source in code:
                reply = await kc.execute_interactive(source, timeout=120,
                                                     output_hook=lambda m: None)
                assert reply["content"]["status"] == "ok", reply["content"]
            out = []
            await kc.execute_interactive(
                f"import sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))",
                timeout=60, output_hook=lambda m: out.append(m["content"].get("text", "")))
            return "".join(out).strip()
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            await Zygote._current.close()

    with viewer.Loop() as loop:
        assert loop.run(run()) == "[]"
