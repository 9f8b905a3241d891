# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edgeops.nomad.nomad_server refuses an API server older than Kubernetes 1.27, naming
the version it found and the minimum, before it writes anything.

The API server is a small read-only stand-in on 127.0.0.1 that answers discovery (/version, /api,
/api/v1, /apis) the way kube-apiserver does, records every request, and refuses writes with 405: the
test checks that the role stopped after discovery (no write was even attempted). With 1.34 the
version check passes and the role goes on (and fails later, at its first write, on this stand-in).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


def api_stand_in(git_version, groups=None):
    """groups: {"group/version": [resource dicts]} served besides the core API."""
    groups = groups or {}
    minor = git_version.split(".")[1]
    answers = {
        "/version": {"major": "1", "minor": minor, "gitVersion": git_version, "platform": "linux/amd64"},
        "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
        "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
             "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]},
            {"name": "secrets", "singularName": "secret", "namespaced": True, "kind": "Secret",
             "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}]},
        "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
             "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}} for gv in groups]},
    }
    for gv, resources in groups.items():
        answers["/apis/" + gv] = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            requests.append(("GET", self.path))
            path = self.path.split("?")[0]
            if path in answers:
                self._send(200, answers[path])
            else:
                self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                 "code": 404, "message": "the server could not find the requested resource"})

        def _write(self):
            requests.append((self.command, self.path))
            self._send(405, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "MethodNotAllowed",
                             "code": 405, "message": "read-only stand-in"})

        do_POST = do_PUT = do_PATCH = do_DELETE = _write  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, requests


def run_role(tmp_path, git_version):
    server, requests = api_stand_in(git_version)
    try:
        kubeconfig = {
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:%d" % server.server_port}}],
            "users": [{"name": "u", "user": {"token": "stand-in"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        }
        (tmp_path / "kubeconfig").write_text(yaml.safe_dump(kubeconfig), encoding="utf-8")
        play = [{"name": "Apply", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "Run the role", "ansible.builtin.include_role": {"name": "edgeops.nomad.nomad_server"},
             "vars": {"nomad_server_advertise_address": "192.0.2.10"}}]}]
        (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                   K8S_AUTH_KUBECONFIG=str(tmp_path / "kubeconfig"))
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
        proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                               "ansible_python_interpreter=" + sys.executable, str(tmp_path / "play.yml")],
                              env=env, capture_output=True, text=True, timeout=600, check=False)
    finally:
        server.shutdown()
    return proc, requests


@pytest.mark.parametrize("git_version", ["v1.26.15", "v1.20.15"])
def test_old_api_server_is_refused_before_any_write(tmp_path, git_version):
    proc, requests = run_role(tmp_path, git_version)
    assert proc.returncode != 0
    found = git_version[1:]
    assert "The API server is Kubernetes %s" % found in proc.stdout, proc.stdout[-3000:]
    assert "needs at least 1.27" in proc.stdout
    assert ("GET", "/version") in requests
    assert all(method == "GET" for method, dummy in requests), requests


def test_current_api_server_passes_the_version_check(tmp_path):
    proc, requests = run_role(tmp_path, "v1.34.4")
    assert "The API server is Kubernetes" not in proc.stdout, proc.stdout[-3000:]
    # It went on past discovery (to the namespace lookup and further).
    assert any(path.startswith("/api/v1/namespaces") for dummy, path in requests), requests
