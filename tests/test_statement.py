"""The tilgjengelighetserklæring: docs/tilgjengelighet.md and the page the dashboards'
footer links to (workbench.statement) say the same, in Uutilsynet's order, and every test
it names exists. (The served page itself is checked with axe in
tests/browser/test_accessibility.py.)"""
from __future__ import annotations

import re

from workbench import statement

from helpers import ROOT

SECTIONS = ["I hvilken grad er nettstedet i samsvar med kravene til universell utforming?",
            "Hva betyr bruddene for brukerne?", "Meld gjerne fra om brudd på kravene",
            "Klage", "Status for innhold som ikke er universelt utformet",
            "Hvordan løsningen er testet"]


def test_the_served_page_is_the_rendered_statement():
    text = statement.SOURCE.read_text(encoding="utf-8")
    assert statement.PAGE.read_text(encoding="utf-8") == statement.render(text), \
        "run `make docs` (python -m workbench.statement) after editing the statement"


def test_the_statement_has_uutilsynets_sections_in_order():
    text = statement.SOURCE.read_text(encoding="utf-8")
    headings = [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]
    assert [h for h in headings if h in SECTIONS] == SECTIONS
    assert text.startswith("# Tilgjengelighetserklæring")
    assert "Ikke testet" in text and "Kontrollert for hånd" in text


def test_every_test_the_statement_names_exists():
    text = statement.SOURCE.read_text(encoding="utf-8")
    named = set(re.findall(r"`(test_\w+)`", text))
    assert len(named) >= 10
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"),
                                  re.MULTILINE))
    assert named <= defined, sorted(named - defined)


def test_the_page_is_norwegian_and_loads_nothing():
    from workbench.reports.export import external_resources

    page = statement.PAGE.read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="nb">')
    assert "<main>" in page and page.count("<h1>") == 1
    assert external_resources(page) == [] and "<script" not in page
    assert '<th scope="col">' in page
