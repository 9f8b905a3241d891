# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nomad_events event source's DOCUMENTATION and EXAMPLES, read the way Galaxy reads them.

`ansible-doc -t` has no event-source type; galaxy-importer (galaxy_importer/loaders/doc_string.py
DocStringLoader) runs `ansible-doc -M <meta/extensions.yml ext_dir> --json <name>`, which reads the
strings from the file's AST with Ansible's YAML loader, treating the source like a module. The same
command runs here, then the fields Galaxy's docs renderer and ansible-rulebook rely on are checked, and
every EXAMPLES ruleset against ansible-rulebook's own ruleset schema.
"""

from __future__ import annotations

import ast
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[6]
SOURCE_DIR = ROOT / "extensions" / "eda" / "plugins" / "event_source"
SOURCE = SOURCE_DIR / "nomad_events.py"
TYPES = {"str", "int", "float", "bool", "list", "dict", "path", "raw"}


@pytest.fixture(scope="module")
def doc():
    """ansible-doc's JSON for the source, the way galaxy-importer asks for it."""
    ext_dirs = [e["args"]["ext_dir"] for e in yaml.safe_load((ROOT / "meta" / "extensions.yml").read_text())["extensions"]]
    assert "eda/plugins/event_source" in ext_dirs, "meta/extensions.yml must list the event source directory for Galaxy"
    ansible_doc = Path(sys.executable).with_name("ansible-doc")
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=os.environ.get("TMPDIR", "/tmp"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(ansible_doc), "-M", str(SOURCE_DIR), "--json", "nomad_events"],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["nomad_events"]


def test_documentation_has_the_fields_galaxy_renders(doc):
    meta = doc["doc"]
    assert isinstance(meta["short_description"], str) and meta["short_description"]
    assert isinstance(meta["description"], list) and all(isinstance(d, str) for d in meta["description"])
    assert meta["version_added"]
    for name, option in meta["options"].items():
        assert isinstance(option.get("description"), list) and option["description"], name
        assert option.get("type") in TYPES, "%s: type %r" % (name, option.get("type"))
        if option["type"] == "list":
            assert option.get("elements") in TYPES, "%s: a list needs elements" % name
        if "choices" in option and "default" in option:
            assert option["default"] in option["choices"], name


def _options_read_by_the_code():
    """Option names the source accepts (OPTIONS), read from the file without running it."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "OPTIONS" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("OPTIONS not found")


def test_documented_options_are_the_ones_the_source_accepts(doc):
    options = doc["doc"]["options"]
    documented = set(options) | {a for o in options.values() for a in o.get("aliases", [])}
    assert documented == _options_read_by_the_code()


def test_connection_options_are_the_modules_ones(doc):
    """Same names, types and defaults as the edgeops.nomad.nomad doc fragment the API modules share."""
    from ansible_collections.edgeops.nomad.plugins.doc_fragments.nomad import ModuleDocFragment

    fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    options = doc["doc"]["options"]
    for name, spec in fragment.items():
        assert name in options, "the modules' connection option %s is missing" % name
        for key in ("type", "default", "aliases"):
            assert options[name].get(key) == spec.get(key), "%s.%s differs from the modules'" % (name, key)


def test_defaults_are_what_the_code_uses(doc):
    module = runpy.run_path(str(SOURCE))
    source = module["NomadEventSource"]({}, environ={})
    options = doc["doc"]["options"]
    assert sorted(source.topics) == options["topics"]["default"]
    assert source.meta_hosts is options["meta_hosts"]["default"]
    assert source.heartbeat_timeout == options["heartbeat_timeout"]["default"]
    assert (source.backoff, source.max_backoff) == (options["backoff"]["default"], options["max_backoff"]["default"])
    assert (source.client.timeout, source.client.retries) == (options["timeout"]["default"], options["retries"]["default"])
    assert source.client.validate_certs is options["validate_certs"]["default"]


def test_examples_are_rulesets_that_ansible_rulebook_accepts(doc):
    import jsonschema
    import ansible_rulebook

    schema = json.loads((Path(ansible_rulebook.__file__).parent / "schema" / "ruleset_schema.json").read_text())
    rulesets = yaml.safe_load(doc["examples"])
    assert isinstance(rulesets, list) and rulesets
    jsonschema.validate(rulesets, schema)
    options = set(doc["doc"]["options"]) | {"address"}
    used = 0
    for ruleset in rulesets:
        for source in ruleset["sources"]:
            args = source.get("edgeops.nomad.nomad_events")
            if args is not None:
                used += 1
                assert set(args) <= options, set(args) - options
    assert used, "the examples must use the source by its FQCN edgeops.nomad.nomad_events"
