"""Writing a file so that a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: str | bytes, *, fsync: bool = False) -> Path:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    Every writer gets its own temporary file (``.<name>.<random>.tmp``), so two writers
    never share one; a process killed mid-write leaves only such a file behind, which
    nothing reads. ``fsync`` also flushes the file to disk before the rename (for files
    that must survive a power cut, not only a crash of this process).
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        # mkstemp makes the file 0600; the file takes the mode any new file gets here
        # (0644 under the usual umask), so that e.g. a server running as another user
        # can read the Vega bundle written at image build time.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return path


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask sets it, for every thread)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_copy(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Copy ``source`` to ``target`` atomically (see :func:`atomic_write`), synced to disk."""
    return atomic_write(target, Path(source).read_bytes(), fsync=True)
