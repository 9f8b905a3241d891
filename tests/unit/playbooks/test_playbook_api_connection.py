# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every playbook takes its Nomad API connection from one definition, playbooks/vars/nomad_api.yml.

The definition (`nomad_api_module_defaults`) carries every connection option of the modules' doc fragment that a
playbook sets from the inventory (plugins/doc_fragments/nomad.py), the mutual-TLS client certificate and key
included: an agent with tls.verify_https_client refuses a caller without one (Nomad v2.0.5,
helper/tlsutil/config.go IncomingTLSConfig: RequireAndVerifyClientCert), so a playbook that left them out
could not reach such a cluster.

ansible-core takes a module_defaults value that is one template of a dict, with static keys
(lib/ansible/playbook/base.py, FieldAttributeBase._load_module_defaults: "Only the values may contain
templates"; executor/module_common.py get_action_args_with_defaults templates the value per task); the last
test runs that form against the API double behind mutual TLS with the ansible-core under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOKS = ROOT / "playbooks"
DEFINITION = PLAYBOOKS / "vars" / "nomad_api.yml"
GROUP = "group/edgeops.nomad.nomad"
ONE_DEFINITION = "{{ nomad_api_module_defaults }}"
API_MODULES = {"edgeops.nomad." + m for m in yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]["nomad"]}
CONNECTION = {"url", "token", "ca_cert", "client_cert", "client_key", "validate_certs", "region"}
TASK_LISTS = ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always")


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def walk(tasks, base: Path, seen=()):
    """Yield (task, enclosing module_defaults list) for every task, following import_tasks of local files."""
    for task in tasks or []:
        yield task
        for key in TASK_LISTS:
            if key in task:
                yield from walk(task[key], base, seen)
        imported = task.get("ansible.builtin.import_tasks") or task.get("import_tasks")
        if isinstance(imported, str) and "{{" not in imported:
            path = (base / imported).resolve()
            if path.exists() and path not in seen:
                yield from walk(load(path), path.parent, seen + (path,))


def playbook_files():
    return sorted(PLAYBOOKS.glob("*.yml"))


def every_module_defaults():
    """(where, module_defaults) for every play, block and task of playbooks/ and playbooks/tasks/."""
    out = []
    for path in playbook_files() + sorted((PLAYBOOKS / "tasks").glob("*.yml")):
        for item in load(path):
            for node in [item] + list(walk([item], path.parent)):
                if isinstance(node, dict) and "module_defaults" in node:
                    out.append(("%s: %s" % (path.relative_to(ROOT), node.get("name")), node["module_defaults"]))
    return out


def test_the_one_definition_carries_every_connection_option():
    data = load(DEFINITION)
    assert list(data) == ["nomad_api_module_defaults"]
    options = data["nomad_api_module_defaults"]
    assert set(options) == CONNECTION
    fragment = (ROOT / "plugins" / "doc_fragments" / "nomad.py").read_text(encoding="utf-8")
    for option in CONNECTION:
        assert "\n  %s:\n" % option in fragment, option
    assert options["client_cert"] == "{{ nomad_api_client_cert | default(omit) }}"
    assert options["client_key"] == "{{ nomad_api_client_key | default(omit) }}"


def test_no_playbook_writes_the_connection_itself():
    found = every_module_defaults()
    assert len(found) >= 10, found
    for where, defaults in found:
        for entry in defaults if isinstance(defaults, list) else [defaults]:
            for key, value in entry.items():
                if key == GROUP:
                    assert value == ONE_DEFINITION, where
                elif key.startswith("edgeops.nomad."):
                    assert not CONNECTION & set(value), (where, key, "connection options belong to the one definition")


@pytest.mark.parametrize("path", playbook_files(), ids=lambda p: p.name)
def test_every_play_calling_the_api_uses_the_one_definition(path):
    for play in load(path):
        if "hosts" not in play:
            continue
        uses_api = False
        covered = GROUP in (play.get("module_defaults") or {})
        for key in TASK_LISTS:
            for task in walk(play.get(key), path.parent):
                if isinstance(task, dict) and API_MODULES & set(task):
                    uses_api = True
                if isinstance(task, dict) and GROUP in (task.get("module_defaults") or {}):
                    covered = True
        roles = [r.get("role") if isinstance(r, dict) else r for r in play.get("roles") or []]
        includes_server = "edgeops.nomad.nomad_server" in roles
        if uses_api or includes_server:
            assert covered, "%s: play %r calls the Nomad API without module_defaults %s" % (path.name, play["name"], GROUP)
        if covered:
            assert "vars/nomad_api.yml" in (play.get("vars_files") or []), (path.name, play["name"])


def test_the_definition_reaches_an_agent_that_requires_a_client_certificate(tmp_path):
    from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble
    from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double.testca import make as make_ca

    pki = Path(make_ca(str(tmp_path / "pki")))
    double = NomadAPIDouble(DoubleState(), tls_cert=str(pki / "server.pem"), tls_key=str(pki / "server-key.pem"),
                            tls_client_ca=str(pki / "ca.pem")).start()
    try:
        results = {}
        for case, cert in (("with_client_cert", True), ("without", False)):
            host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                    "nomad_api_url": double.url, "nomad_api_ca_cert": str(pki / "ca.pem")}
            if cert:
                host.update(nomad_api_client_cert=str(pki / "client.pem"), nomad_api_client_key=str(pki / "client-key.pem"))
            play = [{"name": "Read the nodes", "hosts": "all", "gather_facts": False,
                     "vars_files": [str(DEFINITION)],
                     "module_defaults": {GROUP: ONE_DEFINITION},
                     "tasks": [{"name": "Nodes", "edgeops.nomad.nomad_node_info": {}}]}]
            (tmp_path / (case + ".yml")).write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
            (tmp_path / (case + ".inv.yml")).write_text(yaml.safe_dump({"all": {"hosts": {"localhost": host}}}),
                                                        encoding="utf-8")
            env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
            env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
            for name in ("NOMAD_ADDR", "NOMAD_TOKEN", "NOMAD_CACERT", "NOMAD_CLIENT_CERT", "NOMAD_CLIENT_KEY", "NOMAD_REGION"):
                env.pop(name, None)
            results[case] = subprocess.run(["ansible-playbook", "-i", case + ".inv.yml", case + ".yml"], cwd=tmp_path,
                                           env=env, capture_output=True, text=True, timeout=300, check=False)
    finally:
        double.stop()
    ok = results["with_client_cert"]
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-2000:]
    refused = results["without"]
    assert refused.returncode != 0, "the double must refuse a caller without a client certificate"
