"""Kernels forked from the zygote (workbench/serving/forkkernel.py) behave like kernels
jupyter_client starts: their own working directory, environment and process group;
interrupt, restart, shutdown and kill work; nothing is left behind — not when the
zygote dies, not when the server that started it is killed; and when forking is not
possible the kernel starts the usual way."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager
from traitlets.config import Config

from workbench.serving import testing
from workbench.serving.forkkernel import ForkedProcess, Zygote

pytestmark = pytest.mark.slow

LIGHT = ["ipykernel.kernelapp", "ipykernel.ipkernel"]  # fast zygote for these tests


def config(**provisioner) -> Config:
    c = Config()
    c.KernelProvisionerFactory.default_provisioner_name = "workbench-fork"
    c.ForkProvisioner.preload = LIGHT
    for key, value in provisioner.items():
        setattr(c.ForkProvisioner, key, value)
    return c


async def start(cfg: Config, **kwargs) -> tuple[AsyncKernelManager, object]:
    from jupyter_client.provisioning import KernelProvisionerFactory

    # The factory is a process-wide singleton: configure it for this kernel only.
    factory = KernelProvisionerFactory.instance()
    default = factory.default_provisioner_name
    factory.default_provisioner_name = "workbench-fork"
    km = AsyncKernelManager(kernel_name="python3", config=cfg)
    try:
        await km.start_kernel(**kwargs)
    finally:
        factory.default_provisioner_name = default
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    return km, kc


async def run(kc, code: str, timeout: float = 60) -> tuple[str, str]:
    out: list[str] = []
    reply = await kc.execute_interactive(
        code, timeout=timeout, output_hook=lambda m: out.append(m["content"].get("text", "")))
    return reply["content"]["status"], "".join(out)


def alive(pid: int) -> bool:
    state = testing._stat(pid)
    return state is not None and state[0] != "Z"


def wait_dead(pids, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, [p for p in pids if alive(p)]
        time.sleep(0.1)


async def close_zygote() -> None:
    if Zygote._current is not None:
        await Zygote._current.close()
    Zygote._failed = None  # the next test may fork again at once


def test_forked_kernels_behave_like_started_ones(tmp_path):
    async def scenario():
        try:
            a_dir, b_dir = tmp_path / "a", tmp_path / "b"
            a_dir.mkdir()
            b_dir.mkdir()
            ka, ca = await start(config(), env={**os.environ, "WB_WHO": "a"}, cwd=str(a_dir))
            kb, cb = await start(config(), env={**os.environ, "WB_WHO": "b"}, cwd=str(b_dir))
            for km in (ka, kb):
                assert isinstance(km.provisioner.process, ForkedProcess)
            zygote = Zygote._current.pid
            probe = ("import os; print(os.getcwd(), os.environ['WB_WHO'], os.getppid(), "
                     "os.getpgid(0) == os.getpid(), open('/proc/self/comm').read().strip())")
            for (km, kc), (where, who) in zip([(ka, ca), (kb, cb)],
                                               [(a_dir, "a"), (b_dir, "b")], strict=True):
                status, out = await run(kc, probe)
                cwd, env, ppid, leader, name = out.split()
                assert status == "ok" and (cwd, env) == (str(where), who)
                assert int(ppid) == zygote and leader == "True"
                assert name.startswith("wbk-") and km.kernel_id.startswith(name[4:])

            # Interrupt: SIGINT to the kernel's process group.
            busy = asyncio.ensure_future(run(ca, "import time\ntry:\n    time.sleep(60)\n"
                                                 "except KeyboardInterrupt:\n    print('avbrutt')"))
            await asyncio.sleep(1)
            await ka.interrupt_kernel()
            assert (await busy) == ("ok", "avbrutt\n")

            # Restart: a new process, forked again, that works.
            old = ka.provisioner.pid
            await ka.restart_kernel(now=False)
            await ca.wait_for_ready(timeout=60)
            assert ka.provisioner.pid != old and isinstance(ka.provisioner.process,
                                                            ForkedProcess)
            assert await run(ca, "print(6 * 7)") == ("ok", "42\n")
            wait_dead([old])

            # Shutdown (polite) and kill: the processes are gone and reaped.
            pid = ka.provisioner.pid
            await ka.shutdown_kernel(now=False)
            wait_dead([pid])
            assert not await ka.is_alive()
            pid = kb.provisioner.pid
            await kb.shutdown_kernel(now=True)
            wait_dead([pid])
            for kc in (ca, cb):
                kc.stop_channels()
        finally:
            await close_zygote()

    asyncio.run(scenario())


def test_when_the_zygote_dies_its_kernels_die_and_a_new_one_takes_over():
    async def scenario():
        try:
            km, kc = await start(config())
            first, kernel = Zygote._current.pid, km.provisioner.pid
            os.kill(first, signal.SIGKILL)
            wait_dead([first, kernel])
            # The server sees the kernel gone (its pidfd turns readable once every thread
            # has exited, a moment after the leader shows as a zombie).
            deadline = time.monotonic() + 10
            while await km.is_alive():
                assert time.monotonic() < deadline, "the kernel still looks alive"
                await asyncio.sleep(0.05)
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            km2, kc2 = await start(config())  # the next kernel: a new zygote
            assert Zygote._current.pid != first
            assert await run(kc2, "print('igjen')") == ("ok", "igjen\n")
            kc2.stop_channels()
            await km2.shutdown_kernel(now=True)
        finally:
            await close_zygote()

    asyncio.run(scenario())


def test_kernels_start_the_usual_way_when_forking_is_not_possible():
    async def scenario():
        try:
            # A zygote that cannot get ready in time: the kernel is started as usual.
            km, kc = await start(config(start_timeout=0.01))
            assert not isinstance(km.provisioner.process, ForkedProcess)
            assert await run(kc, "print('vanlig')") == ("ok", "vanlig\n")
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            # The failure is remembered: the next kernel does not try (and wait for) a
            # zygote again, even one that would now have time to start.
            t0 = time.monotonic()
            km, kc = await start(config(start_timeout=120))
            assert not isinstance(km.provisioner.process, ForkedProcess)
            assert Zygote._current is None or not Zygote._current.alive
            print(f"second kernel, no zygote tried: {time.monotonic() - t0:.1f} s")
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        finally:
            await close_zygote()

    asyncio.run(scenario())


SERVER = textwrap.dedent("""
    import asyncio, os, sys
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import KernelProvisionerFactory
    from traitlets.config import Config
    KernelProvisionerFactory.instance().default_provisioner_name = "workbench-fork"
    async def main():
        c = Config(); c.ForkProvisioner.preload = %r
        kms = []
        for _ in range(2):
            km = AsyncKernelManager(kernel_name="python3", config=c)
            await km.start_kernel()
            kms.append(km)
        print(" ".join(str(km.provisioner.pid) for km in kms), flush=True)
        await asyncio.sleep(600)
    asyncio.run(main())
""") % (LIGHT,)


def test_a_killed_server_leaves_no_zygote_and_no_kernel(tmp_path):
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        kernels = [int(p) for p in proc.stdout.readline().split()]
        tree = testing.process_tree(proc.pid)
        assert len(kernels) == 2 and all(k in tree for k in kernels)
        assert len(tree) == 4  # the server, the zygote, two kernels
        proc.kill()
        proc.wait()
        wait_dead(tree[1:])
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not [p for p in tree[1:] if Path(f"/proc/{p}").exists() and alive(p)]
