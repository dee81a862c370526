"""Problems found in input, reported for people: file, line, column, value, expectation."""

from __future__ import annotations

import re
from dataclasses import dataclass

# How many problems of one kind (same column and message) are listed before the rest
# are summarised as a count: a 5-million-row file with a wrong column should not print
# 5 million lines.
MAX_PER_KIND = 20
# How many unexpected or missing header columns are named before «… og N til».
MAX_HEADER_NAMES = 10


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.column:
            parts.append(self.column)
        text = self.message
        if self.value is not None:
            text = f"{_quote(self.value)} {self.message}"
        return printable(": ".join(parts + [text]))


def _quote(value: str) -> str:
    return '"' + shorten(value).replace('"', '\\"') + '"'


def shorten(text: str, limit: int = 60) -> str:
    """At most ``limit`` characters of ``text`` (a 50 MB value is shown by its start)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\x00``, ``\\x1b``): a message must not
    ring the terminal's bell, move its cursor or change its colours."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", text.replace("\t", "\\t"))


class WorkbenchError(Exception):
    """An error meant for the user: printed without a traceback, non-zero exit."""


class NoDatabase(WorkbenchError):
    """There is no published database at the path yet."""

    def __init__(self, path) -> None:
        super().__init__(f"{path}: no database here yet; run `workbench build` first")


class UnknownDataset(WorkbenchError):
    """A dataset name that is not in the catalog."""


class ValidationError(WorkbenchError):
    """One or more problems in an input file; nothing was written."""

    def __init__(self, problems: list[Problem], omitted: int = 0):
        self.problems = problems
        self.omitted = omitted
        super().__init__(self.report())

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.omitted:
            lines.append(f"... and {self.omitted} more problems of the same kinds")
        return "\n".join(lines)


def cap(problems: list[Problem]) -> tuple[list[Problem], int]:
    """Keep at most MAX_PER_KIND problems per (column, message); count the rest."""
    kept: list[Problem] = []
    seen: dict[tuple[str | None, str], int] = {}
    omitted = 0
    for p in problems:
        k = (p.column, p.message)
        seen[k] = seen.get(k, 0) + 1
        if seen[k] <= MAX_PER_KIND:
            kept.append(p)
        else:
            omitted += 1
    return kept, omitted
