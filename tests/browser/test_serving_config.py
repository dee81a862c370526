"""Fast checks (no browser, no server) of the serving configuration and the embed helpers."""

from __future__ import annotations

import logging
from pathlib import Path

import ipywidgets
import polars as pl
import pytest

from workbench import embed
from workbench import serving as server
from workbench.dashboards import links
from workbench.embed import error_guard

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "tests" / "notebooks"


def test_template_has_no_cdn_links():
    template = server.TEMPLATE_ROOT / "voila" / "templates" / server.TEMPLATE
    for path in (p for p in template.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        assert "https://" not in text and "http://" not in text, path


def test_voila_command_and_environment(tmp_path):
    db = tmp_path / "w.duckdb"
    cmd = server.voila_command(tmp_path, "127.0.0.1", 9999)
    assert cmd[1:3] == ["-m", "workbench.serving.app"]
    assert f"--Voila.config_file_paths={server.SERVE_DIR}" in cmd
    assert "--Voila.ip=127.0.0.1" in cmd and "--Voila.port=9999" in cmd
    env = server.voila_env(db, tmp_path, "127.0.0.1")
    assert env["WORKBENCH_DB"] == str(db.resolve())
    assert env["JUPYTER_PATH"].split(":")[0] == str(server.TEMPLATE_ROOT)
    assert env["WORKBENCH_VOILA_ALLOW_REMOTE"] == "0"
    assert env["WORKBENCH_VEGA_BUNDLE"] == server.bundle_url_path()
    assert server.voila_env(db, tmp_path, "0.0.0.0")["WORKBENCH_VOILA_ALLOW_REMOTE"] == "1"
    # Behind a reverse proxy on loopback: the proxy's Host header is accepted.
    assert server.voila_env(db, tmp_path, "127.0.0.1", behind_proxy=True)[
        "WORKBENCH_VOILA_ALLOW_REMOTE"] == "1"
    cmd = server.voila_command(tmp_path, "127.0.0.1", 9999, pool_size=3, max_kernels=30)
    assert "--VoilaConfiguration.default_pool_size=3" in cmd
    assert "--CappedKernelManager.max_kernels=30" in cmd


def test_url_opens_on_the_landing_page(tmp_path):
    assert server.url_for("127.0.0.1", 8866, tmp_path) == "http://127.0.0.1:8866/"
    (tmp_path / "Oversikt.ipynb").write_text("{}")
    assert server.url_for("127.0.0.1", 8866, tmp_path) == \
        "http://127.0.0.1:8866/voila/render/Oversikt.ipynb"


def test_prepare_refuses_a_missing_dashboards_folder(tmp_path):
    from workbench.errors import WorkbenchError

    db = tmp_path / "w.duckdb"
    with pytest.raises(WorkbenchError, match="no such folder of dashboards"):
        server.prepare(db=db, data=tmp_path, dashboards=tmp_path / "nope")
    assert not db.exists()  # refused before anything was built


def test_csv_bytes_for_norwegian_excel():
    df = pl.DataFrame({"kommune": ["Bærum", "Tromsø"], "andel": [0.5, 12.25],
                       "antall": [1200, 3]})
    body = embed.csv_bytes(df)
    assert body.startswith(b"\xef\xbb\xbf")
    assert body[3:].decode("utf-8").splitlines() == [
        "kommune;andel;antall", "Bærum;0,5;1200", "Tromsø;12,25;3"]


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def records():
    handler = _Records()
    error_guard.log.addHandler(handler)
    yield handler.records
    error_guard.log.removeHandler(handler)


def test_guarded_logs_and_shows_a_message(records):
    view = embed.chart({"mark": "bar", "data": {"values": []}})
    html = ipywidgets.HTML()
    with embed.guarded("test", show=view):
        raise ValueError("hemmelig detalj")
    with embed.guarded(show=html):
        raise KeyError("enda en")
    assert "Noe gikk galt" in view.error and "hemmelig" not in view.error
    assert "Noe gikk galt" in html.value and "enda en" not in html.value
    assert [r.exc_info[0] for r in records] == [ValueError, KeyError]
    ref = records[0].args[0]
    assert ref in view.error  # the viewer's reference finds the log line


def test_guard_decorator_and_update_clears_the_error(records):
    view = embed.chart({"mark": "bar", "data": {"values": [{"a": 1}]}})
    v0 = view.version

    @embed.guard(show=view)
    def callback(change):
        raise RuntimeError("nei")

    callback(None)
    assert view.error and view.version == v0 + 1
    view.update({"mark": "point", "data": {"values": []}})
    assert view.error == "" and view.spec["mark"] == "point" and view.version == v0 + 2


def test_chart_uses_the_served_bundle_under_workbench_serve(monkeypatch):
    monkeypatch.setenv("WORKBENCH_VEGA_BUNDLE", "voila/templates/workbench/static/x.js?v=1")
    monkeypatch.setenv("VOILA_BASE_URL", "/base/")
    view = embed.chart()
    assert view._bundle_url == "/base/voila/templates/workbench/static/x.js?v=1"
    assert view._bundle_src == ""
    opts = view._embed_options
    # No vega-embed menu (its «…» had no name): the widget has its own buttons.
    assert opts["formatLocale"]["decimal"] == "," and opts["actions"] is False


def test_chart_spec_from_altair_has_the_norwegian_locale():
    import altair as alt

    spec = embed.to_spec(alt.Chart(pl.DataFrame({"a": [1, 2]})).mark_bar().encode(x="a"))
    assert spec["config"]["locale"]["number"]["decimal"] == ","


def test_download_sends_exactly_its_rows():
    df = pl.DataFrame({"år": [2024, 2026], "beløp": [1.5, 2.0]})
    button = embed.download(df, "x.csv")
    sent = []
    button.send = lambda content, buffers=None: sent.append((content, buffers))
    assert button.rows == 2 and "2 rader" in button.text
    button._on_message(button, {"event": "download"}, [])
    assert sent[0][0] == {"event": "csv", "filename": "x.csv"}
    assert sent[0][1] == [embed.csv_bytes(df)]
    button.update(df.head(1), "y.csv")
    assert button.filename == "y.csv" and button.text.endswith("(1 rad)")


def test_traceback_guard_only_in_voila(monkeypatch):
    monkeypatch.delenv("VOILA_BASE_URL", raising=False)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    assert embed.install_traceback_guard() is False


def test_dashboard_links_lists_titles(monkeypatch):
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    out = links.dashboard_links(NOTEBOOKS)._repr_html_()
    assert 'href="/voila/render/Graf.ipynb"' in out and "Budsjettlinjer" in out
    assert "Oversikt.ipynb" not in out


def test_charts_are_not_rendered_in_the_kernel(monkeypatch):
    """No static SVG snapshot in a dashboard kernel, preheated or not: vl-convert's V8
    cost every kernel ~85 MB (docs/serving.md); Vega draws the chart in the browser."""
    spec = {"mark": "bar", "data": {"values": [{"a": 1}, {"a": 2}]},
            "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    monkeypatch.setenv("WORKBENCH_VEGA_BUNDLE", "voila/templates/workbench/static/x.js")
    for preheat in ("True", "False"):
        monkeypatch.setenv("VOILA_PREHEAT", preheat)
        view = embed.chart(spec)
        state = view.get_state()
        assert "_snapshot" not in state
        sent = {k: v for k, v in state.items() if k not in ("_esm", "_css")}  # the code
        assert "<svg" not in str(sent) and view.spec == spec
