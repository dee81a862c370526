"""The kernel zygote: one process that has imported what dashboard kernels use, and
forks a kernel for each request (run by :mod:`.forkkernel`, not by hand).

A kernel started the usual way is a new Python process that imports ipykernel, IPython,
polars, DuckDB, Altair and the workbench before the dashboard runs: ~1 CPU-s of the
~1.5 it costs, on a 2-core server. A forked kernel starts with all of that in memory,
shared with the zygote and the other kernels until written to.

Protocol, one JSON object per line: requests on stdin ``{"id", "argv", "env", "cwd",
"name"}``; on stdout ``{"ready": …}`` once, ``{"id", "pid"}`` per request (or ``{"id",
"error"}``), ``{"exited": pid, "code": …}`` whenever a kernel ends. Everything else the
zygote or a kernel prints goes to stderr (the server's log).

Lifetime: the zygote dies with the server (``PR_SET_PDEATHSIG``, and end of stdin); a
kernel dies with the zygote (the same, and ipykernel's parent poller). Each kernel is
the leader of its own session and process group, like one jupyter_client starts, with
its own working directory and environment, and is named ``wbk-<kernel id>`` (the
``comm`` of ``/proc``), so that tools can tell kernels from the zygote.

A fork copies only the calling thread: a lock another thread holds at that moment
stays locked in the child forever. So the zygote forks only while every other thread
is known and parked: polars 2 starts two kinds at import — jemalloc's background
threads, which are turned off (:mod:`.forkkernel` starts the zygote with
``_RJEM_MALLOC_CONF=background_thread:false``: it must be set before polars is
imported, and importing this module imports the workbench, hence polars), and
``polars-ooc-cleaner``, which deletes spill files and otherwise waits on a channel
holding no lock. Any other thread, or one that is not
asleep, and the zygote refuses to start (the server then starts kernels the usual way).
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import pkgutil
import random
import selectors
import signal
import sys
import threading
import time
import traceback

PR_SET_NAME = 15
PR_SET_PDEATHSIG = 1
# Threads that may exist beside the main one when the zygote forks (their /proc comm,
# 15 characters at most), as long as they are asleep.
PARKED_THREADS = {"polars-ooc-clea"}


def _prctl(option: int, arg) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, arg, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the other safeguards remain
        pass


def _die_with(parent: int) -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)


def unsafe_threads() -> list[str]:
    """Threads other than this one that are not known to be parked (empty: safe)."""
    me = str(threading.get_native_id())
    out = []
    for tid in os.listdir("/proc/self/task"):
        if tid == me:
            continue
        try:
            name = open(f"/proc/self/task/{tid}/comm").read().strip()
            state = open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:  # it ended
            continue
        if name not in PARKED_THREADS or state != "S":
            out.append(f"{name} ({state})")
    return out


def preload(names: list[str]) -> list[str]:
    """Import the modules; ``package.*`` imports the package and its submodules."""
    done = []
    for name in names:
        try:
            if name.endswith(".*"):
                pkg = importlib.import_module(name[:-2])
                for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
                    importlib.import_module(info.name)
                    done.append(info.name)
            else:
                importlib.import_module(name)
                done.append(name)
        except Exception:  # noqa: BLE001 — a kernel imports it itself, as usual
            print(f"zygote: could not preload {name}:\n{traceback.format_exc()}",
                  file=sys.stderr, flush=True)
    return done


def after_kernel_init() -> None:
    """Do what preloaded modules do at import only when a kernel is running: they were
    imported in the zygote, where there was none, and are not imported again.

    ipywidgets registers its comm targets (``jupyter.widget``, and
    ``jupyter.widget.control``, through which the page asks for every widget's state
    at once); without them the page falls back to asking widget by widget.
    """
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None:
        widgets._handle_ipython()


def _become_kernel(request: dict, zygote: int, keep: set[int], ready_w: int) -> None:
    """In the child: become the kernel of ``request``; never returns."""
    code = 1
    try:
        os.setsid()  # its own session and process group, as jupyter_client does
        _die_with(zygote)
        for fd in keep:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        os.chdir(request.get("cwd") or "/")
        os.environ.clear()
        os.environ.update(request["env"])
        _prctl(PR_SET_NAME, ("wbk-" + request.get("name", ""))[:15].encode())
        random.seed()
        os.write(ready_w, b"1")  # the zygote answers only now: the group exists
        os.close(ready_w)
        argv = list(request["argv"])
        # `python -m ipykernel_launcher -f CONNECTION_FILE ...`: what follows the module.
        args = argv[argv.index("ipykernel_launcher") + 1:]
        sys.argv = [argv[0], *args]
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize([*args, f"--IPKernelApp.parent_handle={zygote}"])
        after_kernel_init()
        app.start()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 — whatever happens, the child must not return
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    parent = os.getppid()
    _die_with(parent)
    # The protocol owns the original stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)

    def send(msg: dict) -> None:
        out.write(json.dumps(msg) + "\n")

    t0 = time.monotonic()
    loaded = preload(args)
    deadline = time.monotonic() + 5
    while unsafe_threads() and time.monotonic() < deadline:  # let them settle
        time.sleep(0.05)
    if unsafe_threads():
        send({"ready": False, "error": f"threads that may hold locks: {unsafe_threads()}"})
        return
    gc.collect()
    gc.freeze()  # what is imported stays shared with the kernels (no refcount churn)

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server to handle
    send({"ready": True, "pid": os.getpid(), "preloaded": loaded,
          "seconds": round(time.monotonic() - t0, 2)})

    stdin = sys.stdin.buffer
    sel = selectors.DefaultSelector()
    sel.register(stdin, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    children: set[int] = set()
    keep = {stdin.fileno(), out.fileno(), wake_r, wake_w}
    buffered = b""
    try:
        while True:
            for key, _ in sel.select():
                if key.fileobj == wake_r:
                    os.read(wake_r, 4096)
                    _reap(children, send)
                    continue
                chunk = os.read(stdin.fileno(), 65536)
                if not chunk:
                    return  # the server is gone
                buffered += chunk
                while b"\n" in buffered:
                    line, buffered = buffered.split(b"\n", 1)
                    if line.strip():
                        _fork(json.loads(line), children, keep, send)
            _reap(children, send)
    finally:
        for pid in children:  # the server stopped: its kernels go with it
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


def _fork(request: dict, children: set[int], keep: set[int], send) -> None:
    ready_r, ready_w = os.pipe()
    try:
        pid = os.fork()
    except OSError as e:
        os.close(ready_r)
        os.close(ready_w)
        send({"id": request.get("id"), "error": f"fork: {e}"})
        return
    if pid == 0:
        os.close(ready_r)
        _become_kernel(request, os.getppid(), keep, ready_w)
    os.close(ready_w)
    ok = os.read(ready_r, 1)  # the child has its own group (or died trying)
    os.close(ready_r)
    children.add(pid)
    if ok:
        send({"id": request.get("id"), "pid": pid})
    else:
        send({"id": request.get("id"), "error": "the kernel died while starting"})


def _reap(children: set[int], send) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        send({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main()
