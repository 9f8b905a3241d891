# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the documentation states about behaviour is what the code does. Each test reads the value from the
code (the one place it is decided) and checks every place the docs state it; the docs lose when they differ.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ansible_collections.edgeops.nomad.plugins.module_utils import _nomad_api

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


class _Loader(yaml.SafeLoader):
    """Reads Ansible's !unsafe tag as a plain string."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def docs_text():
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in DOC_FILES}


def test_retry_statuses_in_the_api_guide_are_the_clients():
    # plugins/module_utils/_nomad_api.py RETRY_STATUSES decides; the module and inventory option docs are
    # generated from it (plugins/doc_fragments/nomad.py), the guide states it in words.
    stated = "/".join(str(code) for code in sorted(_nomad_api.RETRY_STATUSES))
    assert stated in (ROOT / "docs" / "api_modules.md").read_text(encoding="utf-8"), stated
    text = _nomad_api.retry_policy_text()
    assert all(str(code) in text for code in _nomad_api.RETRY_STATUSES) and "501" not in text
    assert "deletes are never retried" in text and "DELETE" not in _nomad_api.IDEMPOTENT_METHODS


def test_retries_option_documented_is_the_clients_policy():
    # plugins/doc_fragments/nomad.py is literal text (ansible-test reads it so); scripts/gen-retry-docs.py writes its
    # retries option from the client, and the two documents of the fragment must carry exactly that option.
    import importlib.util

    from ansible_collections.edgeops.nomad.plugins.doc_fragments.nomad import ModuleDocFragment

    spec = importlib.util.spec_from_file_location("gen_retry_docs", ROOT / "scripts" / "gen-retry-docs.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = (ROOT / "plugins" / "doc_fragments" / "nomad.py").read_text(encoding="utf-8")
    assert gen.generated(text) == text, "run python scripts/gen-retry-docs.py"
    for document in (ModuleDocFragment.DOCUMENTATION, ModuleDocFragment.RETRIES):
        option = yaml.safe_load(document)["options"]["retries"]
        assert option["description"] == [_nomad_api.retry_policy_text()] and option["default"] == _nomad_api.DEFAULT_RETRIES


def test_firewalld_ports_documented_are_the_ones_opened():
    ports = load(ROOT / "roles" / "nomad_client" / "vars" / "main.yml")["__nomad_client_firewalld_ports"]
    spec = load(ROOT / "roles" / "nomad_client" / "meta" / "argument_specs.yml")
    description = spec["argument_specs"]["main"]["options"]["nomad_client_firewalld_open_ports"]["description"]
    description = " ".join(description) if isinstance(description, list) else description
    guide = (ROOT / "docs" / "edge_clients.md").read_text(encoding="utf-8")
    for port in ports:
        number, proto = port.split("/")
        assert number in description and proto in description, (port, description)
        assert number in guide, (port, "docs/edge_clients.md")


def test_rollout_threshold_default_stated_everywhere_is_the_playbooks():
    playbook = (ROOT / "playbooks" / "edge_clients.yml").read_text(encoding="utf-8")
    default = re.search(r"nomad_clients_max_fail_percentage \| default\((\d+)\)", playbook).group(1)
    stated = []
    for doc, text in docs_text().items():
        for match in re.finditer(r"nomad_clients_max_fail_percentage`?[^.|\n]{0,40}?(?:default |integer, )(\d+)", text):
            stated.append((doc, match.group(1)))
    assert stated, "no document states the default threshold"
    assert all(value == default for dummy, value in stated), (default, stated)
    # and it is a threshold over the whole run, not Ansible's per-batch max_fail_percentage
    assert "of all the hosts of the run" in docs_text()["docs/playbooks.md"]


def test_vault_kv_keys_named_by_preflight_and_docs_are_the_ones_read():
    secrets = load(ROOT / "roles" / "nomad_server" / "vars" / "main.yml")["__nomad_server_vault_static_secrets"]
    keys = sorted(re.search(r'get \.Secrets "([a-z_]+)"', entry["text"]).group(1) for entry in secrets)
    preflight = (ROOT / "roles" / "nomad_server" / "tasks" / "preflight.yml").read_text(encoding="utf-8")
    message = re.search(r'msg: "must name the Vault KV path holding ([^"]+)"', preflight).group(1)
    assert sorted(re.findall(r"\b([a-z]+_[a-z_]+|license)\b", message)) == keys, (message, keys)
    guide = docs_text()["docs/openshift_fleet.md"]
    for key in keys:
        assert "`%s`" % key in guide, key
    for doc, text in docs_text().items():
        assert "bootstrap_token" not in text, doc


def test_platforms_stated_are_the_os_families_preflight_accepts():
    """What the preflight accepts is a per-OS vars file saying __nomad_client_os_supported: the README's platform
    line and the Galaxy platforms state exactly those files' labels and platform names (scripts/platforms.py)."""
    supported = {}
    for path in (ROOT / "roles" / "nomad_client" / "vars").glob("*.yml"):
        data = load(path) or {}
        if data.get("__nomad_client_os_supported"):
            supported[path.stem] = data
    assert {"Debian", "RedHat", "Windows"} <= set(supported), sorted(supported)
    assert load(ROOT / "roles" / "nomad_client" / "vars" / "default.yml")["__nomad_client_os_supported"] is False
    readme = docs_text()["README.md"]
    stated = readme.split("<!--platforms-->", 1)[1].split("<!--/platforms-->", 1)[0]
    for name, data in supported.items():
        label = data["__nomad_client_os_label"]
        assert label.replace("Linux of ", "") in stated, (name, stated)
    platforms = [p["name"] for p in load(ROOT / "roles" / "nomad_client" / "meta" / "main.yml")["galaxy_info"]["platforms"]]
    assert sorted(platforms) == sorted(n for data in supported.values() for n in data["__nomad_client_os_galaxy_platforms"])


def test_ansible_pull_runs_a_playbook_file():
    # ansible-pull looks the playbook up as a file of its checkout (ansible/cli/pull.py select_playbook):
    # a collection playbook name there is never found.
    sources = dict(docs_text())
    sources.update({p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in (ROOT / "playbooks").glob("*.yml")})
    found = 0
    for name, text in sources.items():
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if "ansible-pull -" not in line:
                continue
            command = line[line.index("ansible-pull -"):]
            while command.rstrip().endswith("\\") and index + 1 < len(lines):
                index += 1
                command = command.rstrip()[:-1] + " " + lines[index].lstrip("# ")
            found += 1
            assert command.split()[-1].endswith((".yml", ".yaml")), (name, command)
    assert found


def test_no_playbook_writes_into_the_installed_collection_by_default():
    # playbook_dir of a playbook called by its FQCN is a folder of the installed collection: what a run
    # writes there is lost with the execution environment, and mixes data into installed content.
    for path in (ROOT / "playbooks").glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(nomad_\w+_dir) \| default\(playbook_dir", text):
            assert match.group(1) == "nomad_deploy_jobs_dir", (path.name, match.group(0))  # read-only job files


def _filters_in_code():
    """{filter name: plugin file} from every FilterModule of plugins/filter (the names Ansible publishes)."""
    import importlib

    found = {}
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        module = importlib.import_module("ansible_collections.edgeops.nomad.plugins.filter." + path.stem)
        for name in module.FilterModule().filters():
            found[name] = path.name
    return found


def test_public_filters_are_the_ones_the_readme_lists_and_the_rest_say_internal():
    # A filter the playbooks or users call is public: documented in the README's content table under its FQCN.
    # A filter only the roles use carries a leading underscore, its plugin doc says it is internal, and neither
    # the README table nor any guide offers it to users.
    filters = _filters_in_code()
    readme = docs_text()["README.md"]
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| filter |"))
    for name, source in filters.items():
        doc = load(ROOT / "plugins" / "filter" / (name + ".yml"))["DOCUMENTATION"]
        assert doc["name"] == name, (name, source)
        if name.startswith("_"):
            assert doc["short_description"].startswith("Internal to the roles"), name
            assert "not a public interface" in " ".join(doc["description"]), name
            assert "edgeops.nomad.%s`" % name not in table, name
        else:
            assert "`edgeops.nomad.%s`" % name in table, "public filter %s missing from the README content table" % name
    for path, text in docs_text().items():
        if path != "README.md":
            assert not re.findall(r"edgeops\.nomad\._\w+", text), path
    listed = set(re.findall(r"`edgeops\.nomad\.(\w+)`", table))
    assert listed <= set(filters), listed - set(filters)
