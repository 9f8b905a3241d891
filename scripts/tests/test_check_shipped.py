"""scripts/check-shipped.py (used by `make build-check`): the built tarball holds exactly galaxy.yml's allow-list.

The real build: a copy of the checkout's tracked files with an editor folder, caches and importer output planted
in it is built with `ansible-galaxy collection build`; nothing planted ships and the check passes. Then the
check must refuse what a loose list would let through (a planted file named by a new line, a file no line
allows, a tracked file the list names but the build dropped).
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("check_shipped", ROOT / "scripts" / "check-shipped.py")
check_shipped = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_shipped)

# What a developer's tree collects: editor folders, caches, importer and test output, leftovers.
JUNK = [
    ".vscode/settings.json",
    ".idea/workspace.xml",
    "roles/nomad_client/.idea/misc.xml",
    "plugins/modules/__pycache__/nomad_job.cpython-311.pyc",
    "plugins/filter/.mypy_cache/3.11/x.json",
    ".pytest_cache/v/cache/nodeids",
    "docs/.ipynb_checkpoints/notes.md",
    "importer_result.json",
    "roles/nomad_server/tasks/main.yml~",
    "playbooks/.site.yml.swp",
    "changelogs/.plugin-cache.yaml",
]


def tracked_files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [p for p in out if (ROOT / p).is_file()]


def build(tree: Path, out: Path) -> Path:
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    bindir = Path(sys.executable).parent
    proc = subprocess.run([str(bindir / "ansible-galaxy"), "collection", "build", str(tree), "--output-path", str(out)],
                          capture_output=True, text=True, env=env, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return next(out.glob("edgeops-nomad-*.tar.gz"))


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A copy of the checkout with junk planted, built; returns (copy, tarball, tracked file list)."""
    base = tmp_path_factory.mktemp("shipped")
    tree = base / "edgeops_nomad"
    files = tracked_files()
    for rel in files:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tree / rel)
    for rel in JUNK:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text("junk\n", encoding="utf-8")
    (base / "out").mkdir()
    return tree, build(tree, base / "out"), files


def names(tarball: Path) -> set[str]:
    with tarfile.open(tarball) as tar:
        return {m.name for m in tar.getmembers()}


def test_planted_junk_does_not_ship_and_the_check_passes(planted):
    tree, tarball, files = planted
    shipped = names(tarball)
    assert not [j for j in JUNK if j in shipped], sorted(shipped)
    assert not [n for n in shipped if n.startswith("tests/") or "/." in "/" + n], sorted(shipped)
    assert check_shipped.problems(tarball, tree / "galaxy.yml", files) == []
    # The runtime content is there.
    for path in ("README.md", "meta/runtime.yml", "plugins/modules/nomad_job.py", "roles/nomad_client/tasks/main.yml",
                 "playbooks/site.yml", "bindep.txt"):
        assert path in shipped, path


def test_a_list_that_lets_junk_in_is_refused(planted, tmp_path):
    tree, dummy, files = planted
    galaxy = tree / "galaxy.yml"
    original = galaxy.read_text(encoding="utf-8")
    try:
        loose = [line for line in original.splitlines(keepends=True) if "- global-exclude" not in line]
        loose.append("    - include .vscode/settings.json importer_result.json\n")
        galaxy.write_text("".join(loose), encoding="utf-8")
        (tmp_path / "out").mkdir()
        tarball = build(tree, tmp_path / "out")
        found = check_shipped.problems(tarball, galaxy, files)
    finally:
        galaxy.write_text(original, encoding="utf-8")
    assert any(p.startswith(".vscode/settings.json: ships a hidden path") for p in found), found
    assert any(p.startswith("importer_result.json: ships build or importer output") for p in found), found
    assert any(p.startswith("docs/.ipynb_checkpoints/notes.md: ships a hidden path") for p in found), found


def fake_tarball(path: Path, members: list[str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name in members:
            data = b"x\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_file_no_line_allows_and_a_dropped_file_are_refused(tmp_path):
    required = ["MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml"]
    tarball = fake_tarball(tmp_path / "c.tar.gz", required + ["plugins/modules/a.py", "notes.txt", "docs/a.md"])
    found = check_shipped.problems(tarball, ROOT / "galaxy.yml", ["plugins/modules/a.py", "docs/a.md", "docs/b.md", "Makefile"])
    assert found == [
        "notes.txt: ships, but no line of galaxy.yml's manifest allows it",
        "docs/b.md: the allow-list names it, but it is not in the tarball",
    ]


def test_a_missing_required_file_is_refused(tmp_path):
    tarball = fake_tarball(tmp_path / "c.tar.gz", ["MANIFEST.json", "FILES.json", "README.md"])
    assert check_shipped.problems(tarball, ROOT / "galaxy.yml", []) == ["meta/runtime.yml: missing from the tarball"]
