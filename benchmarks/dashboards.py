"""Dashboard benchmark: first render and widget latency in headless Chromium.

For every dashboard, and for a trivial one-cell notebook served by the same server in the
same run, it measures the time from navigation start to the first chart visible (the
first Vega mark drawn and shown; for the trivial notebook its one output shown), each in
a fresh browser context (a first visit: empty cache). For pages with a dropdown and a
chart it then measures widget latency: dropdown change → chart redrawn and painted.
Runs interleave the pages, and between runs the server is left to settle (Voilà refills
its pool of preheated kernels after each visit).

    python benchmarks/dashboards.py [--repeat 5] [--latency 12] [--no-cold]
                                    [--dashboard PATH ...]

By default the dashboards are tests/notebooks/Graf.ipynb (a chart, a dropdown and a
download, on the real database) and every notebook in dashboards/. Configurations: the
repository's (preheated kernels) and, unless --no-cold, the same without preheating.
Writes benchmarks/results/dashboards.json and the block between the dashboards markers
in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.serving import testing  # noqa: E402

CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TRIVIAL = ROOT / "tests" / "notebooks" / "Trivial.ipynb"
CHART_PAGE = ROOT / "tests" / "notebooks" / "Graf.ipynb"
RESULTS = ROOT / "benchmarks" / "results" / "dashboards.json"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- dashboards:start -->", "<!-- dashboards:end -->"

CHART_SELECTOR = (".wb-chart svg.marks .role-mark > *, .wb-chart canvas.marks, "
                  ".vega-embed svg.marks .role-mark > *")
OUTPUT_SELECTOR = ".jp-OutputArea-output"

# Records performance.now() (ms since navigation start) when the selector first matches
# a displayed element. Voilà shows the cells only when the page is complete.
FIRST_VISIBLE_JS = """
(() => {
  const selector = %s;
  const check = () => {
    if (window.__wbFirst) return;
    for (const el of document.querySelectorAll(selector)) {
      if (el.getClientRects().length > 0) { window.__wbFirst = performance.now(); return; }
    }
  };
  const observer = new MutationObserver(check);
  const start = () => observer.observe(document.documentElement,
    { subtree: true, childList: true, attributes: true, attributeFilter: ["style", "class"] });
  if (document.documentElement) start(); else document.addEventListener("readystatechange", start);
})();
"""

# The first dropdown with a choice (a filter with one option is disabled) and the first
# chart after it on the page, which is the one it filters.
LATENCY_JS = """
async (n) => {
  const select = [...document.querySelectorAll('.widget-dropdown select')]
    .find((s) => !s.disabled && s.options.length > 1);
  const chart = select && [...document.querySelectorAll('.wb-chart')].find((c) =>
    select.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING);
  if (!select || !chart) return [];
  const times = [];
  for (let i = 0; i < n; i++) {
    const done = new Promise((resolve) =>
      chart.addEventListener('wb-rendered', resolve, { once: true }));
    const t0 = performance.now();
    select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await done;
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    times.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return times;
}
"""

SHUTDOWN_JS = """async () => {
  const config = document.getElementById('jupyter-config-data');
  if (!config) return;
  const base = document.body.dataset.baseUrl;
  if (!document.cookie.includes('_xsrf=')) await fetch(`${base}tree/`);
  const xsrf = (document.cookie.match(/\\b_xsrf=([^;]*)\\b/) || [])[1] || '';
  const body = new FormData();
  body.append('_xsrf', xsrf);
  await fetch(`${base}api/shutdown/${JSON.parse(config.textContent).kernelId}`,
              { method: 'POST', body });
}"""


def prepare_folder(work: Path, dashboards: list[Path]) -> tuple[Path, dict[str, str]]:
    """A served folder with the dashboards (their folder copied whole) and the baseline."""
    served = work / "dashboards"
    served.mkdir()
    names = {}
    for nb in dashboards:
        if nb.parent.resolve() == (ROOT / "dashboards").resolve():
            if not (served / nb.name).exists():
                shutil.copytree(nb.parent, served, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            names[f"dashboards/{nb.name}"] = nb.name
        else:
            name = f"_bench_{nb.name}"
            shutil.copy(nb, served / name)
            try:
                label = str(nb.resolve().relative_to(ROOT))
            except ValueError:
                label = nb.name
            names[label] = name
    shutil.copy(TRIVIAL, served / "_bench_trivial.ipynb")
    return served, names


def offline_context(browser, srv, blocked: list[str], **options):
    """A browser context in which only requests to ``srv`` go through; the URLs of the
    others are appended to ``blocked``."""
    ctx = browser.new_context(**options)
    served = f"http://{srv.host}:{srv.port}/"

    def route(r):
        if r.request.url.startswith(served):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    return ctx


def measure_page(browser, srv, notebook: str, selector: str, latency: int) -> dict:
    blocked: list[str] = []
    ctx = offline_context(browser, srv, blocked)
    ctx.add_init_script(FIRST_VISIBLE_JS % json.dumps(selector))
    page = ctx.new_page()
    try:
        page.goto(srv.page(notebook), wait_until="commit", timeout=120_000)
        page.wait_for_function("window.__wbFirst", timeout=120_000, polling=50)
        first = page.evaluate("window.__wbFirst")
        times = page.evaluate(LATENCY_JS, latency) if latency else []
        page.evaluate(SHUTDOWN_JS)
    finally:
        ctx.close()
    if blocked:
        raise RuntimeError(f"{notebook}: requests outside the server: {blocked}")
    return {"first_render_ms": first, "latency_ms": times}


def run_config(label: str, voila_args: str, pages: list[tuple[str, str, str]],
               repeat: int, latency: int, work: Path, served: Path) -> dict:
    from playwright.sync_api import sync_playwright

    preheat = "preheat_kernel=False" not in voila_args
    results: dict[str, dict] = {name: {"first_render_ms": [], "latency_ms": []}
                                for name, _, _ in pages}
    srv = testing.start(served, db=work / "warehouse.duckdb", data=ROOT / "data",
                       log_path=work / f"serve-{'preheat' if preheat else 'cold'}.log",
                       voila_args=voila_args,
                       pool=preheat, timeout=180)
    try:
        srv.wait_idle(quiet=1.0, timeout=120)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=CHROMIUM_ARGS)
            # One unmeasured visit each, so that the OS page cache is warm for all.
            for _name, notebook, selector in pages:
                measure_page(browser, srv, notebook, selector, 0)
                srv.wait_idle(timeout=120)
            for i in range(repeat):
                order = pages if i % 2 == 0 else list(reversed(pages))
                for name, notebook, selector in order:
                    r = measure_page(browser, srv, notebook, selector,
                                     latency if name != "trivial" else 0)
                    results[name]["first_render_ms"].append(r["first_render_ms"])
                    results[name]["latency_ms"] += r["latency_ms"]
                    srv.wait_idle(timeout=120)
            browser.close()
    finally:
        srv.stop()
    return results


def median(xs):
    return statistics.median(xs) if xs else None


def summarise(raw: dict) -> dict:
    out = {}
    for label, pages in raw.items():
        base = median(pages["trivial"]["first_render_ms"])
        out[label] = {
            name: {"first_render_ms": median(v["first_render_ms"]),
                   "ratio_to_trivial": (median(v["first_render_ms"]) / base) if base else None,
                   "latency_median_ms": median(v["latency_ms"]),
                   "latency_p90_ms": (statistics.quantiles(v["latency_ms"], n=10)[-1]
                                      if len(v["latency_ms"]) >= 10 else None),
                   "runs": len(v["first_render_ms"]), "latency_samples": len(v["latency_ms"])}
            for name, v in pages.items()}
    return out


def markdown(summary: dict, meta: dict) -> str:
    lines = [START, "",
             f"Measured {meta['date']} on {meta['machine']}, {meta['cores']} cores, Python "
             f"{meta['python']}, Voilà {meta['voila']}, Chromium {meta['chromium']} by "
             f"`python benchmarks/dashboards.py` (median of {meta['repeat']} interleaved "
             "first visits per page, each in a fresh browser context; latency: median of "
             f"{meta['latency']} dropdown changes per visit).", ""]
    for label, pages in summary.items():
        lines += [f"**{label}**", "",
                  "| page | first chart visible | ratio to trivial (goal ≤ 1.3) | "
                  "dropdown → chart redrawn, median (goal < 300 ms) | p90 |",
                  "|---|---:|---:|---:|---:|"]
        for name, v in pages.items():
            ratio = "—" if name == "trivial" else f"{v['ratio_to_trivial']:.2f}"
            lat = "—" if v["latency_median_ms"] is None else f"{v['latency_median_ms']:.0f} ms"
            p90 = "—" if v["latency_p90_ms"] is None else f"{v['latency_p90_ms']:.0f} ms"
            title = "trivial one-cell notebook" if name == "trivial" else f"`{name}`"
            lines.append(f"| {title} | {v['first_render_ms'] / 1000:.2f} s | {ratio} | "
                         f"{lat} | {p90} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write_doc(block: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text,
                      flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Dashboards (`python benchmarks/dashboards.py`)\n\n" \
            "Time from navigation to the first chart visible in headless Chromium, for " \
            "each dashboard and for a trivial one-cell notebook served by the same server " \
            "in the same run, and the latency of a filter: dropdown change → chart redrawn. " \
            "Every request outside 127.0.0.1 is blocked. See docs/serving.md.\n\n" \
            + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--latency", type=int, default=12, help="dropdown changes per visit")
    ap.add_argument("--dashboard", action="append", type=Path,
                    help="a dashboard notebook (repeatable; default: see above)")
    ap.add_argument("--no-cold", action="store_true", help="skip the run without preheating")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    dashboards = args.dashboard or [CHART_PAGE] + sorted(
        p for p in (ROOT / "dashboards").glob("*.ipynb") if not p.name.startswith("_"))

    work = Path(tempfile.mkdtemp(prefix="wb-bench-dash-"))
    try:
        served, names = prepare_folder(work, dashboards)
        pages = [("trivial", "_bench_trivial.ipynb", OUTPUT_SELECTOR)]
        pages += [(label, name, CHART_SELECTOR) for label, name in names.items()]
        configs = {"Preheated kernels (serve/voila.py)": ""}
        if not args.no_cold:
            configs["Without preheating (--VoilaConfiguration.preheat_kernel=False)"] = \
                "--VoilaConfiguration.preheat_kernel=False"
        raw = {label: run_config(label, va, pages, args.repeat, args.latency, work, served)
               for label, va in configs.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    summary = summarise(raw)
    import subprocess
    from importlib import metadata

    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    chromium = (re.findall(r"\d+\.[\d.]+", version) or ["?"])[0]
    meta = {"date": dt.date.today().isoformat(), "machine": platform.machine(),
            "cores": os.cpu_count(), "python": platform.python_version(),
            "voila": metadata.version("voila"), "chromium": chromium,
            "repeat": args.repeat, "latency": args.latency}
    block = markdown(summary, meta)
    print(block)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"meta": meta, "summary": summary, "raw": raw},
                                      indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_doc(block)


if __name__ == "__main__":
    main()
