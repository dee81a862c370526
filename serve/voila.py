# Voilà configuration for `workbench serve` (read by Voilà 0.5 as its `voila` config file;
# workbench/serving/ points Voilà at this folder and at nothing else, so a user's
# ~/.jupyter/voila.* cannot change these settings). docs/serving.md explains each choice.
#
# Command-line options given by workbench/serving/ win over this file: the address
# (--Voila.ip, default 127.0.0.1), the port and the folder that is served.
# To try a setting for one run without editing this file:
#     WORKBENCH_VOILA_ARGS="--VoilaConfiguration.default_pool_size=2" workbench serve
import os

from workbench.serving.bundle import bundle_url_path

c = get_config()  # noqa: F821 (provided by traitlets when Voilà loads this file)

# --- Address ---------------------------------------------------------------------------
# Loopback only unless `workbench serve --host` says otherwise. No port hopping: if the
# port is taken, Voilà exits instead of silently serving somewhere else.
c.Voila.ip = "127.0.0.1"
c.Voila.port = 8866
c.Voila.port_retries = 0
c.Voila.open_browser = False

# Requests whose Host header is not a loopback address are refused (protects a server on
# 127.0.0.1 from DNS rebinding). workbench/serving/ sets WORKBENCH_VOILA_ALLOW_REMOTE=1 when it
# binds to another address, because then the Host is the machine's own name.
_remote = os.environ.get("WORKBENCH_VOILA_ALLOW_REMOTE") == "1"

# The browser may load scripts, styles, fonts and data only from this server: even if a
# widget or a template tried to reach a CDN, the browser would refuse. (Inline scripts
# and eval stay allowed: Voilà's page and Vega's expression compiler need them; blob: is
# how anywidget loads a widget's module.)
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])
c.Voila.tornado_settings = {
    "allow_remote_access": _remote,
    "headers": {
        "Content-Security-Policy": CSP,
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "SAMEORIGIN",
    },
}

# --- Page ------------------------------------------------------------------------------
# serve/jupyter/voila/templates/workbench: Voilà's lab template without CDN links, with a
# Norwegian message in place of an error output and a Norwegian landing page and error
# pages. Viewers cannot pick another template or theme with ?template= / ?theme=.
c.VoilaConfiguration.template = "workbench"
c.VoilaConfiguration.theme = "light"
c.VoilaConfiguration.allow_template_override = "NO"
c.VoilaConfiguration.allow_theme_override = "NO"
c.VoilaConfiguration.classic_tree = True  # the template's plain tree.html, no contents API calls
c.VoilaConfiguration.resources = {"workbench_bundle": bundle_url_path()}
c.HTMLExporter.language_code = "nb"  # <html lang="nb"> for screen readers

# --- What the viewer can see -----------------------------------------------------------
c.VoilaConfiguration.strip_sources = True     # no code cell is sent to the browser
c.VoilaConfiguration.show_tracebacks = False  # errors: message only, details in the log
c.VoilaExecutor.show_tracebacks = False
c.VoilaExecutor.cell_error_instruction = "Feilen er logget på serveren."
c.VoilaExecutor.cell_timeout_instruction = "Beregningen tok for lang tid og ble stoppet."

# /voila/files/ serves nothing: the Vega bundle is served with the template's static
# files (/voila/templates/workbench/static/), so no file of the dashboards folder needs to
# be reachable. (A dashboard that needs an image beside it would add e.g.
# r"bilder/[^/]+\.png" here; .ipynb and .py stay denied.)
c.VoilaConfiguration.file_allowlist = []
c.VoilaConfiguration.file_denylist = [r".*\.(ipynb|py|csv|duckdb|wal|parquet|xlsx|json)",
                                      r"(^|.*/)\..*"]

# Front-end extensions: jupytext's lab extension (if installed) fails to load in Voilà's
# older JupyterLab code and only logs an error; the preview extension is for JupyterLab.
c.VoilaConfiguration.extension_denylist = ["jupytext", "@voila-dashboards/jupyterlab-preview",
                                           "jupyterlab_pygments"]

# --- Kernels ---------------------------------------------------------------------------
# Preheated kernels: POOL kernels per dashboard have already run the notebook when
# viewers arrive (Voilà then sends the rendered page at once). A burst of viewers is
# served within 2 s only by kernels that are already warm: on 2 cores a new kernel costs
# ~0.8 CPU-s even forked (start, the dashboard's run, Voilà's page; docs/serving.md,
# «Capacity»). A used kernel is replaced fill_delay seconds
# later, so that the refills do not compete with the viewers of a burst.
# `workbench serve --pool-size N` overrides the pool size.
c.VoilaConfiguration.preheat_kernel = True
c.VoilaConfiguration.default_pool_size = 4
c.VoilaKernelManager.fill_delay = 10

# Kernels are forked from a zygote that has already imported ipykernel, polars, DuckDB,
# Altair and the dashboards' code (workbench/serving/forkkernel.py): a new kernel costs
# ~0.4 CPU-s instead of ~1.5 and shares those modules' memory. If forking is not
# possible, kernels start the usual way (the log says why).
c.KernelProvisionerFactory.default_provisioner_name = "workbench-fork"

# At most this many kernels at once, pooled ones included (63–87 MB PSS / 160–197 MB RSS
# each, docs/serving.md). Warm kernels give their slot up to a viewer. A viewer beyond
# the cap gets the Norwegian busy page (503 with Retry-After; it retries by itself); a
# pool refill at the cap waits up to preheat_wait seconds for a free slot.
# `workbench serve --max-kernels N` overrides the cap.
c.VoilaConfiguration.multi_kernel_manager_class = "workbench.serving.kernels.CappedKernelManager"
c.CappedKernelManager.max_kernels = 48
c.CappedKernelManager.preheat_wait = 10
c.WorkbenchVoila.busy_retry_after = 10

# Kernels come back (workbench/serving/kernels.py): a page whose websocket never opened
# (a link-preview bot, a plain GET) gives its kernel back after unconnected_timeout s; a
# page whose websocket closed and did not come back (tab killed, lid closed, network
# gone) after disconnected_timeout s. Scanned every reclaim_interval s; pooled kernels
# are never touched, busy ones never cut.
c.CappedKernelManager.unconnected_timeout = 20
c.CappedKernelManager.disconnected_timeout = 45
c.CappedKernelManager.reclaim_interval = 2

# A websocket whose other end vanished without closing (laptop lid shut, Wi-Fi gone) is
# noticed by its keep-alive ping: every 10 s, closed after 20 s without an answer
# (jupyter_server reads these tornado settings). Then disconnected_timeout applies.
c.Voila.tornado_settings["ws_ping_interval"] = 10_000
c.Voila.tornado_settings["ws_ping_timeout"] = 20_000

# A kernel that dies (out of memory, killed) is not restarted: a restarted kernel is a
# bare one, without the page's widgets, so the page would go silently dead, and a pooled
# one would be handed to a viewer as a blank page. Its page says so instead
# (kernel-watch.js), and the pool is refilled (workbench/serving/kernels.py).
c.KernelRestarter.restart_limit = 0

# A connected viewer who does nothing for 30 minutes (no widget message) loses the kernel
# too (the page then says so and offers a reload); never while it computes. Voilà also
# shuts a kernel down when its tab closes; the template fetches the tree page once so the
# _xsrf cookie that request needs exists even when a dashboard is opened directly.
c.MappingKernelManager.cull_idle_timeout = 1800
c.MappingKernelManager.cull_interval = 60
c.MappingKernelManager.cull_connected = True
c.MappingKernelManager.cull_busy = False

# A cell that runs longer than this is stopped (also the guard against nbclient#312,
# where a large ipywidgets.Output can hang execution forever).
c.VoilaExecutor.timeout = 60
c.VoilaExecutor.startup_timeout = 60
