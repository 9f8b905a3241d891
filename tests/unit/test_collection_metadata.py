# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks that keep the collection's metadata, role interfaces and docs in step with the code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").glob("*") if (p / "tasks").is_dir()) if (ROOT / "roles").is_dir() else []
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("nomad_*.py"))


def load(path: Path):
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_galaxy_dependencies_match_requirements_yml():
    galaxy = load(ROOT / "galaxy.yml")
    requirements = load(ROOT / "requirements.yml")
    from_requirements = {c["name"]: c["version"] for c in requirements["collections"]}
    assert galaxy["dependencies"] == from_requirements
    for name, version in galaxy["dependencies"].items():
        assert version.startswith(">="), f"{name}: use a >= range, not {version!r}"


def test_galaxy_build_ignores_test_only_content():
    ignored = set(load(ROOT / "galaxy.yml")["build_ignore"])
    for path in ("tests", "molecule", "benchmarks", ".cache", ".venv", "scripts"):
        assert path in ignored, f"galaxy.yml build_ignore must list {path}"


def test_action_group_lists_exactly_the_api_modules():
    group = load(ROOT / "meta" / "runtime.yml")["action_groups"]["nomad"]
    assert sorted(group) == group, "keep the action group sorted"
    assert set(MODULES) <= set(group), f"modules missing from action group: {set(MODULES) - set(group)}"
    if MODULES:
        assert set(group) <= set(MODULES), f"action group names modules that do not exist: {set(group) - set(MODULES)}"


def test_requires_ansible_matches_the_tested_core():
    runtime = load(ROOT / "meta" / "runtime.yml")
    assert runtime["requires_ansible"] == ">=2.17.0"
    pins = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    assert "ansible-core==2.19." in pins


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_role_defaults_and_argument_specs_list_the_same_keys(role: Path):
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    assert "main" in specs, f"{role.name}: argument_specs needs a main entry point"
    spec_keys = set()
    for entry in specs.values():
        spec_keys |= set(entry.get("options", {}))
    defaults_file = role / "defaults" / "main.yml"
    defaults = set((load(defaults_file) or {}) if defaults_file.exists() else {})
    prefix = f"{role.name}_"
    assert all(k.startswith(prefix) for k in spec_keys), f"{role.name}: public inputs must start with {prefix}"
    assert all(k.startswith(prefix) for k in defaults), f"{role.name}: defaults must start with {prefix}"
    assert defaults <= spec_keys, f"{role.name}: defaults not in argument_specs: {sorted(defaults - spec_keys)}"
    required = {k for e in specs.values() for k, v in e.get("options", {}).items() if v.get("required")}
    undocumented = spec_keys - defaults - required
    assert not undocumented, f"{role.name}: optional inputs without a default in defaults/main.yml: {sorted(undocumented)}"
    for name, option in specs["main"].get("options", {}).items():
        assert option.get("description"), f"{role.name}: {name} has no description"


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_private_role_vars_use_the_double_underscore_prefix(role: Path):
    for vars_file in sorted((role / "vars").glob("*.yml")):
        for key in load(vars_file) or {}:
            assert key.startswith(f"__{role.name}_"), f"{vars_file.relative_to(ROOT)}: {key} must start with __{role.name}_"
