# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks that keep the collection's metadata, role interfaces and docs in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").glob("*") if (p / "tasks").is_dir()) if (ROOT / "roles").is_dir() else []
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("nomad_*.py"))


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads Ansible's !unsafe tag (a string Ansible never templates) as that string."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path: Path):
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


# --- dependencies: one list each (requirements.yml, requirements-dev.txt, bindep.txt) -------------------

# Where a YAML file names a plugin of another collection by FQCN: a task's module key, a
# connection/callback setting, an inventory `plugin:`, a lookup/query call, a filter or test.
FQCN_USES = (
    re.compile(r"^\s*-?\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+:", re.M),
    re.compile(r"^\s*(?:ansible_connection|plugin|connection|callbacks_enabled|stdout_callback):\s*\[?\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+", re.M),
    re.compile(r"""(?:lookup|query|q)\(\s*['"]([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"""),
    re.compile(r"\|\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"),
    re.compile(r"\bis\s+(?:not\s+)?([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+"),
    # a filter or test named as the argument of map/select/reject (selectattr/rejectattr: after the attribute)
    re.compile(r"""\b(?:map|select|reject|selectattr|rejectattr)\(\s*(?:'[^']*'\s*,\s*)?['"]([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+['"]"""),
)
NOT_DEPENDENCIES = {"ansible.builtin", "ansible.legacy", "edgeops.nomad"}
SHIPPED_DIRS = ("roles", "plugins", "playbooks", "meta", "inventories", "extensions")
TEST_DIRS = ("tests", "molecule", "benchmarks", "inventories", "playbooks")


def shipped(rel: str) -> bool:
    """Whether galaxy.yml's allow-list (its `manifest:` lines) ships `rel`, as scripts/check-shipped.py reads it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_shipped", ROOT / "scripts" / "check-shipped.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.allowed(rel, module.directives(ROOT / "galaxy.yml"))


def collections_used(dirs, skip=lambda rel: False) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for top in dirs:
        for path in sorted((ROOT / top).rglob("*")) if (ROOT / top).is_dir() else []:
            rel = path.relative_to(ROOT).as_posix()
            if path.suffix not in (".yml", ".yaml", ".j2") or not path.is_file() or skip(rel):
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in FQCN_USES:
                for name in pattern.findall(text):
                    if name not in NOT_DEPENDENCIES:
                        used.setdefault(name, set()).add(rel)
    return used


def requirements_yml(name="requirements.yml") -> dict[str, str]:
    return {c["name"]: c["version"] for c in load(ROOT / name)["collections"]}


def dev_pins() -> dict[tuple[str, str], str]:
    """requirements-dev.txt as {(name, extra marker or ''): version}; every line must be `name==version`."""
    pins = {}
    for raw in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r'([A-Za-z0-9_.-]+)(?:\[[^\]]+\])?==([^\s;]+)\s*(?:;\s*extra\s*==\s*"([a-z-]+)")?', line)
        assert match, f"requirements-dev.txt: {raw!r} is not pinned with == (or has another marker)"
        pins[(match.group(1).lower(), match.group(3) or "")] = match.group(2)
    return pins


def test_galaxy_dependencies_are_what_the_shipped_content_uses():
    galaxy = load(ROOT / "galaxy.yml")
    used = collections_used(SHIPPED_DIRS, lambda rel: not shipped(rel))
    deps = galaxy["dependencies"]
    missing = {name: sorted(files)[:3] for name, files in used.items() if name not in deps}
    assert not missing, f"shipped content uses collections galaxy.yml does not depend on: {missing}"
    unused = sorted(set(deps) - set(used))
    assert not unused, f"galaxy.yml depends on collections nothing shipped uses: {unused}"


def test_galaxy_dependencies_are_requirements_yml_with_the_same_ranges():
    # requirements.yml is the runtime list (what a checkout needs); requirements-dev.yml adds the demo's and tests'.
    deps = load(ROOT / "galaxy.yml")["dependencies"]
    wanted = requirements_yml()
    assert sorted(wanted) == sorted(deps), f"requirements.yml {sorted(wanted)} != galaxy.yml dependencies {sorted(deps)}"
    for name, version in deps.items():
        assert wanted.get(name) == version, f"{name}: galaxy.yml {version!r}, requirements.yml {wanted.get(name)!r}"
        assert version.startswith(">="), f"{name}: use a >= range, not {version!r}"


def test_requirements_lists_name_every_collection_the_repository_uses_and_no_other():
    wanted = {**requirements_yml(), **requirements_yml("requirements-dev.yml")}
    assert not set(requirements_yml()) & set(requirements_yml("requirements-dev.yml")), "a collection in both lists"
    used = collections_used(SHIPPED_DIRS + TEST_DIRS)
    missing = {name: sorted(files)[:3] for name, files in used.items() if name not in wanted}
    assert not missing, f"collections used but in neither requirements.yml nor requirements-dev.yml: {missing}"
    unused = sorted(set(wanted) - set(used))
    assert not unused, f"requirements lists name collections nothing uses: {unused}"


def test_runtime_python_requirements_are_pinned_for_development_inside_their_range():
    from packaging.requirements import Requirement

    ee = load(ROOT / "meta" / "execution-environment.yml")["dependencies"]
    pins = dev_pins()
    lines = [ln.split("#", 1)[0].strip() for ln in (ROOT / ee["python"]).read_text(encoding="utf-8").splitlines()]
    requirements = [Requirement(ln) for ln in lines if ln]
    assert requirements
    for req in requirements:
        pin = pins.get((req.name.lower(), ""))
        assert pin, f"{ee['python']}: {req.name} is not pinned in requirements-dev.txt, so no test runs with it"
        assert req.specifier.contains(pin), f"{req.name}: the tested pin {pin} is outside {ee['python']}'s range {req.specifier}"


def test_execution_environment_system_list_is_bindep_txt_and_parses():
    from bindep.depends import Depends

    ee = load(ROOT / "meta" / "execution-environment.yml")["dependencies"]
    assert ee["system"] == "bindep.txt"
    depends = Depends((ROOT / "bindep.txt").read_text(encoding="utf-8"))
    for platform in (["platform:dpkg", "platform:debian"], ["platform:rpm", "platform:redhat"]):
        runtime = {rule[0] for rule in depends.active_rules(platform + ["default"])}
        assert runtime, f"bindep.txt: no package for an execution environment on {platform[0]}"
        # an EE gets only what the collection needs, none of the development profiles
        dev_only = {"podman", "mmdebstrap", "shellcheck", "qemu-user-static", "python3-venv"}
        assert not runtime & dev_only, f"bindep.txt: development packages without a profile: {runtime & dev_only}"


def test_requires_ansible_is_the_tested_core_range():
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    claim = SpecifierSet(load(ROOT / "meta" / "runtime.yml")["requires_ansible"])
    pins = dev_pins()
    oldest, newest = pins.get(("ansible-core", "core-oldest")), pins.get(("ansible-core", "core-newest"))
    assert oldest and newest, "requirements-dev.txt must pin the oldest and newest ansible-core that mk/core-range.mk tests"
    lower = [Version(s.version) for s in claim if s.operator == ">="]
    assert lower and lower[0].release[:2] == Version(oldest).release[:2], (
        f"requires_ansible {claim} does not start at the oldest tested ansible-core {oldest}")
    assert claim.contains(oldest) and claim.contains(newest), f"{claim} excludes a tested ansible-core"
    assert Version(oldest) <= Version(pins[("ansible-core", "")]) <= Version(newest)
    assert "core-range" in (ROOT / "mk" / "core-range.mk").read_text(encoding="utf-8")


def test_galaxy_allow_list_leaves_out_test_only_content():
    for path in ("tests/unit/conftest.py", "molecule/nomad_client/molecule.yml", "benchmarks/side_by_side.py",
                 ".cache/x.yml", ".venv/x.py", "scripts/bootstrap.sh", "inventories/local/hosts.yml",
                 "requirements-dev.yml", "bindep-dev.txt", ".ansible-lint", ".yamllint"):
        assert not shipped(path), f"galaxy.yml's manifest ships {path}"
    for path in ("plugins/modules/nomad_job.py", "roles/nomad_client/tasks/main.yml", "bindep.txt", "meta/runtime.yml"):
        assert shipped(path), f"galaxy.yml's manifest leaves out {path}"


def test_action_group_lists_exactly_the_api_modules():
    # API modules take the connection options of the edgeops.nomad.nomad doc fragment; a host-side module
    # (nomad_client_state) must stay out of the group, or module_defaults for the group would pass it url/token.
    api = sorted(m for m in MODULES if "- edgeops.nomad.nomad\n" in
                 (ROOT / "plugins" / "modules" / f"{m}.py").read_text(encoding="utf-8"))
    group = load(ROOT / "meta" / "runtime.yml")["action_groups"]["nomad"]
    assert sorted(group) == group, "keep the action group sorted"
    assert set(api) <= set(group), f"modules missing from action group: {set(api) - set(group)}"
    if api:
        assert set(group) <= set(api), f"action group names modules that are not API modules: {set(group) - set(api)}"


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


def test_server_entry_points_take_every_option_of_main():
    # objects_only, upgrade, backup_token and recover_raft run the same preflight and templates as
    # main; an option missing from one of them is refused by its argument spec validation (the
    # role's own roll options once were). One list, shared by a YAML merge key, not copies.
    text = (ROOT / "roles" / "nomad_server" / "meta" / "argument_specs.yml").read_text(encoding="utf-8")
    specs = yaml.safe_load(text)["argument_specs"]
    main = specs["main"]["options"]
    for name, entry in specs.items():
        missing = sorted(k for k in main if entry.get("options", {}).get(k) != main[k])
        assert not missing, f"nomad_server entry point {name} lacks or changes options of main: {missing[:5]}"
    assert text.count("nomad_server_state:") == 1, "main's options are written out more than once"


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_private_role_vars_use_the_double_underscore_prefix(role: Path):
    for vars_file in sorted((role / "vars").glob("*.yml")):
        for key in load(vars_file) or {}:
            assert key.startswith(f"__{role.name}_"), f"{vars_file.relative_to(ROOT)}: {key} must start with __{role.name}_"
