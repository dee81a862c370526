"""Full-page screenshots of the dashboards, for the documentation.

Serves dashboards/ (database built from data/ into a temporary folder), opens every
dashboard in headless Chromium with every request outside 127.0.0.1 blocked, waits until
all its charts are drawn and writes docs/img/<Name>.png (1280 px wide, the whole page).

    python benchmarks/screenshots.py [--out docs/img] [--width 1280] [--scale 1]
                                     [--dashboard Budsjett ...]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.serving import testing  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboards import CHROMIUM, SHUTDOWN_JS, offline_context  # noqa: E402  (same folder)
from dashboards import CHROMIUM_ARGS as BENCH_ARGS  # noqa: E402

CHROMIUM_ARGS = BENCH_ARGS + ["--hide-scrollbars", "--font-render-hinting=none"]
DASHBOARDS = ROOT / "dashboards"

# Every chart drawn by Vega (not the static snapshot), and the page's widgets shown.
ALL_DRAWN_JS = """() => {
  const charts = [...document.querySelectorAll('.wb-chart')];
  return charts.length > 0 && document.querySelectorAll('.wb-snapshot').length === 0 &&
    charts.every(c => c.dataset.wbRendered &&
                      c.querySelector('svg.marks .role-mark > *, canvas.marks'));
}"""

# Voilà's page scrolls inside a container, so Playwright's full_page sees one viewport:
# the height of the whole content is the tallest scrollHeight on the page.
CONTENT_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
  ...[...document.querySelectorAll('body, body *')].map(e => e.scrollHeight))"""


def shoot(browser, srv, notebook: str, out: Path, width: int, scale: float) -> Path:
    blocked: list[str] = []
    ctx = offline_context(browser, srv, blocked, viewport={"width": width, "height": 900},
                          device_scale_factor=scale, locale="nb-NO")
    page = ctx.new_page()
    try:
        page.goto(srv.page(notebook), timeout=120_000)
        page.wait_for_function(ALL_DRAWN_JS, timeout=120_000, polling=100)
        page.evaluate("document.fonts.ready")
        errors = page.locator(".wb-feil").count()
        if errors:
            raise RuntimeError(f"{notebook}: {errors} error message(s) on the page")
        height = page.evaluate(CONTENT_HEIGHT_JS)
        page.set_viewport_size({"width": width, "height": int(height) + 8})
        page.wait_for_timeout(300)  # layout after the resize
        target = out / (Path(notebook).stem + ".png")
        page.screenshot(path=str(target), full_page=True, animations="disabled")
        page.evaluate(SHUTDOWN_JS)
    finally:
        ctx.close()
    if blocked:
        raise RuntimeError(f"{notebook}: requests outside the server: {blocked}")
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--scale", type=float, default=1.0, help="device scale factor")
    ap.add_argument("--dashboard", action="append",
                    help="name without .ipynb (repeatable; default: all in dashboards/)")
    args = ap.parse_args()
    names = args.dashboard or sorted(p.stem for p in DASHBOARDS.glob("*.ipynb")
                                     if not p.name.startswith("_"))
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="wb-screenshots-"))
    try:
        srv = testing.start(DASHBOARDS, db=work / "warehouse.duckdb", data=ROOT / "data",
                           log_path=work / "serve.log", timeout=180)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=CHROMIUM_ARGS)
                try:
                    for name in names:
                        path = shoot(browser, srv, f"{name}.ipynb", args.out, args.width,
                                     args.scale)
                        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
                              f"  {path.stat().st_size / 1024:.0f} KB")
                finally:
                    browser.close()
            if "ERROR workbench.dashboard" in srv.log():
                raise RuntimeError("a dashboard logged an error:\n" + srv.log()[-4000:])
        finally:
            srv.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
