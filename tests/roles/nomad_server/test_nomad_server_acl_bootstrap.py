# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server role's `acl_bootstrap` entry point (what edgeops.nomad.control_plane calls): the bootstrap secret is
stored before Nomad learns it, a known or stored secret is reused, check mode writes nothing.

Nomad (v2.0.5, nomad/acl_endpoint.go, ACL.Bootstrap) takes a caller's BootstrapSecret only when helper.IsUUID
accepts it, and bootstraps once: a secret that reached Nomad but not the store is a management token nobody has.
So a store that refuses the write must stop the run before POST /v1/acl/bootstrap.

Nomad is the API double (ACLs on, not bootstrapped); Kubernetes is the read-only stand-in (GETs of the objects given,
405 on every write), so a write to it is seen as a failure of the store step.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import yaml

from _kube_stand_in import api_stand_in

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from tests.tools.nomad_api_double import server as double  # noqa: E402  pylint: disable=wrong-import-position

STORED = str(uuid.uuid4())
KNOWN = str(uuid.uuid4())
SECRET_PATH = "/api/v1/namespaces/nomad/secrets/nomad-acl-bootstrap"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def stored_secret(secret_id):
    import base64  # pylint: disable=import-outside-toplevel
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "nomad-acl-bootstrap", "namespace": "nomad"},
            "type": "Opaque", "data": {"secret_id": base64.b64encode(secret_id.encode()).decode()}}


def run_entry_point(tmp: Path, objects: dict, entry_vars: dict, *args: str):
    """Run the entry point once; return (process, kube requests, Nomad double, record or None)."""
    kube, requests = api_stand_in("v1.30.4", objects=objects)
    nomad = double.NomadAPIDouble(double.DoubleState(acl=True)).start()
    try:
        kubeconfig = {
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:%d" % kube.server_port}}],
            "users": [{"name": "u", "user": {"token": "stand-in"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        }
        (tmp / "kubeconfig").write_text(yaml.safe_dump(kubeconfig), encoding="utf-8")
        record = tmp / "record.json"
        play = [{"name": "Bootstrap", "hosts": "localhost", "gather_facts": False,
                 "module_defaults": {"group/edgeops.nomad.nomad": {"url": nomad.url}},
                 "tasks": [
                     {"name": "The entry point", "ansible.builtin.include_role": {
                         "name": "edgeops.nomad.nomad_server", "tasks_from": "acl_bootstrap"}, "vars": entry_vars},
                     {"name": "Record the secret chosen", "ansible.builtin.copy": {
                         "dest": str(record), "mode": "0644",
                         "content": "{{ {'secret': __nomad_server_acl_bootstrap_secret} | to_json }}"},
                      "check_mode": False}]}]
        (tmp / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                   K8S_AUTH_KUBECONFIG=str(tmp / "kubeconfig"))
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
        proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                               "ansible_python_interpreter=" + sys.executable, str(tmp / "play.yml"), *args],
                              env=env, capture_output=True, text=True, timeout=600, check=False)
        bootstrapped = nomad.state.acl_bootstrap_index != 0 if hasattr(nomad, "state") else None
        works = {}
        for secret in (STORED, KNOWN):
            req = urllib.request.Request(nomad.url + "/v1/acl/token/self", headers={"X-Nomad-Token": secret})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    works[secret] = resp.status == 200
            except urllib.error.HTTPError:
                works[secret] = False
    finally:
        kube.shutdown()
        nomad.stop()
    got = json.loads(record.read_text(encoding="utf-8")) if record.exists() else None
    return proc, requests, {"bootstrapped": bootstrapped, "works": works}, got


def writes(requests):
    """Requests that would change something (a server-side dry run changes nothing)."""
    return [r for r in requests if r[0] != "GET" and "dryRun=All" not in r[1]]


def test_stored_secret_is_reused_and_bootstraps_nomad(tmp_path):
    proc, requests, nomad, got = run_entry_point(tmp_path, {SECRET_PATH: stored_secret(STORED)}, {})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert got == {"secret": STORED}
    assert nomad["works"][STORED] is True
    assert ("GET", SECRET_PATH) in requests and not writes(requests), requests
    assert STORED not in proc.stdout + proc.stderr


def test_known_token_wins_over_the_store(tmp_path):
    proc, requests, nomad, got = run_entry_point(tmp_path, {SECRET_PATH: stored_secret(STORED)},
                                                 {"nomad_server_acl_bootstrap_known_token": KNOWN})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert got == {"secret": KNOWN} and nomad["works"][KNOWN] is True and nomad["works"][STORED] is False
    assert not [r for r in requests if "/secrets/" in r[1]], requests
    assert KNOWN not in proc.stdout + proc.stderr


def test_a_store_that_refuses_the_write_stops_before_the_bootstrap(tmp_path):
    proc, requests, nomad, got = run_entry_point(tmp_path, {}, {})
    assert proc.returncode != 0
    assert [r for r in writes(requests) if r[1].startswith("/api/v1/namespaces/nomad/secrets")], requests
    assert "Store the new secret in a Kubernetes Secret" in proc.stdout
    assert nomad["bootstrapped"] is False, "Nomad was bootstrapped with a secret that was never stored"
    assert got is None


def test_check_mode_generates_a_uuid_and_writes_nothing(tmp_path):
    proc, requests, nomad, got = run_entry_point(tmp_path, {}, {}, "--check")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert UUID.match(got["secret"]), "Nomad takes only a UUID as BootstrapSecret (helper.IsUUID)"
    assert not writes(requests), requests
    assert nomad["bootstrapped"] is False
    assert got["secret"] not in proc.stdout + proc.stderr
