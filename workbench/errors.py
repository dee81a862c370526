"""Problems found in input, reported for people: file, line, column, value, expectation."""

from __future__ import annotations

from dataclasses import dataclass

# How many problems of one kind (same column and message) are listed before the rest
# are summarised as a count: a 5-million-row file with a wrong column should not print
# 5 million lines.
MAX_PER_KIND = 20


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
        return ": ".join(parts + [text])


def _quote(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return '"' + shown.replace('"', '\\"') + '"'


class WorkbenchError(Exception):
    """An error meant for the user: printed without a traceback, non-zero exit."""


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
