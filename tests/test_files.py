"""Atomic writes: the reader sees old or new content, and the file gets the mode any new
file gets (a server running as another user can read what the image build wrote)."""

from __future__ import annotations

import os
import stat

import pytest

from workbench.files import atomic_write


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_an_atomic_write_takes_the_umask_mode(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = atomic_write(tmp_path / "a.txt", "hei")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_text() == "hei"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary left
