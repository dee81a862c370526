"""Dashboard filter logic in the kernel (no browser): what a viewer can choose."""
from __future__ import annotations

import ipywidgets as w
import pytest

from workbench import queries
from workbench.builder import build, load

from helpers import ROOT

EXTRA_YEAR = (
    "line_id,line_key,parent_id,budget_year,label,chapter,post,kind,amount_nok,"
    "period_start,period_end,source_id,locator,confidence,derived,note\n"
    "hto-2025,hto,,2025,Helseteknologiordningen,,,appropriation,160000000,,,"
    "ehr-2023-12-s31,Test,high,false,Et tredje år bare for denne testen.\n"
)


@pytest.fixture
def three_years(tmp_path, monkeypatch):
    db = tmp_path / "warehouse.duckdb"
    build(ROOT / "data", db)
    extra = tmp_path / "budget_lines_2025.csv"
    extra.write_text(EXTRA_YEAR, encoding="utf-8")
    load(extra, "budget_lines", db=db, data=tmp_path / "data", keep=False)
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    return db


def dropdowns(widget) -> dict[str, w.Dropdown]:
    found = {}
    if isinstance(widget, w.Dropdown):
        found[widget.description] = widget
    for child in getattr(widget, "children", ()):
        found.update(dropdowns(child))
    return found


def test_budget_comparison_only_runs_forward(three_years):
    from workbench.dashboards import budget

    assert queries.run("budget_years", db=three_years)["budget_year"].to_list() == [
        2024, 2025, 2026]
    d = dropdowns(budget.build())
    frm, to = d["Sammenlign fra"], d["til"]
    assert (frm.options, frm.value, to.options, to.value) == (
        (2024, 2025), 2024, (2025, 2026), 2026)
    frm.value = 2025
    assert (to.options, to.value, to.disabled) == ((2026,), 2026, True)
    frm.value = 2024
    assert (to.options, to.value, to.disabled) == ((2025, 2026), 2026, False)
    to.value = 2025
    assert frm.value == 2024
