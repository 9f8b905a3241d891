# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/role_<role>.md (scripts/role-docs.sh, aar-doc with scripts/role-docs.md.j2) lists every option of every
entry point once, with the entry points whose argument spec takes it ("all" when every one does)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").glob("*") if (p / "meta" / "argument_specs.yml").exists())


@pytest.mark.parametrize("role", ROLES)
def test_each_option_once_with_its_entry_points(role):
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))["argument_specs"]
    takes = {}
    for entry, spec in specs.items():
        for name in spec.get("options") or {}:
            takes.setdefault(name, []).append(entry)
    text = (ROOT / "docs" / ("role_%s.md" % role)).read_text(encoding="utf-8")
    options = text.split("\n## Options\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    rows = [line for line in options.splitlines() if re.match(r"^\| %s_" % role, line)]
    names = [row.split("|")[1].strip() for row in rows]
    assert sorted(names) == sorted(takes), "each option of the argument specs once"
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name, entries = cells[0], cells[-1]
        want = "all" if len(takes[name]) == len(specs) else ", ".join(takes[name])
        assert entries == want, (name, entries, want)
    for entry in specs:
        assert text.count("\n### Entry point: %s\n" % entry) == 1, entry
