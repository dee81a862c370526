"""e-helse workbench: curated Norwegian e-health governance data in DuckDB."""

__version__ = "0.1.0"

from .builder import build, load
from .database import connect
from .errors import Problem, ValidationError, WorkbenchError
from .queries import query


def __getattr__(name: str):
    # Charts pull in Altair; import them only when used (``wb.charts``).
    if name == "charts":
        import importlib

        return importlib.import_module(".charts", __name__)
    raise AttributeError(name)


__all__ = ["build", "load", "connect", "query", "charts", "Problem", "ValidationError",
           "WorkbenchError"]
