"""Parameters given as text, one vocabulary for named queries and reports.

``workbench query NAME -p year=2026`` and ``workbench report NAME -p aar=2026`` split,
type and check their parameters here, so the two commands agree: the same ``KEY=VALUE``
rule, the same true/false words, a repeated key is an error in both, and "no value"
(``null``, ``None`` or nothing after ``=``) means the same for an optional parameter.
Callers turn the :class:`ValueError` raised here into a message that names their query
or report.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from .errors import WorkbenchError

#: Words read as true and false, in English and Norwegian (also in data files' bool
#: columns, see :mod:`workbench.column_types`).
TRUE_WORDS = ("true", "1", "ja", "yes", "sann")
FALSE_WORDS = ("false", "0", "nei", "no", "usann")
NO_VALUE = ("", "null", "None")

#: Parameter kinds and how they are described to people.
KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false",
         "str": "text", "list": "a list", "dict": "a table", "any": "a literal value"}
#: Named queries declare SQL-flavoured names for the same kinds.
ALIASES = {"decimal": "float", "text": "str"}

_INT = re.compile(r"[+-]?[0-9]+")


def kind_of(type_name: str) -> str:
    """The kind for a declared type name (``decimal`` → ``float``)."""
    k = ALIASES.get(type_name, type_name)
    if k not in KINDS:
        raise ValueError(f"unknown parameter type {type_name!r}")
    return k


def split(items: list[str]) -> dict[str, str]:
    """``["year=2026", "parent=hto"]`` → ``{"year": "2026", "parent": "hto"}``."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise WorkbenchError(f"parameter {item!r} is not KEY=VALUE")
        if key in out:
            raise WorkbenchError(f"parameter {key} is given twice")
        out[key] = value
    return out


def parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    raise ValueError(text)


def from_text(kind: str, text: str, *, optional: bool = False) -> Any:
    """The value of ``text`` as ``kind``; None for "no value" when ``optional``."""
    stripped = text.strip()
    if optional and stripped in NO_VALUE:
        return None
    if kind == "str":
        return text
    if not stripped:
        raise ValueError(text)
    if kind == "int":
        if not _INT.fullmatch(stripped):
            raise ValueError(text)
        return int(stripped)
    if kind == "float":
        if stripped.count(",") == 1 and "." not in stripped:
            stripped = stripped.replace(",", ".")  # decimal comma: 3,5
        return float(stripped)
    if kind == "bool":
        return parse_bool(stripped)
    try:
        value = json.loads(stripped)
    except ValueError:
        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError):
            if kind == "any":
                return text
            raise ValueError(text) from None
    return check(kind, value, optional=optional)


def check(kind: str, value: Any, *, optional: bool = False) -> Any:
    """``value`` (a Python value, not text) if it is of ``kind``; ints widen to float."""
    if value is None:
        if optional:
            return None
        raise ValueError(value)
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "list": isinstance(value, (list, tuple)),
        "dict": isinstance(value, dict),
        "any": True,
    }[kind]
    if not ok or not is_literal(value):
        raise ValueError(value)
    if kind == "float":
        return float(value)
    if kind == "list":
        return list(value)
    return value


def coerce(kind: str, value: Any, *, as_text: bool, optional: bool = False) -> Any:
    """:func:`from_text` for command-line text (``as_text``), else :func:`check`."""
    if as_text and isinstance(value, str):
        return from_text(kind, value, optional=optional)
    return check(kind, value, optional=optional)


def is_literal(value: Any) -> bool:
    """Values that can be written into a notebook as a Python literal (papermill)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_literal(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_literal(v) for k, v in value.items())
    return False
