"""A meeting paper as pages of numbered lines, whatever it was read from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# How a page's text was obtained.
TEXT = "text"  # a plain-text file
PDF = "pdf"  # the text layer of a PDF page
OCR = "ocr"  # Tesseract, in this run
SCANNED = "scanned"  # no text layer, not read (run with ocr=True)


@dataclass
class Line:
    page: int
    number: int  # 1-based within the page
    text: str
    ocr_confidence: float | None = None  # Tesseract's mean word confidence (0-100)


@dataclass
class Page:
    number: int
    kind: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class Document:
    path: Path
    kind: str  # text | pdf | image
    pages: list[Page]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def lines(self) -> list[Line]:
        return [line for page in self.pages for line in page.lines]

    @property
    def scanned_pages(self) -> list[int]:
        """Pages without a text layer that were not read (``ocr=False``)."""
        return [p.number for p in self.pages if p.kind == SCANNED]

    @property
    def ocr_pages(self) -> list[int]:
        return [p.number for p in self.pages if p.kind == OCR]

    def line(self, page: int, number: int) -> Line | None:
        for p in self.pages:
            if p.number == page:
                if 1 <= number <= len(p.lines):
                    return p.lines[number - 1]
                return None
        return None

    def context(self, page: int, number: int, before: int = 3, after: int = 3
                ) -> list[Line]:
        """The lines around one line, on the same page."""
        for p in self.pages:
            if p.number == page:
                lo, hi = max(1, number - before), min(len(p.lines), number + after)
                return p.lines[lo - 1: hi]
        return []
