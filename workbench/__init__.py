"""e-helse workbench: curated Norwegian e-health governance data in DuckDB."""

__version__ = "0.1.0"

from .errors import Problem, ValidationError, WorkbenchError
from .queries import query

# Imported on first use only: a dashboard kernel needs `query` and the charts, not the
# builder (validation, readers, the catalog) — importing it cost every dashboard kernel
# ~0.8 s at start (docs/serving.md, «Memory per viewer»).
_LAZY = {"build": ("builder", "build"), "load": ("builder", "load"),
         "connect": ("database", "connect"), "charts": ("charts", None)}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        mod = importlib.import_module(f".{module}", __name__)
        return mod if attr is None else getattr(mod, attr)
    raise AttributeError(name)


__all__ = ["build", "load", "connect", "query", "charts", "Problem", "ValidationError",
           "WorkbenchError"]
