"""A report notebook and its parameters, read without running it.

A report is a notebook in ``notebooks/reports/`` with one cell tagged ``parameters``
whose assignments are the defaults (``aar = 2024  # help text``). An unknown report, an
unknown parameter or a value of the wrong type is found here, before any kernel starts.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import params, paths
from ..errors import WorkbenchError


@dataclass(frozen=True)
class Param:
    name: str
    kind: str            # one of KINDS
    default: Any
    optional: bool       # None is accepted
    help: str = ""

    def describe(self) -> str:
        return f"{self.name} ({params.KINDS[self.kind]}, default {self.default!r})"


@dataclass(frozen=True)
class Report:
    name: str
    path: Path
    params: dict[str, Param]
    title: str

    def validate(self, values: dict[str, Any], from_text: bool = False) -> dict[str, Any]:
        """Checked and typed values, in the notebook's order; raises WorkbenchError."""
        unknown = [k for k in values if k not in self.params]
        if unknown:
            known = ", ".join(self.params) or "none"
            hint = difflib.get_close_matches(unknown[0], list(self.params), n=1)
            hint = f" (did you mean {hint[0]}?)" if hint else ""
            raise WorkbenchError(f"{self.name}: unknown parameter {unknown[0]!r}{hint}; "
                                 f"parameters are: {known}")
        return {k: self._coerce(self.params[k], values[k], from_text)
                for k in self.params if k in values}

    def _coerce(self, p: Param, value: Any, from_text: bool) -> Any:
        try:
            return params.coerce(p.kind, value, as_text=from_text, optional=p.optional)
        except ValueError:
            raise WorkbenchError(f"{self.name}: parameter {p.name} must be "
                                 f"{params.KINDS[p.kind]} (default {p.default!r}), got "
                                 f"{value!r}") from None


def report_folder(folder: str | os.PathLike | None = None) -> Path:
    if folder:
        return Path(folder)
    env = os.environ.get("WORKBENCH_REPORTS")
    return Path(env) if env else paths.PROJECT_ROOT / "notebooks" / "reports"


def available(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_")))


def find(name: str, folder: str | os.PathLike | None = None) -> Report:
    folder = report_folder(folder)
    path = folder / f"{name}.ipynb"
    if "/" in name or name.startswith((".", "_")) or not path.is_file():
        names = available(folder)
        hint = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {hint[0]}?)" if hint else ""
        raise WorkbenchError(f"unknown report {name!r}{hint}; reports in {folder}: "
                             f"{', '.join(names) or 'none'}")
    return read(path)


def read(path: Path) -> Report:
    """The report at ``path``: its parameters (from the ``parameters`` cell) and title."""
    import nbformat

    try:
        cells = nbformat.read(path, as_version=4).cells
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WorkbenchError(f"{path}: not a readable notebook ({exc})") from None
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise WorkbenchError(f"{path}: needs exactly one cell tagged 'parameters' "
                             f"(found {len(tagged)})")
    return Report(path.stem, path, notebook_parameters(path), _title(cells) or path.stem)


def _title(cells) -> str | None:
    for c in cells:
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            return None
    return None


def notebook_parameters(path: Path) -> dict[str, Param]:
    """Names, kinds and defaults of a report's parameters, without running it.

    Read by papermill's ``inspect_notebook`` (the same parser that injects them). The
    kind is the annotation if there is one (``grense: Optional[int] = None``; papermill
    does not read the ``int | None`` form), else the kind of the literal default; a
    default that is not a literal (``str(date.today())``) makes the parameter ``any``.
    A trailing comment is the parameter's help text.
    """
    import papermill

    try:
        found = papermill.inspect_notebook(str(path))
    except (ValueError, SyntaxError) as exc:
        raise WorkbenchError(f"{path}: the parameters cell cannot be read: {exc}") from None
    out: dict[str, Param] = {}
    for name, info in found.items():
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            default, kind, optional = info["default"], "any", True
        else:
            kind, optional = _kind_of(default), default is None
        annotated = info.get("inferred_type_name")
        if annotated and annotated != "None":
            kind, optional = _annotation_kind(annotated, kind, optional)
        out[name] = Param(name, kind, default, optional, info.get("help") or "")
    return out


def _kind_of(value: Any) -> str:
    for kind, typ in (("bool", bool), ("int", int), ("float", float), ("str", str),
                      ("list", (list, tuple)), ("dict", dict)):
        if isinstance(value, typ):
            return kind
    return "any"


def _annotation_kind(text: str, kind: str, optional: bool) -> tuple[str, bool]:
    text = text.replace(" ", "")
    m = re.fullmatch(r"Optional\[(.+)\]", text)
    if m:
        text, optional = m.group(1), True
    base = text.split("[")[0].lower()
    base = {"tuple": "list", "sequence": "list", "mapping": "dict"}.get(base, base)
    return (base if base in params.KINDS else kind), optional


