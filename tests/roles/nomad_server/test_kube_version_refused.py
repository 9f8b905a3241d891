# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edgeops.nomad.nomad_server refuses an API server older than Kubernetes 1.27, naming
the version it found and the minimum, before it writes anything.

The API server is a small read-only stand-in on 127.0.0.1 that answers discovery (/version, /api,
/api/v1, /apis) the way kube-apiserver does, records every request, and refuses writes with 405: the
test checks that the role stopped after discovery (no write was even attempted). With 1.34 the
version check passes and the role goes on (and fails later, at its first write, on this stand-in).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from _kube_stand_in import api_stand_in

ROOT = Path(__file__).resolve().parents[3]


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
