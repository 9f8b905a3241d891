# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/side_by_side.py: the anchor gets the collections its own requirements.yml names.

ansible-community/ansible-nomad at the pinned commit renders its client.hcl.j2 with `ansible.utils.ipwrap` and lists
ansible.utils in its requirements.yml. That collection is not a dependency of edgeops.nomad, so bootstrap does
not install it; without it every anchor run fails at its configuration task ("No filter named
'ansible.utils.ipwrap'", seen on 2026-12-08 in a 25-host side by side) and the benchmark compares a failed run.
anchor_collections() unpacks what is missing from the `ansible` wheel bootstrap keeps, before any container
starts, and stops with the collection's name when the wheel lacks it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("side_by_side", ROOT / "benchmarks" / "side_by_side.py")
side_by_side = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(side_by_side)

PIN = re.search(r'^ansible==([^ ;]+) *; *extra *== *"collections"',
                (ROOT / "requirements-dev.txt").read_text(encoding="utf-8"), re.M).group(1)


def manifest(version):
    return json.dumps({"collection_info": {"version": version}})


@pytest.fixture
def bed(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    (cache / "wheels").mkdir(parents=True)
    with zipfile.ZipFile(cache / "wheels" / ("ansible-%s-py3-none-any.whl" % PIN), "w") as wheel:
        wheel.writestr("ansible_collections/ansible/utils/MANIFEST.json", manifest("6.0.0"))
        wheel.writestr("ansible_collections/ansible/utils/plugins/filter/ipwrap.py", "# filter\n")
        wheel.writestr("ansible_collections/community/general/MANIFEST.json", manifest("11.0.0"))
    ours = tmp_path / "collections"  # this checkout's collection path: ansible.posix only
    (ours / "ansible_collections" / "ansible" / "posix").mkdir(parents=True)
    (ours / "ansible_collections" / "ansible" / "posix" / "MANIFEST.json").write_text(manifest("2.1.0"))
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", str(ours))
    anchor = tmp_path / "ansible-nomad"
    anchor.mkdir()
    (anchor / "requirements.yml").write_text(
        "---\ncollections:\n  - name: ansible.utils\n    version: 2.9.0\n  - name: ansible.posix\n    version: 1.4.0\n")
    return cache, anchor


def test_the_anchor_gets_what_its_requirements_name_and_the_path_lacks(bed, capsys):
    cache, anchor = bed
    dest = Path(side_by_side.anchor_collections(str(anchor), cache=str(cache)))
    assert (dest / "ansible_collections/ansible/utils/plugins/filter/ipwrap.py").is_file()
    assert not (dest / "ansible_collections/community").exists(), "only what the anchor names"
    assert not (dest / "ansible_collections/ansible/posix").exists(), "ansible.posix is on the path already"
    printed = capsys.readouterr().out
    assert "anchor collection ansible.utils 6.0.0" in printed and "anchor collection ansible.posix 2.1.0" in printed
    # A second call finds it and unpacks nothing again.
    (dest / "ansible_collections/ansible/utils/marker").write_text("kept")
    side_by_side.anchor_collections(str(anchor), cache=str(cache))
    assert (dest / "ansible_collections/ansible/utils/marker").read_text() == "kept"


def test_a_collection_the_wheel_lacks_stops_the_run_before_any_container(bed):
    cache, anchor = bed
    (anchor / "requirements.yml").write_text("---\ncollections:\n  - name: community.missing\n")
    with pytest.raises(SystemExit, match="community.missing"):
        side_by_side.anchor_collections(str(anchor), cache=str(cache))
