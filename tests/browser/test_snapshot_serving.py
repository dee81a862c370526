"""The container image's command, run on this machine: `workbench serve --no-build` on a
read-only snapshot serves the dashboards, answers a probe, and writes nothing beside the
snapshot. (The image itself cannot be built here; tests/test_deploy.py checks that the
Containerfile runs exactly this command.)"""

from __future__ import annotations

import os
import shutil
import stat

import httpx
import pytest
from test_deploy import image_command

from workbench.builder import build
from workbench.serving import testing, viewer

from .conftest import NOTEBOOKS

pytestmark = pytest.mark.slow


def test_image_command_serves_a_read_only_snapshot(tmp_path, new_project):
    project = new_project(tmp_path / "p", [NOTEBOOKS / "Graf.ipynb"])
    snapshots = tmp_path / "snapshot"
    snapshots.mkdir()
    snap = snapshots / "warehouse-2026-12-01.duckdb"
    build(project / "data", snap)
    snap.chmod(0o444)
    snapshots.chmod(0o555)
    before = {p.name: p.stat().st_mtime_ns for p in snapshots.iterdir()}

    args = image_command()[2:]  # after `workbench serve`
    args[args.index("--db") + 1] = str(snap)
    host = args.index("--host")
    del args[host:host + 2]  # loopback here instead of 0.0.0.0 (a shared machine)
    port = args.index("--port")
    del args[port:port + 2]  # a free port
    assert "--no-build" in args
    try:
        with testing.start(project / "dashboards", log_path=tmp_path / "serve.log",
                           pool_size=1, voila_args=None, env={**os.environ},
                           extra_args=args) as srv:
            v = viewer.Loop()
            try:
                seen = v.run(viewer.visit(srv.url, "Graf.ipynb", timeout=60))
            finally:
                v.close()
            assert seen.live and seen.states > 0, seen.summary()
            # A kubelet's probe comes with the pod's address as Host.
            r = httpx.get(srv.url + "healthz", headers={"Host": "10.1.2.3:8866"})
            assert r.status_code == 200
            assert r.json()["snapshot"]["file"] == snap.name
    finally:
        snapshots.chmod(0o755)
    after = {p.name: p.stat().st_mtime_ns for p in snapshots.iterdir()}
    assert after == before  # no WAL, no lock file, not modified
    assert stat.S_IMODE(snap.stat().st_mode) == 0o444
    shutil.rmtree(snapshots)
