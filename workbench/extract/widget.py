"""The review widget: proposals as a table with quote and context, one button to load.

In JupyterLab (``notebooks/06_nye_tall.ipynb``)::

    from workbench import extract
    gjennomgang = extract.review("sakspapir.pdf")
    gjennomgang

Each proposal shows its quote with the figure highlighted; «Vis» shows the lines around
it. The analyst accepts (ja) or rejects (nei) it and may edit value, dataset, key, label,
year, group, measure and extra; «Last likevel» loads a figure the database already has.
«Last inn godkjente» loads the accepted rows (and the confirmed sources rows) through
the same all-or-nothing path as ``workbench accept``.
"""

from __future__ import annotations

import html
import os
from dataclasses import replace
from pathlib import Path

import ipywidgets as w

from ..errors import ValidationError, WorkbenchError
from . import extractor
from . import proposals as P
from .accept import MAPPING, AcceptResult, accept_proposals, decision
from .document import Document
from .figures import UNITS
from .proposals import Proposal

PAGE_SIZE = 12
DECISIONS = (("–", ""), ("ja", "ja"), ("nei", "nei"))
_EDITABLE = (("value", "Verdi", "7em"), ("dataset", "Datasett", "11em"),
             ("key", "Nøkkel", "12em"), ("label", "Etikett", "16em"),
             ("year", "År", "5em"), ("group", "Gruppe", "9em"),
             ("measure", "Måltype", "9em"), ("extra", "Ekstra (navn=verdi; …)", "14em"))


def _canonical(p: Proposal) -> str:
    """«ja», «nei» or «» for every word `workbench accept` takes («x», «j», «yes» …), so
    that the table shows and filters what «Last inn godkjente» would load; a word it
    does not take stays as written (loading then names it)."""
    try:
        return {True: "ja", False: "nei", None: ""}[decision(p)]
    except ValueError:
        return p.accept


class Review(w.VBox):
    """Review proposals for one document and load the accepted ones."""

    def __init__(self, proposals: list[Proposal], *, document: Document | None = None,
                 sources: list[dict] = (), origin: str = "gjennomgang",
                 db: str | os.PathLike | None = None,
                 data: str | os.PathLike | None = None, page_size: int = PAGE_SIZE):
        self.proposals = [replace(p, csv_line=i + 2, accept=_canonical(p))
                          for i, p in enumerate(proposals)]
        self.document = document
        self.sources = [dict(s) for s in sources]
        self.origin = origin
        self.db, self.data = db, data
        self.page_size = page_size
        self.page = 0
        self.result: AcceptResult | None = None
        self.confirm_sources: w.Checkbox | None = None

        self.show = w.Dropdown(description="Vis", value="alle", options=[
            ("alle", "alle"), ("ikke avgjort", "open"), ("godkjent", "ja"),
            ("avvist", "nei")], layout=w.Layout(width="14em"))
        self.hide_known = w.Checkbox(description="Skjul tall som finnes fra før",
                                     value=False, indent=False)
        self.prev = w.Button(description="◀ Forrige", layout=w.Layout(width="8em"))
        self.next = w.Button(description="Neste ▶", layout=w.Layout(width="8em"))
        self.position = w.HTML()
        self.table = w.VBox()
        self.context = w.HTML("<i>Trykk «Vis» ved et forslag for å se linjene rundt.</i>")
        self.sources_box = self._sources_box()
        self.load_button = w.Button(description="Last inn godkjente", button_style="primary",
                                    icon="upload", layout=w.Layout(width="16em"))
        self.save_path = w.Text(description="Lagre som",
                                value=str(extractor.default_out(document.path))
                                if document else "forslag.csv",
                                layout=w.Layout(width="36em"))
        self.save_button = w.Button(description="Lagre forslag (CSV)", icon="save")
        self.message = w.HTML()
        for control in (self.show, self.hide_known):
            control.observe(lambda _: self._goto(0), names="value")
        self.prev.on_click(lambda _: self._goto(self.page - 1))
        self.next.on_click(lambda _: self._goto(self.page + 1))
        self.load_button.on_click(lambda _: self._safely(self.load))
        self.save_button.on_click(lambda _: self._safely(self.save))
        super().__init__([
            w.HTML(self._title()),
            w.HBox([self.show, self.hide_known]),
            w.HBox([self.prev, self.next, self.position]),
            self.table, self.context, self.sources_box,
            w.HBox([self.load_button]), w.HBox([self.save_path, self.save_button]),
            self.message])
        self._goto(0)

    @classmethod
    def from_document(cls, path: str | os.PathLike, *, source_id: str | None = None,
                      ocr: bool = False, db=None, data=None, **kw) -> Review:
        """Propose the figures of ``path`` and review them."""
        r = extractor.propose(path, source_id=source_id, ocr=ocr, db=db)
        return cls(r.proposals, document=r.document, sources=r.sources,
                   origin=extractor.default_out(path).name, db=db, data=data, **kw)

    @classmethod
    def from_csv(cls, path: str | os.PathLike, *, document: str | os.PathLike | None = None,
                 db=None, data=None, **kw) -> Review:
        """Review a proposals CSV (context lines when the document is given)."""
        from .reader import read

        path = Path(path)
        side = extractor.sources_out(path)
        sources = [r for _, r in P.read_sources(side)] if side.is_file() else []
        doc = read(document) if document else None
        return cls(P.read(path), document=doc, sources=sources, origin=path.name, db=db,
                   data=data, **kw)

    # --- what the analyst does -------------------------------------------------------

    def decide(self, index: int, accept: str = "ja", **fields) -> None:
        """Set a proposal's decision and fields, as the table's controls do."""
        p = self.proposals[index]
        p.accept = accept
        for k, v in fields.items():
            if k not in {f for f, _, _ in _EDITABLE} | {"unit", "source_id", "locator",
                                                      "known"}:
                raise KeyError(k)
            setattr(p, k, str(v))
        self._goto(self.page)

    def load(self) -> AcceptResult | None:
        """Load the accepted proposals (and confirmed sources rows); show the outcome."""
        src_rows = [(i + 2, s) for i, s in enumerate(self.sources)]
        doc_name = self.document.name if self.document else self.origin
        try:
            self.result = accept_proposals(
                self.proposals, origin=self.origin, document=doc_name, db=self.db,
                data=self.data, source_rows=src_rows, sources_origin="kilderader")
        except ValidationError as exc:
            self.result = None
            items = "".join(f"<li>{self._problem(pr)}</li>" for pr in exc.problems)
            self.message.value = (f"<div style='color:#a4262c'><b>Ingenting ble lastet "
                                  f"inn.</b> {len(exc.problems)} problem(er) må rettes:"
                                  f"<ul>{items}</ul></div>")
            return None
        except WorkbenchError as exc:
            self.result = None
            self.message.value = (f"<div style='color:#a4262c'><b>Ingenting ble lastet "
                                  f"inn:</b> {html.escape(str(exc))}</div>")
            return None
        r = self.result
        if not r.loaded:
            self.message.value = "Ingen forslag er godkjent ennå (velg «ja»)."
            return r
        parts = ", ".join(f"{n} i {html.escape(d)}" for d, n in r.loaded.items())
        self.message.value = (f"<div style='color:#0b6a0b'><b>Lastet inn:</b> {parts}. "
                              f"{r.rejected} avvist, {r.undecided} ikke avgjort. Kjør "
                              f"<code>workbench build</code> eller åpne dashbordene på nytt "
                              f"for å se tallene.</div>")
        return r

    def save(self) -> Path:
        out = P.write(self.proposals, self.save_path.value)
        if self.sources:
            P.write_sources(self.sources, extractor.sources_out(out))
        self.message.value = f"Lagret {len(self.proposals)} forslag i {html.escape(str(out))}."
        return out

    def _safely(self, action) -> None:
        """A button's action; an unexpected error is shown, not lost in the log."""
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - shown to the analyst, not lost in a log
            self.message.value = (f"<div style='color:#a4262c'><b>Uventet feil:</b> "
                                  f"{html.escape(type(exc).__name__)}: "
                                  f"{html.escape(str(exc))}</div>")

    # --- drawing ---------------------------------------------------------------------

    def _title(self) -> str:
        name = html.escape(self.document.name) if self.document else html.escape(self.origin)
        known = sum(bool(p.known) for p in self.proposals)
        scanned = self.document.scanned_pages if self.document else []
        text = (f"<h3 style='margin:0.2em 0'>Nye tall fra {name}</h3>"
                f"{len(self.proposals)} forslag, {known} finnes allerede i databasen.")
        if scanned:
            text += (f" <b>Side {', '.join(map(str, scanned))} har ikke tekstlag</b> "
                     f"(skannet?): kjør med <code>ocr=True</code> for å lese dem.")
        return text

    def _visible(self) -> list[int]:
        out = []
        for i, p in enumerate(self.proposals):
            if self.hide_known.value and p.known:
                continue
            choice = self.show.value
            a = p.accept.strip().lower()
            if choice == "open" and a:
                continue
            if choice in ("ja", "nei") and a != choice:
                continue
            out.append(i)
        return out

    def _goto(self, page: int) -> None:
        visible = self._visible()
        pages = max(1, -(-len(visible) // self.page_size))
        self.page = min(max(0, page), pages - 1)
        chunk = visible[self.page * self.page_size: (self.page + 1) * self.page_size]
        self.position.value = (f"&nbsp;Side {self.page + 1} av {pages} "
                               f"({len(visible)} forslag)")
        self.prev.disabled = self.page == 0
        self.next.disabled = self.page >= pages - 1
        header = w.HBox([w.HTML(f"<b>{t}</b>", layout=w.Layout(width=wd))
                         for t, wd in [("Godkjenn", "9em"), ("Sitat", "22em")] +
                         [(label, wd) for _, label, wd in _EDITABLE] +
                         [("Enhet", "6em"), ("Sikkerhet", "5em"), ("", "4em")]])
        self.table.children = [header] + [self._row(i) for i in chunk]

    def _row(self, i: int) -> w.HBox:
        p = self.proposals[i]
        decision = w.ToggleButtons(options=DECISIONS, value=p.accept.strip().lower()
                                   if p.accept.strip().lower() in ("", "ja", "nei") else "",
                                   style={"button_width": "2.6em"},
                                   layout=w.Layout(width="9em"))
        decision.observe(lambda ch, p=p: setattr(p, "accept", ch["new"]), names="value")
        known = (f"<br><small style='color:#8a6d00'>finnes: {html.escape(p.known)}</small>"
                 if p.known else "")
        quote = w.HTML(f"<small>s. {p.page}, l. {p.line}</small><br>"
                       f"{highlight(p.quote, p.raw)}{known}", layout=w.Layout(width="22em"))
        first = [decision]
        if p.known:
            anyway = w.Button(description="Last likevel", layout=w.Layout(width="9em"),
                              tooltip="Tallet finnes fra før; last det inn likevel")
            anyway.on_click(lambda _, p=p: (setattr(p, "known", ""), self._goto(self.page)))
            first = [w.VBox([decision, anyway], layout=w.Layout(width="9em"))]
        cells = first + [quote]
        for field, label, width in _EDITABLE:
            if field == "dataset":
                options = [("", "")] + [(d, d) for d in MAPPING]
                value = p.dataset if p.dataset in MAPPING else ""
                ctl = w.Dropdown(options=options, value=value, layout=w.Layout(width=width))
            else:
                ctl = w.Text(value=getattr(p, field), layout=w.Layout(width=width),
                             tooltip=label)
            ctl.observe(lambda ch, p=p, f=field: setattr(p, f, ch["new"]), names="value")
            cells.append(ctl)
        unit = w.Dropdown(options=UNITS, value=p.unit if p.unit in UNITS else "other",
                          layout=w.Layout(width="6em"))
        unit.observe(lambda ch, p=p: setattr(p, "unit", ch["new"]), names="value")
        colour = {"high": "#0b6a0b", "medium": "#8a6d00", "low": "#a4262c"}.get(
            p.confidence, "#333")
        conf = w.HTML(f"<span style='color:{colour}'>{html.escape(p.confidence)}</span>",
                      layout=w.Layout(width="5em"))
        show = w.Button(description="Vis", layout=w.Layout(width="4em"),
                        tooltip="Vis linjene rundt tallet")
        show.on_click(lambda _, i=i: self.show_context(i))
        return w.HBox(cells + [unit, conf, show])

    def show_context(self, index: int) -> None:
        p = self.proposals[index]
        if self.document is None:
            self.context.value = f"<b>Sitat:</b> {highlight(p.quote, p.raw)}"
            return
        rows = []
        for line in self.document.context(p.page, p.line):
            text = highlight(line.text, p.raw) if line.number == p.line else \
                html.escape(line.text)
            style = "background:#fff8d6" if line.number == p.line else ""
            rows.append(f"<tr style='{style}'><td style='color:#666;padding-right:1em'>"
                        f"{line.number}</td><td style='white-space:pre-wrap'>{text}</td></tr>")
        note = html.escape(p.note)
        self.context.value = (f"<b>Side {p.page}, linje {p.line}</b> "
                              f"({html.escape(p.locator)})<table>{''.join(rows)}</table>"
                              f"<small>{note}</small>")

    def _sources_box(self) -> w.Widget:
        if not self.sources:
            return w.VBox()
        first = self.sources[0]
        confirm = w.Checkbox(description="Godkjenn kilderadene (ja)", value=False,
                             indent=False)
        fields = {k: w.Text(description=label, value=str(first.get(k) or ""),
                            layout=w.Layout(width="34em"))
                  for k, label in (("organ", "Organ"), ("title", "Tittel"),
                                   ("meeting", "Møte"), ("date", "Dato"))}
        rows = "".join(f"<li><code>{html.escape(s['source_id'])}</code> "
                       f"{html.escape(str(s.get('sak') or 'hele dokumentet'))} "
                       f"{html.escape(str(s.get('sak_title') or ''))}</li>"
                       for s in self.sources)

        def sync(_=None):
            for s in self.sources:
                s["accept"] = "ja" if confirm.value else ""
                for k, ctl in fields.items():
                    s[k] = ctl.value

        confirm.observe(sync, names="value")
        for ctl in fields.values():
            ctl.observe(sync, names="value")
        self.confirm_sources = confirm
        return w.VBox([w.HTML("<b>Dokumentet er ikke registrert i kilder.</b> Foreslåtte "
                              f"kilderader fra dokumentets topp:<ul>{rows}</ul>"),
                       *fields.values(), confirm])

    def _problem(self, pr) -> str:
        where = ""
        if pr.line and pr.file == self.origin and 2 <= pr.line < 2 + len(self.proposals):
            p = self.proposals[pr.line - 2]
            where = f"Forslag «{html.escape(p.raw)}» (s. {p.page}, linje {p.line}): "
        elif pr.file == "kilderader":
            where = "Kilderad: "
        text = pr.message if pr.value is None else f"«{pr.value}» {pr.message}"
        col = f"<code>{html.escape(pr.column)}</code>: " if pr.column else ""
        return f"{where}{col}{html.escape(text)}"


def highlight(text: str, raw: str) -> str:
    """``text`` as HTML with the first occurrence of ``raw`` marked."""
    at = text.find(raw) if raw else -1
    if at < 0:
        return html.escape(text)
    return (html.escape(text[:at]) + "<mark>" + html.escape(raw) + "</mark>"
            + html.escape(text[at + len(raw):]))
