"""Fixtures for the browser tests: a real `workbench serve` and Debian's Chromium.

The server serves a copy of tests/notebooks/ as its dashboards folder, next to a copy of
data/ (so that ``../data/warehouse.duckdb`` is a real file the server must refuse), and
builds its database there because it is missing. The browser blocks every request that
is not to 127.0.0.1 and records it; each test fails if one was attempted.

``dashboards_server`` / ``dashboard_tab`` do the same for the real dashboards: the
repository's dashboards/ folder, with a database built from a copy of data/ in a
temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from workbench.serving import testing

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "tests" / "notebooks"
DASHBOARDS = ROOT / "dashboards"
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def make_project(root: Path, notebooks: list[Path] | None = None) -> Path:
    """root/data (CSV files only) and root/dashboards (the given notebooks)."""
    shutil.copytree(ROOT / "data", root / "data",
                    ignore=shutil.ignore_patterns("*.duckdb", "*.wal", "loads", ".*"))
    dash = root / "dashboards"
    if notebooks is None:
        shutil.copytree(NOTEBOOKS, dash)
    else:
        dash.mkdir()
        for nb in notebooks:
            shutil.copy(nb, dash / nb.name)
    return root


@pytest.fixture(scope="package")
def new_project():
    return make_project


@pytest.fixture(scope="package")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="package")
def wb_server(project):
    # host=None: `workbench serve` without --host, i.e. its default address.
    # pool_size=1: one warm kernel per notebook is enough for these tests (serve/voila.py
    # keeps more for bursts of viewers; tests/browser/test_many_viewers.py covers those).
    srv = testing.start(project / "dashboards", db=project / "data" / "warehouse.duckdb",
                       data=project / "data", log_path=project / "serve.log", pool=True,
                       pool_size=1)
    yield srv
    srv.stop()


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Tab:
    """A page in a fresh browser context, offline except for 127.0.0.1."""

    page: object
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def offline_context(browser, blocked: list[str]):
    ctx = browser.new_context(accept_downloads=True, locale="nb-NO")
    # Generous: on a loaded 2-core machine a Voilà page (90 files) can take 20 s to load.
    # A hang still fails, only later.
    ctx.set_default_timeout(90_000)
    ctx.set_default_navigation_timeout(120_000)

    def route(r):
        url = r.request.url
        if urlparse(url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    ctx.route("**/*", route)
    return ctx


SHUTDOWN_JS = """async () => {
  const config = document.getElementById('jupyter-config-data');
  if (!config) return null;
  const id = JSON.parse(config.textContent).kernelId;
  if (!document.cookie.includes('_xsrf=')) await fetch(`${document.body.dataset.baseUrl}tree/`);
  const xsrf = (document.cookie.match(/\\b_xsrf=([^;]*)\\b/) || [])[1] || '';
  const body = new FormData();
  body.append('_xsrf', xsrf);
  const r = await fetch(`${document.body.dataset.baseUrl}api/shutdown/${id}`,
                        {method: 'POST', body});
  return r.status;
}"""


def shut_down_kernel(page) -> None:
    """What Voilà's page does when the tab closes (its beforeunload beacon, which a
    closing browser context does not send): otherwise kernels pile up until culled."""
    try:
        page.evaluate(SHUTDOWN_JS)
    except Exception:  # noqa: BLE001 — not a Voilà page, or already gone
        pass


@contextlib.contextmanager
def open_tab(browser):
    """A Tab; on exit its kernel is shut down and no request may have left 127.0.0.1."""
    blocked: list[str] = []
    ctx = offline_context(browser, blocked)
    page = ctx.new_page()
    t = Tab(page, blocked)
    page.on("pageerror", lambda e: t.errors.append(str(e)))
    try:
        yield t
    finally:
        shut_down_kernel(page)
        ctx.close()
    assert not blocked, f"requests outside 127.0.0.1 were attempted: {blocked}"


@pytest.fixture
def tab(browser, wb_server):
    with open_tab(browser) as t:
        yield t


@pytest.fixture(scope="module")
def dashboards_server(tmp_path_factory):
    """`workbench serve` on the repository's dashboards/, database built from a copy of
    data/ into a temporary folder (missing there, so the server builds it)."""
    root = make_project(tmp_path_factory.mktemp("real"), notebooks=[])
    srv = testing.start(DASHBOARDS, db=root / "data" / "warehouse.duckdb",
                       data=root / "data", log_path=root / "serve.log", pool=True,
                       timeout=180, pool_size=1)
    yield srv
    srv.stop()


@pytest.fixture
def dashboard_tab(browser, dashboards_server):
    with open_tab(browser) as t:
        yield t
