# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No ``version_added`` is newer than the collection's version in galaxy.yml, and every plugin says one.

The rule: a ``version_added`` tells a user from which release of *this* collection a plugin or option exists
(ansible-core's ``version_added`` semantics; antsibull-changelog lists a plugin as new in the release whose
version equals its ``version_added``). A value newer than galaxy.yml's version names a release nobody received,
and such a plugin is missing from the changelog of the release that actually ships it.

Scanned by rule, not by list: every documented plugin under plugins/ (the DOCUMENTATION of Python plugins, the
DOCUMENTATION key of YAML sidecar docs of filter and test plugins) and under extensions/ (Event-Driven Ansible
sources and filters), and every role argument spec; every ``version_added`` at any depth (options included).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
GALAXY_VERSION = Version(yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"])
# Plugin folders that hold no documented plugin of their own: shared code, doc fragments (no top-level
# version_added by design), action plugins (they carry the documentation of the module of the same name).
UNDOCUMENTED_DIRS = {"module_utils", "plugin_utils", "doc_fragments", "action", "__pycache__"}


def documented_plugins():
    """(path, documentation dict) for every documented plugin of plugins/ and extensions/."""
    found = []
    for base in (ROOT / "plugins", ROOT / "extensions"):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base).parts
            if not path.is_file() or UNDOCUMENTED_DIRS.intersection(rel) or path.name == "__init__.py":
                continue
            if path.suffix == ".py":
                doc = _python_documentation(path)
            elif path.suffix in (".yml", ".yaml"):
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
                doc = data.get("DOCUMENTATION") if isinstance(data, dict) else None
            else:
                continue
            if doc is not None:
                found.append((path.relative_to(ROOT).as_posix(), doc))
    return found


def _python_documentation(path):
    """The DOCUMENTATION string of a Python plugin file, parsed; None when the file has none (e.g. a filter
    module whose docs are YAML sidecars)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            assert isinstance(node.value, ast.Constant), "%s: DOCUMENTATION must be a literal string" % path
            return yaml.safe_load(node.value.value)
    return None


def version_added_values(data, where=""):
    """Every (path inside the document, value) of a ``version_added`` key, at any depth."""
    out = []
    if isinstance(data, dict):
        if data.get("version_added_collection", "edgeops.nomad") != "edgeops.nomad":
            return out  # another collection's option: its version_added counts that collection's releases
        for key, value in data.items():
            if key == "version_added":
                out.append((where or "(top)", value))
            else:
                out.extend(version_added_values(value, "%s.%s" % (where, key) if where else str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out.extend(version_added_values(value, "%s[%d]" % (where, index)))
    return out


def all_documents():
    docs = documented_plugins()
    for spec in sorted((ROOT / "roles").glob("*/meta/argument_specs.yml")):
        docs.append((spec.relative_to(ROOT).as_posix(), yaml.safe_load(spec.read_text(encoding="utf-8"))))
    return docs


def test_the_scan_finds_the_plugins():
    """The scan itself works: it finds the modules, the inventory plugin and the filter and test plugins."""
    paths = [path for path, dummy in documented_plugins()]
    for kind in ("plugins/modules/", "plugins/inventory/", "plugins/filter/", "plugins/test/"):
        assert any(p.startswith(kind) for p in paths), (kind, paths)


@pytest.mark.parametrize("path, doc", documented_plugins(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_plugin_says_when_it_was_added(path, doc):
    assert "version_added" in doc, "%s: DOCUMENTATION has no version_added" % path


def test_no_version_added_is_newer_than_galaxy_yml():
    newer = []
    for path, doc in all_documents():
        for where, value in version_added_values(doc):
            if not re.fullmatch(r"\d+\.\d+\.\d+", str(value)):
                newer.append("%s %s: %r is not X.Y.Z" % (path, where, value))
            elif Version(str(value)) > GALAXY_VERSION:
                newer.append("%s %s: %s" % (path, where, value))
    assert not newer, "version_added newer than galaxy.yml's %s:\n  %s" % (GALAXY_VERSION, "\n  ".join(newer))
