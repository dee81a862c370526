"""The deployment files agree with the code: the Containerfile copies what exists and
runs a command the CLI accepts; the Kubernetes manifests probe /healthz, pin viewers to
a replica, and fit together; the nginx recipe is valid for nginx. (The image cannot be
built on this machine — no container engine runs here; tests/browser/test_replicas.py
runs the nginx recipe for real, test_snapshot_serving.py the image's command.)"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from workbench import cli
from workbench.serving import testing

ROOT = Path(__file__).resolve().parents[1]
CONTAINERFILE = ROOT / "Containerfile"
K8S = ROOT / "deploy" / "kubernetes"


def containerfile_lines() -> list[str]:
    text = CONTAINERFILE.read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)  # continuation lines
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def exec_form(line: str) -> list[str]:
    return yaml.safe_load(line.split(None, 1)[1])  # a JSON array is YAML


def image_command() -> list[str]:
    lines = containerfile_lines()
    entry = exec_form(next(line for line in lines if line.startswith("ENTRYPOINT")))
    cmd = exec_form(next(line for line in lines if line.startswith("CMD")))
    assert entry[:2] == ["tini", "--"]  # PID 1 that reaps and forwards signals
    return entry[2:] + cmd


def manifests() -> dict[str, dict]:
    out = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            out[doc["kind"]] = doc
    return out


def test_containerfile_copies_only_what_exists():
    copies = [line for line in containerfile_lines() if line.startswith("COPY")]
    assert copies
    for line in copies:
        *sources, _dest = shlex.split(line)[1:]
        for src in sources:
            assert (ROOT / src).exists(), src
    assert not any("data/" in line.split() for line in copies)  # the snapshot is mounted


def test_image_runs_workbench_serve_on_a_read_only_snapshot():
    cmd = image_command()
    assert cmd[:2] == ["workbench", "serve"]
    args = cli.parser().parse_args(cmd[1:])
    assert args.host == "0.0.0.0" and args.port == 8866
    assert args.no_build and args.db.startswith("/snapshot/")
    text = CONTAINERFILE.read_text(encoding="utf-8")
    assert "EXPOSE 8866" in text and "/healthz?live=1" in text
    assert "USER 10001" in text and "ensure_bundle()" in text


def test_kubernetes_deployment_probes_and_resources():
    m = manifests()
    dep = m["Deployment"]
    assert dep["spec"]["replicas"] >= 2
    assert dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = dep["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    args = cli.parser().parse_args(image_command()[1:] + c["args"])
    assert args.no_build and args.db.startswith("/snapshot/warehouse-")  # versioned
    assert args.pool_size and args.max_kernels and args.max_kernels > 5 * args.pool_size
    port = {p["name"]: p["containerPort"] for p in c["ports"]}["http"]
    assert port == args.port
    assert c["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz?live=1"
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz?live=1"
    res = c["resources"]

    def gib(q: str) -> float:
        return float(q[:-2]) / {"Mi": 1024, "Gi": 1}[q[-2:]]

    assert gib(res["requests"]["memory"]) < gib(res["limits"]["memory"])
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {v["name"]: v for v in c["volumeMounts"]}
    assert mounts["snapshot"]["readOnly"] is True and mounts["snapshot"]["mountPath"] == \
        "/snapshot"
    assert mounts["tmp"]["mountPath"] == "/tmp"
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert m["Service"]["spec"]["selector"].items() <= labels.items()
    assert m["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= \
        labels.items()


def test_kubernetes_ingress_pins_viewers_with_a_cookie():
    m = manifests()
    ann = m["Ingress"]["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert ann[prefix + "affinity"] == "cookie"
    assert ann[prefix + "affinity-mode"] == "persistent"
    assert ann[prefix + "session-cookie-name"]
    assert int(ann[prefix + "proxy-read-timeout"]) >= 60  # > the websocket ping
    backend = m["Ingress"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == m["Service"]["metadata"]["name"]
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in K8S.glob("*.yaml")
                                    if p.name != "kustomization.yaml")


def test_nginx_recipe_is_valid_and_sticky(tmp_path):
    text = testing.NGINX_CONF.read_text(encoding="utf-8")
    assert "hash $wb_route consistent" in text and "proxy_buffering off" in text
    assert "proxy_set_header Upgrade $http_upgrade" in text
    assert "proxy_set_header Host $http_host" in text
    if not Path(testing.NGINX).exists() or not shutil.which(testing.NGINX):
        pytest.skip("nginx not installed")
    (tmp_path / "tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(testing.nginx_config(["127.0.0.1:1", "127.0.0.1:2"], testing.free_port(),
                                          tmp_path))
    check = subprocess.run([testing.NGINX, "-t", "-p", str(tmp_path), "-e",
                            str(tmp_path / "error.log"), "-c", str(conf)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
