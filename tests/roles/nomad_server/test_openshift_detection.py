# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""nomad_server_openshift: auto (the default) detects OpenShift from the API groups the server offers
instead of pinning UID 1000 when the variable is unset: restricted-v2 refuses a
pinned runAsUser outside the namespace's range, and plain Kubernetes needs one (the image has no USER).

The role builds its objects (tasks_from=objects_only: preflight, discovery, templates) against the
read-only API stand-in of test_kube_version_refused.py, with and without the SecurityContextConstraints API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_kube_version_refused import ROOT, api_stand_in  # noqa: E402  pylint: disable=wrong-import-position

SCC = {"security.openshift.io/v1": [{"name": "securitycontextconstraints", "singularName": "securitycontextconstraints",
                                     "namespaced": False, "kind": "SecurityContextConstraints", "verbs": ["get", "list"]}]}


def build_objects(tmp_path, groups, openshift="auto"):
    server, dummy = api_stand_in("v1.30.4", groups)
    try:
        kubeconfig = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
                      "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:%d" % server.server_port}}],
                      "users": [{"name": "u", "user": {"token": "stand-in"}}],
                      "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}
        (tmp_path / "kubeconfig").write_text(yaml.safe_dump(kubeconfig), encoding="utf-8")
        out = tmp_path / "objects.json"
        play = [{"name": "Objects", "hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "Build the object list", "ansible.builtin.include_role": {
                "name": "edgeops.nomad.nomad_server", "tasks_from": "objects_only"},
             "vars": {"nomad_server_advertise_address": "192.0.2.10", "nomad_server_openshift": openshift}},
            {"name": "Record", "ansible.builtin.copy": {
                "dest": str(out), "content": "{{ __nomad_server_objects | to_json }}", "mode": "0644"}}]}]
        (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                   K8S_AUTH_KUBECONFIG=str(tmp_path / "kubeconfig"))
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
        proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                               "ansible_python_interpreter=" + sys.executable, str(tmp_path / "play.yml")],
                              env=env, capture_output=True, text=True, timeout=600, check=False)
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stdout[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def pod_security(objs):
    sts = next(o for o in objs if o["kind"] == "StatefulSet")
    return sts["spec"]["template"]["spec"]["securityContext"]


@pytest.mark.parametrize("groups,openshift,pinned", [
    (SCC, "auto", False),   # OpenShift detected: the SCC assigns UID and fsGroup
    ({}, "auto", True),     # plain Kubernetes: UID/GID/fsGroup 1000 (the image runs as root otherwise)
    (SCC, False, True),     # forced off
    ({}, True, False),      # forced on
])
def test_openshift_detected_from_the_api(tmp_path, groups, openshift, pinned):
    psc = pod_security(build_objects(tmp_path, groups, openshift))
    assert ("runAsUser" in psc) is pinned and ("fsGroup" in psc) is pinned, psc
    assert psc["runAsNonRoot"] is True
