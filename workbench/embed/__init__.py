"""Widgets for Voilà dashboards, offline: charts, downloads and safe error messages.

- :mod:`.vega` — :func:`chart`, an interactive Vega view of an Altair chart
  (JavaScript and CSS in ``vega.js`` / ``vega.css``);
- :mod:`.download` — :func:`download`, the «Last ned data» button;
- :mod:`.error_guard` — :func:`guarded` / :func:`guard` and :func:`install_traceback_guard`:
  an exception becomes a short Norwegian message for the viewer and a traceback in the
  server log.

Typical dashboard cell::

    import ipywidgets as w
    from workbench import embed

    embed.install_traceback_guard()
    year = w.Dropdown(options=[2024, 2026], description="År")
    view = embed.chart(budget_chart(2024))
    rows = embed.download(budget_rows(2024), "budsjett-2024.csv")

    @embed.guard(show=view)
    def on_year(change):
        view.update(budget_chart(change.new))
        rows.update(budget_rows(change.new), f"budsjett-{change.new}.csv")

    year.observe(on_year, "value")
    w.VBox([year, view, rows])
"""

from .download import Download, csv_bytes, download
from .error_guard import (
                    ERROR_MESSAGE,
                    error_text,
                    guard,
                    guarded,
                    install_traceback_guard,
                    report_error,
                    show_error,
)
from .vega import VegaChart, chart, to_spec

__all__ = ["chart", "VegaChart", "to_spec", "download", "Download", "csv_bytes", "guarded",
           "guard", "report_error", "show_error", "error_text", "install_traceback_guard",
           "ERROR_MESSAGE"]
