# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edgeops.nomad.nomad_server checks what must already exist before it writes anything, and says what is
missing with the variable to fix, instead of failing at its first write (the gossip key Secret, whose output
no_log hides: "the output has been hidden due to the 'no_log: true' specified for this result").

The cluster is a read-only Kubernetes API stand-in (_kube_stand_in.py: discovery, the objects each case gives,
405 on any write), so the test also shows that nothing was written. The names the servers' certificate must
carry follow Go crypto/x509 VerifyHostname (subjectAltName only), which Nomad's TLS clients and the OpenShift
router use: server.<region>.nomad for RPC (verify_server_hostname), the Route host through a passthrough Route.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import yaml

from _kube_stand_in import api_stand_in

ROOT = Path(__file__).resolve().parents[3]
NS = "/api/v1/namespaces/nomad"
ROUTE_GROUP = {"route.openshift.io/v1": [{"name": "routes", "singularName": "route", "namespaced": True, "kind": "Route",
                                          "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}]}


def certificate(tmp_path, names):
    san = ",".join(("IP:" if n[0].isdigit() else "DNS:") + n for n in names)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + names[0],
                    "-addext", "subjectAltName=" + san, "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")],
                   check=True, capture_output=True)
    return (tmp_path / "c.pem").read_bytes()


def secret(name, data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "nomad"},
            "data": {k: base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode() for k, v in data.items()}}


def run_role(tmp_path, objects, role_vars, groups=None):
    server, requests = api_stand_in("v1.34.4", groups=groups, objects=objects)
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
             "vars": dict({"nomad_server_advertise_address": "192.0.2.10"}, **role_vars)}]}]
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


def failure(proc):
    """The failed task's message (the assert's fail_msg)."""
    for line in proc.stdout.splitlines():
        if line.startswith("fatal:") and "=>" in line:
            return json.loads(line.split("=>", 1)[1]).get("msg", "")
    return proc.stdout[-3000:]


def writes(requests):
    return [r for r in requests if r[0] != "GET"]


def test_missing_namespace_is_named_before_any_write(tmp_path):
    proc, requests = run_role(tmp_path, {}, {})
    assert proc.returncode != 0
    msg = failure(proc)
    assert msg.startswith("nomad_server_namespace: the namespace 'nomad' does not exist"), msg
    assert "nomad_server_create_namespace=true" in msg
    assert "hidden due to" not in proc.stdout
    assert writes(requests) == [], writes(requests)


def test_missing_tls_secret_is_named_before_any_write(tmp_path):
    proc, requests = run_role(tmp_path, {NS: {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "nomad"}}}, {})
    assert proc.returncode != 0
    msg = failure(proc)
    assert "nomad_server_tls_secret_name: Secret nomad/nomad-tls must exist and hold ca.crt, tls.crt, tls.key" in msg, msg
    assert writes(requests) == [], writes(requests)


ROUTE = {"nomad_server_openshift": True, "nomad_server_route_enabled": True, "nomad_server_route_host": "nomad.apps.example.com",
         "nomad_server_route_termination": "passthrough", "nomad_server_tls_verify_https_client": False}


def tls_objects(cert):
    return {NS: {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "nomad"}},
            NS + "/secrets/nomad-tls": secret("nomad-tls", {"ca.crt": cert, "tls.crt": cert, "tls.key": "k"})}


def test_certificate_without_the_route_host_is_refused_before_any_write(tmp_path):
    cert = certificate(tmp_path, ["server.global.nomad", "localhost", "127.0.0.1"])
    proc, requests = run_role(tmp_path, tls_objects(cert), ROUTE, groups=ROUTE_GROUP)
    assert proc.returncode != 0
    msg = failure(proc)
    assert msg.startswith("nomad_server_tls_secret_name: the certificate in Secret nomad/nomad-tls does not carry "
                          "nomad.apps.example.com"), msg
    assert writes(requests) == [], writes(requests)


def test_complete_preconditions_let_the_role_go_on_to_write(tmp_path):
    cert = certificate(tmp_path, ["server.global.nomad", "nomad.apps.example.com"])
    proc, requests = run_role(tmp_path, tls_objects(cert), ROUTE, groups=ROUTE_GROUP)
    # past the checks, the first write is refused by the read-only stand-in
    assert writes(requests), proc.stdout[-3000:]
    assert "ok: [localhost]" in proc.stdout.split("Check what must exist before anything is written")[1].split("TASK")[0]


FED_WEST = {"nomad_server_region": "west", "nomad_server_federation_enabled": True, "nomad_server_authoritative_region": "east",
            "nomad_server_federation_regions": ["east"], "nomad_server_federation_join": ["192.0.2.51"],
            "nomad_server_federation_cidrs": ["203.0.113.0/26"], "nomad_server_gossip_key_source": "secret",
            "nomad_server_gossip_key_secret_name": "nomad-gossip",
            "nomad_server_federation_gossip_key_sha256": "6e6b2840e1155194fa364cb5ed99f7536bdb624880fbfba6c2acae7706ee1b50",
            "nomad_server_federation_serf_addresses": {"nomad-0": "10.244.0.7", "nomad-1": "192.0.2.62", "nomad-2": "192.0.2.63"}}


def test_federation_serf_address_at_a_pod_ip_is_refused_before_any_write(tmp_path):
    """Serf probes every member at its advertised address (memberlist), and the other cluster cannot reach this
    cluster's pod IPs: a Serf address that is a server pod's IP is refused, found through the pods' own label
    selector (a selector that matches nothing would let it through)."""
    cert = certificate(tmp_path, ["server.west.nomad"])
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nomad-0", "namespace": "nomad"},
           "status": {"podIP": "10.244.0.7", "podIPs": [{"ip": "10.244.0.7"}]}}
    objects = dict(tls_objects(cert), **{
        NS + "/secrets/nomad-gossip": secret("nomad-gossip", {
            "gossip.hcl": 'server {\n  encrypt = "ZWRnZW9wcy1mZWRlcmF0aW9uLXRlc3Qta2V5LTAwMDE="\n}\n'}),
        NS + "/secrets/nomad-replication-token": secret("nomad-replication-token", {"replication.hcl": "acl {}\n"}),
        NS + "/pods": {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "1"}, "items": [pod]}})
    proc, requests = run_role(tmp_path, objects, FED_WEST)
    assert proc.returncode != 0
    msg = failure(proc)
    assert msg.startswith("nomad_server_federation_serf_addresses: nomad-0 would advertise a pod IP"), msg
    selectors = [urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["labelSelector"][0]
                 for dummy, path in requests if path.startswith(NS + "/pods?")]
    assert selectors == ["app.kubernetes.io/name=nomad,app.kubernetes.io/instance=nomad,app.kubernetes.io/component=server"], \
        selectors
    assert writes(requests) == [], writes(requests)
