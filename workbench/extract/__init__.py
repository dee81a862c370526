"""From a meeting paper to reviewed, loaded rows: extract, review, accept.

    from workbench import extract
    result = extract.extract("sakspapir.pdf", source_id="ehr-2026-02")   # writes the CSV
    extract.accept("sakspapir.forslag.csv")                               # loads the «ja» rows

``propose`` reads a paper and proposes every figure (nothing written); ``extract`` also
writes the proposals CSV and the proposed sources rows; ``accept`` maps the accepted
proposals onto their datasets and loads them through the validated ``workbench.load``;
``review`` (JupyterLab) shows the proposals with their context and loads with one button.
"""

from .accept import MAPPING, AcceptResult, accept, accept_proposals
from .extractor import Extraction, default_out, extract, propose, sources_out
from .proposals import Proposal
from .proposals import read as read_proposals
from .proposals import write as write_proposals


def review(document=None, **kw):
    """The review widget for a document (see :class:`workbench.extract.widget.Review`)."""
    from .widget import Review

    return Review.from_document(document or example_paper(), **kw)


def example_paper():
    """The worked example's meeting paper (docs/extract.md)."""
    from ..paths import PROJECT_ROOT

    return PROJECT_ROOT / "docs" / "eksempel" / "ehr-2026-02-sakspapir.txt"


__all__ = [
    "MAPPING",
    "AcceptResult",
    "Extraction",
    "Proposal",
    "accept",
    "accept_proposals",
    "default_out",
    "example_paper",
    "extract",
    "propose",
    "read_proposals",
    "review",
    "sources_out",
    "write_proposals",
]
