"""e-helse workbench: curated Norwegian e-health governance data in DuckDB."""

__version__ = "0.1.0"

from .builder import build, load  # noqa: E402
from .database import connect  # noqa: E402
from .errors import Problem, ValidationError, WorkbenchError  # noqa: E402
from .queries import query  # noqa: E402


def __getattr__(name: str):
    # Charts pull in Altair; import them only when used (``wb.charts``).
    if name == "charts":
        import importlib

        return importlib.import_module(".charts", __name__)
    raise AttributeError(name)


__all__ = ["build", "load", "connect", "query", "charts", "Problem", "ValidationError",
           "WorkbenchError"]
