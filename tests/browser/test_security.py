"""What the server refuses: files outside the dashboards, sources, Jupyter APIs, code."""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from workbench import serving
from workbench.serving import testing

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

pytestmark = pytest.mark.slow

SECRET_SOURCE = b"KILDEKODE-MARKOR-7f3a"
# Something from every file the viewer must not get: the DuckDB file's magic number, a
# CSV header of data/, notebook JSON, Python source.
LEAKS = (b"DUCK", b"kommunenummer", b"source_id", SECRET_SOURCE, b'"nbformat"',
         b"import ", b"root:")


def request(srv, method: str, path: str, headers: dict | None = None, follow: int = 5
            ) -> tuple[int, bytes]:
    """A raw HTTP request (no client-side normalisation of '..'); follows redirects."""
    for _ in range(follow + 1):
        con = http.client.HTTPConnection(srv.host, srv.port, timeout=60)
        con.request(method, path, body=b"{}" if method == "POST" else None,
                    headers=headers or {})
        resp = con.getresponse()
        body = resp.read()
        con.close()
        if resp.status in (301, 302, 303, 307, 308):
            path = urlparse(resp.getheader("Location")).path or "/"
            method = "GET" if resp.status == 303 else method
            continue
        return resp.status, body
    raise AssertionError(f"too many redirects for {path}")


FORBIDDEN = [
    # the files route: only allow-listed files, and the allow-list is empty
    ("GET", "/voila/files/Graf.ipynb"),
    ("GET", "/voila/files/../data/warehouse.duckdb"),
    ("GET", "/voila/files/..%2Fdata%2Fwarehouse.duckdb"),
    ("GET", "/voila/files/%2e%2e/data/kommuner.csv"),
    ("GET", "/voila/files/%2E%2E%2Fdata%2Fkommuner.csv"),
    ("GET", "/voila/files/%2Fetc%2Fpasswd"),
    # rendering something that is not a notebook redirects to the files route (refused)
    ("GET", "/voila/render/../data/kommuner.csv"),
    ("GET", "/voila/render/..%2Fdata%2Fwarehouse.duckdb"),
    ("GET", "/voila/render/Graf.ipynb/../../data/kommuner.csv"),
    ("GET", "/voila/render/..%2Fdata"),
    # the tree and Voilà's listing API stay inside the dashboards folder
    ("GET", "/voila/tree/../data"),
    ("GET", "/voila/tree/..%2Fdata"),
    ("GET", "/voila/api/contents/../data"),
    ("GET", "/voila/api/contents/..%2Fdata%2Fkommuner.csv"),
    # package static files: no way out of their folders
    ("GET", "/voila/static/../../../../../../../../etc/passwd"),
    ("GET", "/voila/static/..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd"),
    ("GET", "/voila/labextensions/..%2F..%2F..%2F..%2Fdata"),
    # Jupyter's own APIs and pages do not exist here
    ("GET", "/api/contents"),
    ("GET", "/api/contents/Graf.ipynb"),
    ("GET", "/api/kernels"),
    ("POST", "/api/kernels"),
    ("POST", "/api/sessions"),
    ("GET", "/api/terminals"),
    ("GET", "/tree"),
    ("GET", "/lab"),
    ("GET", "/notebooks/Graf.ipynb"),
    ("GET", "/files/Graf.ipynb"),
    ("GET", "/edit/Graf.ipynb"),
    ("GET", "/nbconvert/html/Graf.ipynb"),
    ("GET", "/data/warehouse.duckdb"),
    ("GET", "/data/kommuner.csv"),
    ("GET", "/dashboards/Graf.ipynb"),
]


@pytest.mark.parametrize("method,path", FORBIDDEN)
def test_forbidden_paths_are_refused(wb_server, method, path):
    status, body = request(wb_server, method, path)
    assert status in (403, 404, 405), (status, body[:200])
    for leak in LEAKS:
        assert leak not in body


@pytest.mark.parametrize("path", [
    "/voila/templates/workbench/static/../../../../../data/kommuner.csv",
    "/voila/templates/workbench/static/..%2F..%2Fconf.json",
    "/voila/templates/workbench/index.html.j2",
    "/voila/templates/..%2F..%2F..%2Fdata/static/kommuner.csv",
])
def test_template_static_route_serves_only_static_files(wb_server, path):
    status, body = request(wb_server, "GET", path)
    assert 400 <= status < 500  # Voilà's own handler gave 500 for these
    for leak in LEAKS + (b"extends", b"base_template"):
        assert leak not in body


def test_vega_bundle_is_served_and_cacheable(wb_server):
    con = http.client.HTTPConnection(wb_server.host, wb_server.port, timeout=30)
    con.request("GET", "/" + serving.bundle_url_path())
    resp = con.getresponse()
    body = resp.read()
    assert resp.status == 200 and len(body) > 500_000
    assert b"vegaEmbed" in body
    assert "max-age" in (resp.getheader("Cache-Control") or "")


def test_listing_api_gives_names_not_contents(wb_server):
    status, body = request(wb_server, "GET", "/voila/api/contents/Graf.ipynb?content=1")
    assert status == 200
    assert json.loads(body)["content"] is None
    assert SECRET_SOURCE not in body
    status, body = request(wb_server, "GET", "/voila/api/contents/")
    names = {item["name"] for item in json.loads(body)["content"]}
    assert names == {p.name for p in NOTEBOOKS.glob("*.ipynb")}


def test_pages_carry_a_same_origin_content_security_policy(wb_server):
    con = http.client.HTTPConnection(wb_server.host, wb_server.port, timeout=60)
    con.request("GET", "/voila/render/Trivial.ipynb")
    resp = con.getresponse()
    resp.read()
    csp = resp.getheader("Content-Security-Policy")
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert "https:" not in csp and "*" not in csp


def test_foreign_host_header_is_refused(wb_server):
    # A page on 127.0.0.1 must not be reachable under another name (DNS rebinding).
    status, body = request(wb_server, "GET", "/voila/render/Trivial.ipynb",
                           headers={"Host": f"evil.example:{wb_server.port}"})
    assert status == 403
    assert b"Hei fra" not in body


def _listening_addresses(port: int) -> list[str]:
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.append(addr)
    return found


def test_serve_binds_to_loopback_by_default(wb_server):
    from workbench import cli

    assert cli.parser().parse_args(["serve"]).host == "127.0.0.1"
    # The fixture started `workbench serve` without --host.
    assert "--host" not in wb_server.proc.args
    addresses = _listening_addresses(wb_server.port)
    assert addresses and all(a == "0100007F" for a in addresses), addresses


def test_kernel_websocket_does_not_run_code(tab, wb_server, tmp_path):
    from websockets.sync.client import connect

    page = tab.page
    page.goto(wb_server.page("Trivial.ipynb"))
    page.wait_for_selector("text=Hei fra en triviell side")
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    marker = tmp_path / "pwned"

    def message(msg_type, content):
        return json.dumps({
            "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "x",
                       "session": uuid.uuid4().hex, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"})

    url = f"ws://{wb_server.host}:{wb_server.port}/api/kernels/{kernel_id}/channels"
    replies = []
    with connect(url, origin=f"http://{wb_server.host}:{wb_server.port}") as ws:
        ws.send(message("execute_request", {
            "code": f"open({str(marker)!r}, 'w').write('x')", "silent": False,
            "store_history": False, "user_expressions": {}, "allow_stdin": False}))
        ws.send(message("kernel_info_request", {}))  # allowed: proves the socket works
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                msg = json.loads(ws.recv(timeout=0.5))
            except TimeoutError:
                continue
            replies.append(msg["msg_type"])
            if msg["msg_type"] == "kernel_info_reply":
                time.sleep(1.0)  # give a (wrongly) running execute time to finish
                break
    assert "kernel_info_reply" in replies
    assert "execute_reply" not in replies and "execute_input" not in replies
    assert not marker.exists()
    assert 'Received message of type "execute_request", which is not allowed' in \
        wb_server.log()


def test_kernel_cap_gives_a_norwegian_503(tmp_path, new_project):
    project = new_project(tmp_path, [NOTEBOOKS / "Trivial.ipynb"])
    with testing.start(project / "dashboards", db=project / "data" / "warehouse.duckdb",
                      data=project / "data", log_path=tmp_path / "serve.log", pool=False,
                      voila_args="--VoilaConfiguration.preheat_kernel=False "
                                 "--CappedKernelManager.max_kernels=1") as srv:
        first, body = request(srv, "GET", "/voila/render/Trivial.ipynb")
        assert first == 200 and b"Hei fra" in body
        second, body = request(srv, "GET", "/voila/render/Trivial.ipynb")
        assert second == 503
        assert b"For mange samtidige brukere" in body


def test_viewers_cannot_switch_template_or_theme(wb_server):
    """?template= / ?theme= would let a viewer pick a page that shows more (e.g. Voilà's
    lab template with its CDN links): the workbench's page is served regardless."""
    plain_status, plain = request(wb_server, "GET", "/voila/render/Graf.ipynb")
    status, body = request(wb_server, "GET",
                           "/voila/render/Graf.ipynb?template=lab&theme=dark")
    assert plain_status == status == 200
    for page in (plain, body):
        assert serving.bundle_url_path().split("?")[0].encode() in page  # our template
        assert b"cdn.jsdelivr.net" not in page and b"theme-dark.css" not in page
        assert SECRET_SOURCE not in page


def test_a_users_jupyter_config_cannot_loosen_the_settings(tmp_path, new_project):
    """Voilà reads serve/voila.py only: a voila.json in the user's Jupyter config folder
    that would send sources and tracebacks to viewers has no effect."""
    project = new_project(tmp_path, [NOTEBOOKS / "Graf.ipynb", NOTEBOOKS / "Uten_embed.ipynb"])
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "voila.json").write_text(json.dumps({
        "VoilaConfiguration": {"strip_sources": False, "show_tracebacks": True,
                               "template": "lab", "file_allowlist": [".*"]},
        "VoilaExecutor": {"show_tracebacks": True}}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir)}
    with testing.start(project / "dashboards", db=project / "data" / "warehouse.duckdb",
                       data=project / "data", log_path=tmp_path / "serve.log", pool=False,
                       env=env, voila_args="--VoilaConfiguration.preheat_kernel=False") as srv:
        status, body = request(srv, "GET", "/voila/render/Graf.ipynb")
        assert status == 200 and SECRET_SOURCE not in body
        status, body = request(srv, "GET", "/voila/render/Uten_embed.ipynb")
        assert b"HEMMELIG-FEIL-uten-embed" not in body and b"Traceback" not in body
        status, _ = request(srv, "GET", "/voila/files/Graf.ipynb")
        assert status == 403


# --- A scan of the URL space with the usual traversal encodings -------------------------

SCAN_PREFIXES = ["/", "/voila/", "/voila/render/", "/voila/files/", "/voila/tree/",
                 "/voila/static/", "/voila/templates/", "/voila/templates/workbench/static/",
                 "/voila/templates/lab/static/", "/voila/labextensions/",
                 "/voila/api/contents/", "/voila/api/themes/", "/voila/api/shutdown/",
                 "/voila/query/", "/api/kernels/", "/login/"]
SCAN_DOTS = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%c0%ae%c0%ae",
             "%e0%80%ae%e0%80%ae", "%%32%65%%32%65", "..%00", "..%5c", "..\\", "..;",
             "%uff0e%uff0e", "....", ".%00."]
SCAN_SEPS = ["/", "%2f", "%2F", "%252f", "%5c", "\\", "%c0%af", "//"]
SCAN_TARGETS = ["etc/passwd", "data/kommuner.csv", "data/warehouse.duckdb",
                "serve/voila.py"]
# What must never come back, whatever the status: the DuckDB file, a data CSV's header,
# notebook JSON or source, the server's configuration, a system file.
SCAN_LEAKS = (b"DUCK", b"kommunenummer,name", b"source_id,", SECRET_SOURCE,
              b'"nbformat"', b"c.VoilaConfiguration", b"root:x:0:0")
# Where a 200 may come from: the dashboards' pages and the packages' static files.
SERVED = re.compile(r"^/(voila/(static|labextensions|templates/[^/]+/static)/|"
                    r"voila/render/[^/]+\.ipynb$|voila/tree/?$|voila/api/contents/?$|$)")


def scan_paths() -> list[str]:
    paths = []
    for prefix in SCAN_PREFIXES:
        for dots in SCAN_DOTS:
            for sep in SCAN_SEPS:
                for target in SCAN_TARGETS:
                    paths.append(prefix + (dots + sep) * 4 + target.replace("/", sep))
        paths += [prefix + "%2Fetc%2Fpasswd", prefix + "/etc/passwd",
                  prefix + "%00", prefix + "%", prefix + "%zz"]
    return paths


def test_url_scan_gives_no_server_error_and_serves_nothing_outside(wb_server):
    paths = scan_paths()
    statuses: dict[int, int] = {}
    errors, leaks, outside = [], [], []
    con = http.client.HTTPConnection(wb_server.host, wb_server.port, timeout=60)
    for path in paths:
        try:
            con.request("GET", path)
            resp = con.getresponse()
        except (http.client.HTTPException, OSError):  # the server closed keep-alive
            con.close()
            con = http.client.HTTPConnection(wb_server.host, wb_server.port, timeout=60)
            con.request("GET", path)
            resp = con.getresponse()
        body = resp.read()
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
        if resp.status >= 500:
            errors.append((resp.status, path))
        if any(leak in body for leak in SCAN_LEAKS):
            leaks.append(path)
        if resp.status == 200 and not SERVED.match(urlparse(path).path):
            outside.append(path)
    con.close()
    assert len(paths) > 8000
    assert not errors, f"{len(errors)} server errors, e.g. {errors[:5]}"
    assert not leaks, f"leaked content for {leaks[:5]}"
    assert not outside, f"200 outside the served folders for {outside[:5]}"
    assert sum(n for s, n in statuses.items() if 400 <= s < 500) > 0.9 * len(paths)
