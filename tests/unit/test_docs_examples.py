# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every YAML example in README.md and docs/*.md is checked against the code, so an example the collection
refuses fails `make test`. The blocks are found by a rule (every ```yaml or ```yml fence of those files),
never by a list, and each is checked by what it is:

- every block must parse as YAML;
- a list of plays: `ansible-playbook --syntax-check`; a play that applies edgeops.nomad.nomad_server or
  edgeops.nomad.nomad_client is run through that role's own checks with the example's variables (the server
  role's argument spec and preflight; the client role up to its preflight and variables, in check mode with
  the install, configure and service steps skipped, on a Linux host); a play applying the client role must
  escalate privileges (`become`), which the role needs on Linux;
- a mapping of role inputs (nomad_server_* or nomad_client_* keys: a vars file, group_vars): the same checks
  with those variables; the group_vars blocks of one document (first line `# .../group_vars/<group>.yml`)
  form one inventory (a control-plane host, a client host) and are checked together, and its client
  group must set ansible_become;
- a client example run as the pull path runs it (host `localhost`) must not leave the node named
  `localhost` (every device would register under the same name);
- a nomad_nodes inventory source: every key is an option of the plugin;
- an ansible-builder definition (version 3): valid against ansible-builder's own schema.

Controller files an example reads with lookup('ansible.builtin.file', ...) do not exist here: such a value is
replaced by test content (an armoured key for the GPG key, a token-shaped string otherwise).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?:yaml|yml)[ \t]*\n(.*?)^```", re.M | re.S)
ROLES = {"edgeops.nomad.nomad_server": "server", "edgeops.nomad.nomad_client": "client"}
FAKE_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\ntest content\n-----END PGP PUBLIC KEY BLOCK-----\n"
FAKE_TOKEN = "eyJhbGciOiJub25lIn0.eyJ0ZXN0IjoidGVzdCJ9.test-content"
FILE_LOOKUP = "lookup('ansible.builtin.file'"
LINUX_AMD64 = {"system": "Linux", "os_family": "Debian", "architecture": "x86_64"}


class _Loader(yaml.SafeLoader):
    """Reads Ansible's tags (!unsafe, !vault) as plain strings."""


for _tag in ("!unsafe", "!vault"):
    _Loader.add_constructor(_tag, lambda loader, node: loader.construct_scalar(node))


@dataclass
class Block:
    doc: str
    line: int
    text: str

    @property
    def id(self):
        return "%s:%d" % (self.doc, self.line)

    @property
    def data(self):
        return yaml.load(self.text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass

    @property
    def vars_path(self):
        match = re.match(r"#\s*(\S+\.ya?ml)\b", self.text)
        return match.group(1) if match else None


def all_blocks():
    out = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            out.append(Block(path.relative_to(ROOT).as_posix(), text.count("\n", 0, match.start()) + 1, match.group(1)))
    return out


BLOCKS = all_blocks()


def is_plays(data):
    return isinstance(data, list) and data and all(
        isinstance(item, dict) and ("hosts" in item or any(k.endswith("import_playbook") for k in item)) for item in data)


def role_inputs(data):
    """The roles a mapping gives inputs to ("server", "client"), from its key prefixes."""
    if not isinstance(data, dict):
        return set()
    return {kind for kind in ("server", "client") for key in data if key.startswith("nomad_%s_" % kind)}


def with_test_files(values: dict) -> dict:
    """The variables, with every value that reads a controller file replaced by test content."""
    out = {}
    for key, value in values.items():
        if isinstance(value, str) and FILE_LOOKUP in value:
            value = FAKE_KEY if "gpg" in key else FAKE_TOKEN
        out[key] = value
    return out


def role_applications(play):
    """(kind, role vars, role-level become) for each role entry of a play that is one of the collection's."""
    for entry in play.get("roles") or []:
        name = entry if isinstance(entry, str) else entry.get("role", entry.get("name"))
        if name in ROLES:
            role_vars = {} if isinstance(entry, str) else dict(entry.get("vars") or {})
            yield ROLES[name], role_vars, (not isinstance(entry, str) and entry.get("become"))


def env():
    out = dict(os.environ)
    out.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
    out.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_LOCALHOST_WARNING": "0",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_HOST_PATTERN_MISMATCH": "ignore",
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), out.get("PATH", "")])})
    return out


def test_the_rule_finds_the_examples():
    """The extraction itself: README's role examples and the guides' examples are found and classified."""
    assert any(b.doc == "README.md" and is_plays(b.data) for b in BLOCKS)
    assert any(b.doc == "docs/openshift_fleet.md" and "group_vars/" in (b.vars_path or "") for b in BLOCKS)
    assert any(b.doc == "docs/edge_client_pull.md" and "client" in role_inputs(b.data) for b in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_every_example_parses(block):
    assert block.data is not None, "%s: an empty YAML block" % block.id


@pytest.mark.parametrize("block", [b for b in BLOCKS if is_plays(b.data)], ids=lambda b: b.id)
def test_playbook_examples_pass_syntax_check(block, tmp_path):
    (tmp_path / "play.yml").write_text(block.text, encoding="utf-8")
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "--syntax-check", "play.yml"], cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, "%s:\n%s" % (block.id, proc.stdout[-2000:] + proc.stderr[-2000:])
    for play in block.data:
        for kind, dummy, role_become in role_applications(play):
            if kind == "client":
                assert play.get("become") or role_become, "%s: the client role needs become (root on Linux)" % block.id


@pytest.mark.parametrize("block", [b for b in BLOCKS if isinstance(b.data, dict) and b.data.get("plugin") == "edgeops.nomad.nomad_nodes"],
                         ids=lambda b: b.id)
def test_inventory_examples_use_options_of_the_plugin(block):
    proc = subprocess.run(["ansible-doc", "-t", "inventory", "--json", "edgeops.nomad.nomad_nodes"], env=env(),
                          capture_output=True, text=True, timeout=120, check=True)
    options = json.loads(proc.stdout)["edgeops.nomad.nomad_nodes"]["doc"]["options"]
    unknown = sorted(set(block.data) - set(options))
    assert not unknown, "%s: not options of edgeops.nomad.nomad_nodes: %s" % (block.id, unknown)


@pytest.mark.parametrize("block", [b for b in BLOCKS if isinstance(b.data, dict) and b.data.get("version") == 3
                                   and ("dependencies" in b.data or "images" in b.data)], ids=lambda b: b.id)
def test_execution_environment_examples_are_valid_definitions(block):
    from ansible_builder.ee_schema import validate_schema

    validate_schema(block.data)


# --- the roles' own checks --------------------------------------------------------------------------------

def cases():
    """{case id: (block id, kind, host vars)}: every role application of the documents' examples (group_vars
    blocks are collected per document by group_vars_inventories). A client settings file that lives on the device
    (its first line names an absolute path, e.g. /etc/edgeops/nomad-client.yml) runs as the pull path runs it,
    on the inventory host `localhost`: the role's default node name is then `localhost`."""
    out = {}
    for block in BLOCKS:
        data = block.data
        if is_plays(data):
            for number, play in enumerate(data):
                for kind, role_vars, dummy in role_applications(play):
                    values = {**(play.get("vars") or {}), **role_vars}
                    out["%s-%d-play%d" % (kind, block.line, number)] = (block.id, kind, values)
        elif role_inputs(data) and "group_vars/" not in (block.vars_path or ""):
            for kind in role_inputs(data):
                values = dict(data)
                if kind == "client" and (block.vars_path or "").startswith("/"):
                    values.setdefault("nomad_client_node_name", "localhost")
                out["%s-%d-vars" % (kind, block.line)] = (block.id, kind, values)
    return out


def check_plays(record_dir):
    record = {"dest": str(record_dir) + "/{{ inventory_hostname }}.json", "mode": "0644"}
    failure = ("{{ {'ok': false, 'task': ansible_failed_task.name | default(''), 'msg': ansible_failed_result.msg"
               " | default('') | string, 'items': ansible_failed_result.results | default([]) | selectattr('failed',"
               " 'defined') | selectattr('failed') | map(attribute='msg') | map('string') | list} | to_json }}")
    spec = ROOT / "roles" / "nomad_server" / "meta" / "argument_specs.yml"
    server_tasks = [
        {"name": "The server role's argument spec", "ansible.builtin.validate_argument_spec": {
            "argument_spec": "{{ (lookup('ansible.builtin.file', '%s') | ansible.builtin.from_yaml).argument_specs.main.options }}" % spec}},
        {"name": "The server role's preflight", "ansible.builtin.include_role": {
            "name": "edgeops.nomad.nomad_server", "tasks_from": "preflight"}},
        {"name": "Record", "ansible.builtin.copy": dict(record, content="{{ {'ok': true} | to_json }}"), "check_mode": False},
    ]
    client_tasks = [
        {"name": "The client role up to its variables", "ansible.builtin.include_role": {"name": "edgeops.nomad.nomad_client"},
         "vars": {"__nomad_client_host": LINUX_AMD64}},
        {"name": "Record", "check_mode": False, "ansible.builtin.copy": dict(record, content=(
            "{{ {'ok': true, 'node_name': __nomad_client_config.name, 'tls': __nomad_client_config.tls | default({}),"
            " 'acl': __nomad_client_config.acl | default({})} | to_json }}"))},
    ]
    plays = []
    rescue = [{"name": "Record the failure", "check_mode": False, "ansible.builtin.copy": dict(record, content=failure)}]
    for group, tasks in (("docs_server", server_tasks), ("docs_client", client_tasks)):
        plays.append({"name": "Examples for " + group, "hosts": group, "gather_facts": False,
                      "tasks": [{"name": "Check", "block": tasks, "rescue": rescue}]})
    return plays


def run_checks(tmp: Path, inventory: Path):
    records = tmp / "records"
    records.mkdir(exist_ok=True)
    (tmp / "checks.yml").write_text(yaml.safe_dump(check_plays(records), sort_keys=False), encoding="utf-8")
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), "checks.yml", "--check", "-f", "8",
         "--skip-tags", "nomad_client_install,nomad_client_configure,nomad_client_service",
         "-e", "ansible_connection=local", "-e", "ansible_python_interpreter=" + sys.executable],
        cwd=tmp, env=env(), capture_output=True, text=True, timeout=900, check=False)
    found = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in records.glob("*.json")}
    return found, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_role_examples_pass_the_roles_checks(tmp_path):
    all_cases = cases()
    assert all_cases
    inventory = {"docs_server": {"hosts": {}}, "docs_client": {"hosts": {}}}
    for case_id, (dummy, kind, values) in all_cases.items():
        inventory["docs_" + kind]["hosts"][case_id] = with_test_files(values)
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    found, log = run_checks(tmp_path, tmp_path / "inventory.yml")
    assert set(found) == set(all_cases), "not every example was checked: %s\n%s" % (sorted(set(all_cases) - set(found)), log)
    problems = []
    for case_id, record in sorted(found.items()):
        source = all_cases[case_id][0]
        if not record.get("ok"):
            problems.append("%s: %s %s" % (source, record.get("msg"), record.get("items")))
        elif record.get("node_name") == "localhost":
            problems.append("%s: every device would register as 'localhost' (set nomad_client_node_name)" % source)
    assert not problems, "examples the roles refuse:\n  " + "\n  ".join(problems)


def group_vars_inventories():
    """{document: {group: vars}} of the documents whose blocks name group_vars files."""
    out = {}
    for block in BLOCKS:
        path = block.vars_path or ""
        if "group_vars/" in path and isinstance(block.data, dict):
            group = Path(path).stem
            out.setdefault(block.doc, {}).setdefault(group, {}).update(block.data)
    return out


@pytest.mark.parametrize("doc", sorted(group_vars_inventories()))
def test_documented_inventories_pass_the_roles_checks(doc, tmp_path):
    groups = group_vars_inventories()[doc]
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    for group, values in groups.items():
        values = with_test_files(values)
        (inventory / "group_vars" / (group + ".yml")).write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
    # A control-plane host and a client host, in the documented groups and the checks' own groups.
    hosts = {"all": {"children": {
        "nomad_control_plane": {"hosts": {"docs-control-plane": {}}},
        "nomad_clients": {"hosts": {"docs-edge-01": {}}},
        "docs_server": {"hosts": {"docs-control-plane": {}} if "nomad_control_plane" in groups else {}},
        "docs_client": {"hosts": {"docs-edge-01": {}} if "nomad_clients" in groups else {}},
    }}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False), encoding="utf-8")
    if "nomad_clients" in groups:
        assert groups["nomad_clients"].get("ansible_become") is True, "%s: the client group must set ansible_become" % doc
    found, log = run_checks(tmp_path, inventory)
    expected = {h for key, h in (("nomad_control_plane", "docs-control-plane"), ("nomad_clients", "docs-edge-01")) if key in groups}
    assert set(found) == expected, log
    for host, record in found.items():
        assert record.get("ok"), "%s, %s: %s %s" % (doc, host, record.get("msg"), record.get("items"))
    shutil.rmtree(inventory)
