"""The analyst notebooks run top to bottom on a real kernel, and are committed clean."""
from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

from workbench.builder import build

from helpers import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Notebooks that are tools rather than explorations draw no chart
# (tests/test_extract_slow.py checks what the review notebook does).
TOOLS = {"06_nye_tall.ipynb"}


def test_there_is_a_getting_started_notebook_and_one_per_area():
    names = [p.name for p in NOTEBOOKS]
    assert names == ["00_kom_i_gang.ipynb", "01_budsjett.ipynb", "02_tilskudd.ipynb",
                     "03_velferdsteknologi.ipynb", "04_kommuner.ipynb",
                     "05_kilder_og_kommuner.ipynb", "06_nye_tall.ipynb"]


def test_every_dataset_is_explored_in_some_notebook():
    import re

    from workbench import catalog
    from workbench.queries import catalog as query_catalog

    # A dataset counts as explored when a notebook names it or runs a query reading it.
    code = "\n".join(cell.source for p in NOTEBOOKS
                     for cell in nbformat.read(p, as_version=4).cells)
    used_sql = [q.sql for name, q in query_catalog().items() if f'"{name}"' in code]
    missing = [d for d in catalog.DATASETS
               if not re.search(rf"\b{d}\b", code)
               and not any(re.search(rf"\b{d}\b", sql) for sql in used_sql)]
    assert not missing, f"no notebook explores {missing}"


REPO_NOTEBOOKS = sorted(p for folder in ("notebooks", "dashboards", "benchmarks", "tests")
                        for p in (ROOT / folder).rglob("*.ipynb")
                        if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", REPO_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("nb") / "warehouse.duckdb"
    build(ROOT / "data", path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, db, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    nb = nbformat.read(path, as_version=4)
    # A timeout on every cell: nbclient can otherwise hang (jupyter/nbclient#312).
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    if path.name in TOOLS:
        return
    assert svgs, "every notebook draws at least one chart"
    for o in svgs:
        assert "Kilde: " in o["data"]["image/svg+xml"]
