"""e-helse workbench: curated Norwegian e-health governance data in DuckDB."""

__version__ = "0.1.0"

from .builder import build, load  # noqa: E402
from .database import connect  # noqa: E402
from .errors import Problem, ValidationError, WorkbenchError  # noqa: E402

__all__ = ["build", "load", "connect", "Problem", "ValidationError", "WorkbenchError"]
