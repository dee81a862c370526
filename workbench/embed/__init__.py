"""Widgets for Voilà dashboards, offline: charts, downloads and safe error messages.

- :mod:`.vega` — :func:`chart`, an interactive Vega view of an Altair chart with its
  buttons «Last ned PNG», «Last ned SVG», «Last ned data» (with ``data=``) and «Vis som
  tabell», named and described for screen readers (JavaScript and CSS in ``vega.js`` /
  ``vega.css``);
- :mod:`.download` — :func:`download`, a stand-alone «Last ned data» button;
- :mod:`.error_guard` — :func:`guarded` / :func:`guard` and :func:`install_traceback_guard`:
  an exception becomes a short Norwegian message for the viewer and a traceback in the
  server log.

Typical dashboard cell::

    import ipywidgets as w
    from workbench import embed

    embed.install_traceback_guard()
    year = w.Dropdown(options=[2024, 2026], description="År")
    df = budget_rows(2024)
    view = embed.chart(budget_chart(df), data=df, filename="budsjett-2024.csv")

    @embed.guard(show=view)
    def on_year(change):
        df = budget_rows(change.new)
        view.update(budget_chart(df), data=df, filename=f"budsjett-{change.new}.csv")

    year.observe(on_year, "value")
    w.VBox([year, view])
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
