"""Load benchmark: many viewers at once, on one server and on two replicas behind nginx.

Viewers are light clients (workbench/serving/viewer.py) that do what the page does — GET
the page, open the kernel websocket, exchange the widget messages of the front end — so
that the load generator's CPU is not a browser's. Each viewer's time is from its own
arrival until its widgets are live (every widget's state received); it then stays
``--hold`` seconds and leaves politely (closes the tab).

    python benchmarks/load.py [--rounds 2] [--bursts 5,10,20,40] [--window 2]
                              [--hold 5] [--no-browser] [--no-reclaim] [--no-nginx]
                              [--pool-size N] [--max-kernels N] [--no-write]

One server with the repository's configuration (serve/voila.py), the real dashboards and
a database built from data/:

1. memory: the server at idle, and each dashboard's kernel (RSS, PSS, USS) as a viewer
   has it;
2. per round: the single-viewer time (one viewer at a time, one per dashboard) and
   bursts of N viewers arriving at random within ``--window`` seconds, viewer i on
   dashboard i mod 5: p50/p95/max time until the widgets are live, failures (503 and
   other), peak RSS and PSS of the server (Voilà + kernels), peak kernels, CPU seconds;
3. a real-browser check: 5 Chromium tabs within 2 s, one per dashboard, until every
   chart is drawn, against one tab alone in the same run;
4. reclaim: K plain GETs and K viewers that vanish (TCP dropped) — seconds until the
   kernel count is back at idle, and the next viewer is served;

then two replicas behind Debian's nginx with deploy/nginx/workbench.conf: the bursts
through nginx, and a replica killed (SIGKILL) while viewers are on it: what its viewers
see, and where new viewers go.

Writes benchmarks/results/load.json and the block between the load markers in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.serving import testing, viewer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboards import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (same folder)

DASHBOARDS = ["Oversikt.ipynb", "Budsjett.ipynb", "Tilskudd.ipynb",
              "Velferdsteknologi.ipynb", "Kommuner.ipynb"]
RESULTS = ROOT / "benchmarks" / "results" / "load.json"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"
DRAWN_JS = """() => { const cs = [...document.querySelectorAll('.wb-chart')];
  return cs.length > 0 && cs.every(c => c.dataset.wbRendered &&
                                   c.querySelector('svg.marks .role-mark > *')); }"""


def pct(xs: list[float], p: float) -> float | None:
    """Percentile with linear interpolation (p in 0–100)."""
    if not xs:
        return None
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


class Sampler:
    """Peak memory (RSS, PSS summed over the servers' processes) and kernel count,
    sampled in a thread every ``interval`` s (each sample reads /proc for every server
    process: load-generator CPU on the server's cores, so not more often)."""

    def __init__(self, servers, interval: float = 1.0):
        self.servers, self.interval = servers, interval
        self.peak = {"rss": 0.0, "pss": 0.0, "kernels": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            rss = pss = 0.0
            kernels = 0
            for srv in self.servers:
                if srv.proc.poll() is None:
                    m = srv.memory()
                    rss += m["total"]["rss"]
                    pss += m["total"]["pss"]
                    kernels += len(m["kernels"])
            self.peak["rss"] = max(self.peak["rss"], rss)
            self.peak["pss"] = max(self.peak["pss"], pss)
            self.peak["kernels"] = max(self.peak["kernels"], kernels)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def settle(servers, timeout: float = 300) -> None:
    """Pools full and no CPU used for a second, on every server."""
    for srv in servers:
        srv.wait_idle(quiet=1.0, threshold=0.1, timeout=timeout)


async def _burst(base: str, n: int, window: float, hold: float, seed: int) -> list:
    rnd = random.Random(seed)
    offsets = sorted(rnd.uniform(0, window) for _ in range(n)) if n > 1 else [0.0]
    return await asyncio.gather(*(viewer.visit(base, DASHBOARDS[i % len(DASHBOARDS)],
                                               hold=hold, delay=off)
                                  for i, off in enumerate(offsets)))


def burst(servers, base: str, n: int, window: float, hold: float, seed: int) -> dict:
    settle(servers)
    before = {"loadavg": loadavg(),
              "kernels": sum(len(s.kernel_pids()) for s in servers)}
    cpu0 = sum(s.cpu_seconds() for s in servers)
    with Sampler(servers) as sampler:
        t0 = time.monotonic()
        viewers = asyncio.run(_burst(base, n, window, hold, seed))
        wall = time.monotonic() - t0
    cpu = sum(s.cpu_seconds() for s in servers) - cpu0
    live = [v.t_live for v in viewers if v.live]
    out = {
        "n": n, "window_s": window, "served": len(live),
        "http_503": sum(1 for v in viewers if v.status == 503),
        "other_failures": sum(1 for v in viewers if not v.live and v.status != 503),
        "p50_live_s": pct(live, 50), "p95_live_s": pct(live, 95),
        "max_live_s": max(live) if live else None,
        "p50_page_s": pct([v.t_page for v in viewers if v.t_page is not None], 50),
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(sampler.peak["rss"]), "peak_pss_mb": round(sampler.peak["pss"]),
        "peak_kernels": sampler.peak["kernels"], "idle_kernels": before["kernels"],
        "loadavg_before": before["loadavg"],
        "failures": [v.summary() for v in viewers if not v.live][:10],
    }
    print(json.dumps({k: v for k, v in out.items() if k != "failures"}), flush=True)
    for f in out["failures"]:
        print("   failed:", json.dumps(f), flush=True)
    return out


def single(servers, base: str) -> dict:
    """One viewer at a time, one per dashboard, the server settled before each."""
    times = []
    for nb in DASHBOARDS:
        settle(servers)
        v = asyncio.run(viewer.visit(base, nb, hold=1.0))
        if v.live:
            times.append(v.t_live)
    return {"median_live_s": statistics.median(times) if times else None,
            "all_live_s": [round(t, 3) for t in times]}


def kernel_memory(srv) -> dict:
    """Each dashboard's kernel as its viewer has it, with all pools running."""
    out = {}
    for nb in DASHBOARDS:
        settle([srv])

        async def look(nb=nb):
            v = await viewer.Viewer(srv.url, nb).open()
            pid = srv.kernel_pid(v.kernel_id) if v.kernel_id else None
            mem = testing.memory_kb(pid) if pid else None
            await v.leave("polite")
            return mem

        mem = asyncio.run(look())
        if mem:
            out[nb] = {k: round(v / 1024, 1) for k, v in mem.items()}
    return out


# --- real browser -------------------------------------------------------------------------


def browser_check(srv, tabs: int = 5, window: float = 2.0) -> dict:
    """One tab alone (one per dashboard, one after the other), then ``tabs`` tabs opened
    within ``window`` s (one per dashboard), each in a fresh context: seconds from
    navigation until every chart on the page is drawn by Vega."""
    from playwright.async_api import async_playwright

    async def visit(browser, nb: str, delay: float, out: list, errors: list):
        await asyncio.sleep(delay)
        ctx = await browser.new_context()
        try:
            page = await ctx.new_page()
            t0 = time.monotonic()
            await page.goto(srv.page(nb), wait_until="commit", timeout=180_000)
            await page.wait_for_function(DRAWN_JS, timeout=180_000, polling=100)
            out.append(time.monotonic() - t0)
            await page.close(run_before_unload=True)  # the tab closes: kernel shut down
        except Exception as e:  # noqa: BLE001 — recorded
            errors.append(f"{nb}: {type(e).__name__}: {e}"[:200])
        finally:
            await ctx.close()

    async def run():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
            try:
                await visit(browser, DASHBOARDS[1], 0, [], [])  # warms the page cache
                alone, together, errors = [], [], []
                for nb in DASHBOARDS:
                    await asyncio.to_thread(settle, [srv])
                    await visit(browser, nb, 0, alone, errors)
                await asyncio.to_thread(settle, [srv])
                offsets = sorted(random.Random(7).uniform(0, window) for _ in range(tabs))
                await asyncio.gather(*(visit(browser, DASHBOARDS[i % 5], off, together,
                                             errors) for i, off in enumerate(offsets)))
            finally:
                await browser.close()
        return alone, together, errors

    alone, times, errors = asyncio.run(run())
    result = {"alone_median_s": statistics.median(alone) if alone else None,
              "alone_s": [round(t, 2) for t in alone], "tabs": tabs, "drawn": len(times),
              "p50_s": pct(times, 50), "max_s": max(times) if times else None,
              "all_s": [round(t, 2) for t in sorted(times)], "errors": errors}
    print("browser:", json.dumps(result), flush=True)
    return result


# --- reclaim ------------------------------------------------------------------------------


def back_at_idle(srv) -> bool:
    h = srv.health()
    return (h["viewers"] == 0 and h["viewers_unconnected"] == 0 and not h["starting"]
            and h["pooled"] == h["pool_size"] == h["kernels"])


def wait_gone(srv, kernel_ids: list[str], since: float, timeout: float = 180) -> dict:
    """Seconds (from ``since``) until each kernel is gone, and until back at idle."""
    import httpx

    gone: dict[str, float] = {}
    idle_at = None
    while time.monotonic() - since < timeout:
        for k in kernel_ids:
            if k not in gone and httpx.get(f"{srv.url}api/kernels/{k}",
                                           timeout=30).status_code == 404:
                gone[k] = time.monotonic() - since
        if len(gone) == len(kernel_ids) and back_at_idle(srv):
            idle_at = time.monotonic() - since
            break
        time.sleep(0.5)
    return {"last_gone_s": round(max(gone.values()), 1) if gone else None,
            "first_gone_s": round(min(gone.values()), 1) if gone else None,
            "gone": len(gone), "back_at_idle_s": idle_at and round(idle_at, 1)}


def reclaim(srv, k: int = 6) -> dict:
    """K plain GETs (no websocket), then K viewers whose connection vanishes (TCP
    dropped): seconds until their kernels are gone and the server is back at idle
    (no viewer kernel, pools full), and whether the next viewer is served."""
    import httpx

    settle([srv])
    out: dict = {"k": k, "idle_kernels": srv.health()["kernels"]}
    ids = []
    with httpx.Client(timeout=120) as http:
        for i in range(k):
            page = http.get(srv.page(DASHBOARDS[i % 5])).text
            ids.append(json.loads(viewer.CONFIG.search(page).group(1))["kernelId"])
    out["plain_get"] = wait_gone(srv, ids, time.monotonic())
    settle([srv])

    async def vanish():
        vs = await asyncio.gather(*(viewer.Viewer(srv.url, DASHBOARDS[i % 5]).open()
                                    for i in range(k)))
        for v in vs:
            await v.leave("vanish")
        return vs

    vs = asyncio.run(vanish())
    out["vanished_live"] = sum(v.live for v in vs)
    out["vanished"] = wait_gone(srv, [v.kernel_id for v in vs if v.kernel_id],
                                time.monotonic())
    nxt = asyncio.run(viewer.visit(srv.url, DASHBOARDS[1], hold=0.5))
    out["next_viewer_live_s"] = nxt.t_live
    out["reclaimed"] = srv.health()["reclaimed"]
    print("reclaim:", json.dumps(out), flush=True)
    return out


# --- two replicas behind nginx ------------------------------------------------------------


def replica_of(replicas, kernel_id: str) -> int | None:
    """Which replica holds the kernel (asked directly, not through nginx)."""
    import httpx

    for i, srv in enumerate(replicas):
        try:
            if httpx.get(f"{srv.url}api/kernels/{kernel_id}", timeout=10).status_code == 200:
                return i
        except httpx.HTTPError:
            continue
    return None


def kill_replica(replicas, proxy, stay: int = 10, after: int = 10) -> dict:
    """``stay`` viewers through nginx stay connected; replica 0 is killed (SIGKILL);
    its viewers' sockets close and nginx answers their kernel check with 404 (the page
    then shows its reload message); ``after`` new viewers all go to the survivor."""
    import httpx

    settle(replicas)
    out = {}

    async def scenario():
        vs = await asyncio.gather(*(viewer.Viewer(proxy.url, DASHBOARDS[i % 5]).open()
                                    for i in range(stay)))
        where = [replica_of(replicas, v.kernel_id) if v.kernel_id else None for v in vs]
        out["before"] = {"live": sum(v.live for v in vs),
                         "on_replica": [where.count(0), where.count(1)]}
        victims = [v for v, w in zip(vs, where, strict=True) if w == 0]
        kernels_a = [(p, testing.start_time(p)) for p in replicas[0].kernel_pids()]
        t0 = time.monotonic()
        os.kill(replicas[0].proc.pid, signal.SIGKILL)
        closed = await asyncio.gather(*(v.socket_closed(30) for v in victims))
        out["victims"] = len(victims)
        out["victim_sockets_closed"] = sum(closed)
        out["victim_sockets_closed_after_s"] = round(time.monotonic() - t0, 2)
        async with httpx.AsyncClient(timeout=30) as http:
            checks = []
            for v in victims:  # what kernel-watch.js asks, through nginx (same cookie)
                cookies = dict(v._http.cookies) if v._http else {}
                r = await http.get(f"{proxy.url}api/kernels/{v.kernel_id}", cookies=cookies)
                checks.append(r.status_code)
        out["victim_kernel_check_status"] = sorted(set(checks))
        out["victim_told_after_s"] = round(time.monotonic() - t0, 2)
        survivors = [v for v, w in zip(vs, where, strict=True) if w == 1]
        new = await asyncio.gather(*(viewer.Viewer(proxy.url, DASHBOARDS[i % 5]).open()
                                     for i in range(after)))
        on_b = [replica_of(replicas, v.kernel_id) == 1 for v in new if v.kernel_id]
        out["after"] = {"live": sum(v.live for v in new),
                        "http_503": sum(v.status == 503 for v in new),
                        "on_survivor": sum(on_b),
                        "p50_live_s": pct([v.t_live for v in new if v.live], 50),
                        "failures": [v.summary() for v in new if not v.live][:5]}
        for v in new:
            await v.leave("polite")
        # The viewers on the survivor still work: ask their kernels again.
        out["survivors"] = len(survivors)
        out["survivor_kernels_alive"] = sum(
            replica_of(replicas[1:], v.kernel_id) is not None for v in survivors)
        for v in vs:
            await v.leave("polite")
        out["kernels_left_of_killed_replica"] = [
            p for p, started in kernels_a if testing.start_time(p) == started]

    asyncio.run(scenario())
    print("kill:", json.dumps(out), flush=True)
    return out


def nginx_phase(work: Path, db: Path, bursts: list[int], window: float, hold: float,
                pool_size, max_kernels) -> dict:
    replicas = [testing.start(ROOT / "dashboards", db=db, data=work / "data",
                              log_path=work / f"replica-{i}.log", timeout=400,
                              behind_proxy=True, pool_size=pool_size,
                              max_kernels=max_kernels) for i in range(2)]
    proxy = testing.start_nginx([f"127.0.0.1:{r.port}" for r in replicas],
                                workdir=work / "nginx")
    out: dict = {"replicas": 2}
    try:
        settle(replicas)
        out["bursts"] = [burst(replicas, proxy.url, n, window, hold, seed=500 + n)
                         for n in bursts]
        out["kill"] = kill_replica(replicas, proxy)
    finally:
        proxy.stop()
        for r in replicas:
            r.stop()
    return out


# --- report -------------------------------------------------------------------------------


def fmt(x, unit="s", digits=2) -> str:
    return "—" if x is None else f"{x:.{digits}f} {unit}".strip()


def markdown(res: dict) -> str:
    meta = res["meta"]
    lines = [START, "",
             f"Measured {meta['date']} on {meta['machine']}, {meta['cores']} cores, "
             f"{meta['memory_gb']} GB, Python {meta['python']}, Voilà {meta['voila']} by "
             f"`python benchmarks/load.py` ({meta['rounds']} rounds; pool "
             f"{meta['pool']} per dashboard, cap {meta['max_kernels']} kernels; viewers "
             f"arrive at random within {meta['window']} s, stay {meta['hold']} s, close "
             f"the tab). Load average before the run {meta['loadavg_start']:.1f}; other "
             "engineers' jobs may share the machine (the load column, per burst).", ""]
    idle = res["idle"]
    zyg = (f", the kernel zygote {idle['zygote_rss_mb']:.0f} MB RSS / "
           f"{idle['zygote_pss_mb']:.0f} MB PSS") if idle.get("zygote_rss_mb") else ""
    lines += ["**Memory.** Idle server (Voilà, the zygote and "
              f"{idle['kernels']} warm kernels): {idle['rss_mb']:.0f} MB RSS, "
              f"{idle['pss_mb']:.0f} MB PSS; Voilà alone {idle['voila_rss_mb']:.0f} MB RSS / "
              f"{idle['voila_pss_mb']:.0f} MB PSS{zyg}. "
              "A viewer's kernel, per dashboard (with the pools running):", "",
              "| dashboard | RSS | PSS | USS (private) |", "|---|---:|---:|---:|"]
    for nb, m in res["kernel_memory"].items():
        lines.append(f"| {nb.removesuffix('.ipynb')} | {m['rss']:.0f} MB | {m['pss']:.0f} MB"
                     f" | {m['uss']:.0f} MB |")
    lines += ["", "**Bursts on one server.** Time from a viewer's arrival until its "
              "widgets are live; goal: 20 viewers all served, p95 ≤ 3 × the single-viewer "
              "time of the same round.", "",
              "| round | viewers | served | 503 | other failures | p50 | p95 | max | "
              "p95 / single | peak RSS | peak PSS | peak kernels | CPU | load before |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["rounds"]:
        s = r["single"]["median_live_s"]
        lines.append(f"| {r['round']} | 1 | 5/5 one at a time | — | — | {fmt(s)} | — | — | — "
                     "| — | — | — | — | — |")
        for b in r["bursts"]:
            ratio = (b["p95_live_s"] / s) if (s and b["p95_live_s"]) else None
            lines.append(
                f"| {r['round']} | {b['n']} | {b['served']} | {b['http_503']} | "
                f"{b['other_failures']} | {fmt(b['p50_live_s'])} | {fmt(b['p95_live_s'])} | "
                f"{fmt(b['max_live_s'])} | {fmt(ratio, '×', 1)} | {b['peak_rss_mb']} MB | "
                f"{b['peak_pss_mb']} MB | {b['peak_kernels']} | {b['cpu_s']} s | "
                f"{b['loadavg_before']:.1f} |")
    br = res.get("browser")
    if br:
        lines += ["", f"**Real browser.** {br['tabs']} Chromium tabs within 2 s (one per "
                  f"dashboard, fresh contexts): {br['drawn']} of {br['tabs']} drew every "
                  f"chart, p50 {fmt(br['p50_s'])}, slowest {fmt(br['max_s'])} "
                  f"({', '.join(map(str, br['all_s']))} s); one tab alone in the same run: "
                  f"median {fmt(br['alone_median_s'])} ({', '.join(map(str, br['alone_s']))} "
                  "s)." + (f" Errors: {br['errors']}." if br["errors"] else "")]
    rc = res.get("reclaim")
    if rc:
        g, v = rc["plain_get"], rc["vanished"]
        lines += ["", f"**Reclaim.** {rc['k']} plain GETs (no websocket): their kernels "
                  f"were gone {g['first_gone_s']}–{g['last_gone_s']} s after the GETs, "
                  f"the server back at idle (pools full, no viewer kernel) after "
                  f"{g['back_at_idle_s']} s; {rc['k']} viewers whose connection vanished "
                  f"(TCP dropped): kernels gone after {v['first_gone_s']}–"
                  f"{v['last_gone_s']} s, back at idle after {v['back_at_idle_s']} s; the "
                  f"next viewer was live in {fmt(rc['next_viewer_live_s'])}."]
    ng = res.get("nginx")
    if ng:
        lines += ["", "**Two replicas behind nginx** (deploy/nginx/workbench.conf, the same "
                  "machine: both replicas share its 2 cores).", "",
                  "| viewers | served | 503 | other failures | p50 | p95 | max | peak RSS | "
                  "peak PSS | peak kernels |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                  "---:|"]
        for b in ng["bursts"]:
            lines.append(f"| {b['n']} | {b['served']} | {b['http_503']} | "
                         f"{b['other_failures']} | {fmt(b['p50_live_s'])} | "
                         f"{fmt(b['p95_live_s'])} | {fmt(b['max_live_s'])} | "
                         f"{b['peak_rss_mb']} MB | {b['peak_pss_mb']} MB | "
                         f"{b['peak_kernels']} |")
        k = ng["kill"]
        lines += ["", f"**A replica killed.** {k['before']['live']} viewers live through "
                  f"nginx ({k['before']['on_replica'][0]} on replica A, "
                  f"{k['before']['on_replica'][1]} on B); A killed with SIGKILL: "
                  f"{k['victim_sockets_closed']} of {k['victims']} websockets of A's viewers "
                  f"closed within {k['victim_sockets_closed_after_s']} s, and nginx answered "
                  f"their kernel check with {k['victim_kernel_check_status']} (the page then "
                  f"shows its reload message); {k['survivor_kernels_alive']} of "
                  f"{k['survivors']} viewers on B kept their kernel; "
                  f"{k['after']['live']} of 10 new viewers were served, "
                  f"{k['after']['on_survivor']} of them by B, p50 "
                  f"{fmt(k['after']['p50_live_s'])}; "
                  f"{len(k['kernels_left_of_killed_replica'])} kernels of A were left "
                  "running."]
    lines += ["", END]
    return "\n".join(lines)


def write_doc(block: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text,
                      flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Many viewers (`python benchmarks/load.py`)\n\n" \
            + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--bursts", default="5,10,20,40")
    ap.add_argument("--window", type=float, default=2.0)
    ap.add_argument("--hold", type=float, default=5.0)
    ap.add_argument("--pool-size", type=int, help="default: serve/voila.py")
    ap.add_argument("--max-kernels", type=int, help="default: serve/voila.py")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-reclaim", action="store_true")
    ap.add_argument("--no-nginx", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    bursts = [int(x) for x in args.bursts.split(",") if x]

    from importlib import metadata

    from workbench.builder import build

    work = Path(tempfile.mkdtemp(prefix="wb-bench-load-"))
    shutil.copytree(ROOT / "data", work / "data",
                    ignore=shutil.ignore_patterns("*.duckdb", "*.wal", "loads", ".*"))
    db = work / "warehouse.duckdb"
    build(work / "data", db)
    meta = {"date": dt.date.today().isoformat(), "machine": platform.machine(),
            "cores": os.cpu_count(), "python": platform.python_version(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                               / 2**30),
            "voila": metadata.version("voila"), "rounds": args.rounds,
            "window": args.window, "hold": args.hold, "loadavg_start": loadavg()}
    res: dict = {"meta": meta}
    srv = testing.start(ROOT / "dashboards", db=db, data=work / "data",
                        log_path=work / "serve.log", timeout=400, pool_size=args.pool_size,
                        max_kernels=args.max_kernels)
    try:
        h = srv.health()
        meta.update(pool=h["pool_size"] // len(DASHBOARDS), max_kernels=h["max_kernels"])
        settle([srv])
        asyncio.run(_burst(srv.url, len(DASHBOARDS), 0.0, 0.5, seed=0))  # warm-up
        settle([srv])
        m = srv.memory()
        res["idle"] = {"kernels": len(m["kernels"]), "rss_mb": m["total"]["rss"],
                       "pss_mb": m["total"]["pss"], "voila_rss_mb": m["voila"]["rss"],
                       "voila_pss_mb": m["voila"]["pss"],
                       "zygote_rss_mb": (m["zygote"] or {}).get("rss"),
                       "zygote_pss_mb": (m["zygote"] or {}).get("pss")}
        res["kernel_memory"] = kernel_memory(srv)
        print("memory:", json.dumps(res["idle"]), json.dumps(res["kernel_memory"]),
              flush=True)
        res["rounds"] = []
        for r in range(args.rounds):
            one = single([srv], srv.url)
            print(f"round {r} single:", json.dumps(one), flush=True)
            res["rounds"].append({"round": r, "single": one, "bursts": [
                burst([srv], srv.url, n, args.window, args.hold, seed=100 * r + n)
                for n in bursts]})
        if not args.no_browser and Path(CHROMIUM).exists():
            res["browser"] = browser_check(srv)
        if not args.no_reclaim:
            res["reclaim"] = reclaim(srv)
        res["server_log_warnings"] = [line for line in srv.log().splitlines()
                                      if "ERROR" in line or "Traceback" in line][:20]
    finally:
        srv.stop()
    if not args.no_nginx and Path(testing.NGINX).exists():
        res["nginx"] = nginx_phase(work, db, bursts, args.window, args.hold,
                                   args.pool_size, args.max_kernels)
    shutil.rmtree(work, ignore_errors=True)
    block = markdown(res)
    print(block)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str) + "\n",
                           encoding="utf-8")
        write_doc(block)


if __name__ == "__main__":
    main()
