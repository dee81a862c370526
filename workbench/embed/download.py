"""«Last ned data»: a button that downloads exactly the rows behind a chart.

On click the kernel sends the rows of the DataFrame it holds as CSV (UTF-8 with BOM,
semicolon, decimal comma — what Excel with Norwegian settings opens correctly) and the
browser saves it as a file. No Jupyter file endpoint is involved and nothing is written
on the server.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

from .. import csv_export, norsk
from ..csv_export import BOM
from .error_guard import error_text, report_error

HERE = Path(__file__).parent


def csv_bytes(df, *, separator: str = ";", decimal_comma: bool = True) -> bytes:
    """``df`` as CSV bytes: UTF-8 with BOM, ``;`` between fields, ``3,5`` for decimals.

    That is what Excel with Norwegian settings opens as columns, with æøå intact, and
    what ``workbench load`` reads back. Text that a spreadsheet would run as a formula
    gets a leading ``'`` (:mod:`workbench.csv_export`).
    """
    text = csv_export.to_csv(df, separator=separator, decimal_comma=decimal_comma)
    return BOM + text.encode("utf-8")


def rows_text(label: str, n: int) -> str:
    """«Last ned data (6 rader)»."""
    return f"{label} ({norsk.number(n)} {'rad' if n == 1 else 'rader'})"


def csv_reply(df, filename: str, **csv_options) -> tuple[dict, list[bytes]]:
    """The message (and buffer) that answers a download request: the CSV of ``df``, or
    the Norwegian error message (the traceback goes to the server log)."""
    try:
        payload = csv_bytes(df, **csv_options)
    except Exception as exc:  # noqa: BLE001
        ref = report_error(exc, f"nedlasting av {filename}")
        return {"event": "csv", "error": error_text(ref)}, []
    return {"event": "csv", "filename": filename}, [payload]


class Download(anywidget.AnyWidget):
    """A «Last ned data» button for the rows of a polars DataFrame (see :func:`download`)."""

    _esm = HERE / "download.js"
    _css = (HERE / "messages.css").read_text(encoding="utf-8") + (
        HERE / "download.css").read_text(encoding="utf-8")
    text = traitlets.Unicode("").tag(sync=True)
    filename = traitlets.Unicode("data.csv").tag(sync=True)
    rows = traitlets.Int(0).tag(sync=True)

    def __init__(self, df, filename: str = "data.csv", label: str = "Last ned data",
                 *, separator: str = ";", decimal_comma: bool = True, **kwargs):
        self.label = label
        self._df = df
        self._csv_options = {"separator": separator, "decimal_comma": decimal_comma}
        super().__init__(filename=filename, rows=df.height,
                         text=rows_text(label, df.height), **kwargs)
        self.on_msg(self._on_message)

    @property
    def data(self):
        return self._df

    def update(self, df, filename: str | None = None) -> None:
        """Offer ``df`` instead (e.g. after a filter changed)."""
        self._df = df
        with self.hold_sync():
            if filename:
                self.filename = filename
            self.rows = df.height
            self.text = rows_text(self.label, df.height)

    def _on_message(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or content.get("event") != "download":
            return
        reply, buffers = csv_reply(self._df, self.filename, **self._csv_options)
        self.send(reply, buffers=buffers)


def download(df, filename: str = "data.csv", label: str = "Last ned data", **kwargs
             ) -> Download:
    """A button that downloads exactly the rows of ``df`` as CSV (see :func:`csv_bytes`)."""
    return Download(df, filename, label, **kwargs)
