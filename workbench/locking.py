"""One writer at a time: an OS file lock beside the database.

``build``, ``load`` and everything else that publishes a database take
:func:`writer_lock` on ``<database>.lock`` (``flock``). The operating system releases
the lock when its holder exits, however it exits (a killed process included), so a lock
can never be left behind. A second writer waits — saying so — for at most ``wait``
seconds, then gives up with :class:`LockTimeout`. Readers (dashboards, reports,
``query``) never take the lock: they read the published file, which is only ever
replaced whole.

While it holds the lock a writer is the only one, so it may also clear what a killed
writer left behind (:func:`remove_stale`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import WorkbenchError

#: Seconds a writer waits for another one by default ($WORKBENCH_LOCK_WAIT overrides).
DEFAULT_WAIT = 300.0
_POLL = 0.1


class LockTimeout(WorkbenchError):
    """Another writer held the lock for longer than this one would wait."""


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def default_wait() -> float:
    env = os.environ.get("WORKBENCH_LOCK_WAIT")
    if env:
        try:
            return max(0.0, float(env))
        except ValueError:
            raise WorkbenchError(f"WORKBENCH_LOCK_WAIT={env!r} is not a number of seconds") \
                from None
    return DEFAULT_WAIT


def to_stderr(text: str) -> None:
    """The default ``on_wait``: one line on standard error."""
    print(text, file=sys.stderr, flush=True)


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it into the lock file."""
    try:
        raw = os.pread(fd, 4096, 0)
        info = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (OSError, ValueError):
        info = {}
    if not info:
        return "en annen prosess"
    return f"«{info.get('what', 'skriving')}», prosess {info.get('pid')}, startet " \
           f"{info.get('since', '?')}"


@contextlib.contextmanager
def writer_lock(db: str | os.PathLike, *, what: str = "skriving",
                wait: float | None = None,
                on_wait: Callable[[str], None] | None = to_stderr) -> Iterator[None]:
    """Hold the database's writer lock for the block; wait up to ``wait`` seconds.

    ``what`` names this writer for anyone who has to wait for it («lasting av fil.csv»).
    ``on_wait`` is told once, in Norwegian, that this writer is waiting and for whom.
    """
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    wait = default_wait() if wait is None else wait
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o644)
    held = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if on_wait:
                on_wait(f"venter på at en annen lasting blir ferdig ({holder}) …")
            deadline = time.monotonic() + wait
            while True:
                time.sleep(_POLL)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"{db}: ga opp etter {wait:g} s; en annen lasting holder "
                            f"fortsatt databasen ({_holder(fd)}). Prøv igjen når den er "
                            "ferdig, eller vent lenger med --wait SEKUNDER.") from None
        held = True
        since = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "what": what, "since": since}
                                 ).encode("utf-8"), 0)
        yield
    finally:
        if held:  # a writer that gave up must not blank the holder's name
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        os.close(fd)  # releases the lock


def remove_stale(db: Path) -> list[Path]:
    """Remove what killed writers left beside ``db``; call only while holding the lock.

    Those are unfinished new databases (``.<name>.<pid>.tmp`` and their ``.wal``): no
    reader ever opens them, and with the lock held no writer is still writing one.
    """
    removed = []
    for p in db.parent.glob(f".{db.name}.*.tmp*"):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed.append(p)
    return removed
