# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client role's platforms, stated where users read them, from the role's per-OS vars files.

A supported OS family (or distribution) is a file roles/nomad_client/vars/<name>.yml with
`__nomad_client_os_supported: true`, a label and its Galaxy platform names (vars/Debian.yml says how). From those
files this writes the README's "Edge hosts" platform phrase (between <!--platforms--> and <!--/platforms-->) and
the role's Galaxy platforms and description in roles/nomad_client/meta/main.yml, so that a new OS family with the
archive method is its vars file (plus its test), and nothing else by hand.

    python scripts/platforms.py           write README.md and roles/nomad_client/meta/main.yml
    python scripts/platforms.py --check   exit 1 and say which file is stale (scripts/role-docs.sh --check)
"""

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
VARS = ROOT / "roles" / "nomad_client" / "vars"
README = ROOT / "README.md"
META = ROOT / "roles" / "nomad_client" / "meta" / "main.yml"


def supported():
    """[(name, label, galaxy platform names)] of the supported per-OS vars files: Linux ones first, by name."""
    out = []
    for path in sorted(VARS.glob("*.yml")):
        if path.stem in ("main", "default"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if data.get("__nomad_client_os_supported") is not True:
            continue
        for key in ("__nomad_client_os_label", "__nomad_client_os_galaxy_platforms"):
            if not data.get(key):
                raise SystemExit("%s: a supported OS's vars file needs %s" % (path.relative_to(ROOT), key))
        out.append((path.stem, data["__nomad_client_os_label"], list(data["__nomad_client_os_galaxy_platforms"])))
    return sorted(out, key=lambda item: (not item[1].startswith("Linux"), item[0]))


def families(oses):
    """([Linux families, "Linux of " left out], [the other labels]) of the supported OSes."""
    linux = [label[len("Linux of "):] if label.startswith("Linux of ") else label
             for dummy, label, dummy2 in oses if label.startswith("Linux")]
    return linux, [label for dummy, label, dummy2 in oses if not label.startswith("Linux")]


def phrase(oses):
    linux, other = families(oses)
    text = "Linux of %s with systemd, on x86_64 or aarch64" % " or ".join(linux) if linux else ""
    return "; ".join([t for t in [text] + other if t])


def readme_text(oses, text):
    pattern = re.compile(r"(<!--platforms-->)(.*?)(<!--/platforms-->)", re.S)
    if not pattern.search(text):
        raise SystemExit("README.md: no <!--platforms--> ... <!--/platforms--> to write the platforms into")
    return pattern.sub(lambda m: m.group(1) + phrase(oses) + m.group(3), text, count=1)


def meta_text(oses, text):
    names = [name for dummy, dummy2, platforms in oses for name in platforms]
    block = "".join("    - name: %s\n      versions: [all]\n" % name for name in names)
    text, count = re.subn(r"(  platforms:\n)(?:    - name: .*\n      versions: .*\n)+", lambda m: m.group(1) + block, text)
    if count != 1:
        raise SystemExit("roles/nomad_client/meta/main.yml: no galaxy_info.platforms list to write")
    linux, other = families(oses)
    described = "Linux of %s (amd64/arm64)" % ", ".join(re.sub(r" \(.*\)$", "", item) for item in linux)
    description = "Nomad client agent on edge hosts: %s" % "; ".join([described] + other)
    text, count = re.subn(r"(?m)^(  description: ).*$", lambda m: m.group(1) + json.dumps(description), text)
    if count != 1:
        raise SystemExit("roles/nomad_client/meta/main.yml: no galaxy_info.description to write")
    return text


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] not in ([], ["--check"]):
        print(__doc__, file=sys.stderr)
        return 2
    oses = supported()
    stale = []
    for path, render in ((README, readme_text), (META, meta_text)):
        old = path.read_text(encoding="utf-8")
        new = render(oses, old)
        if new == old:
            continue
        if check:
            stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(new, encoding="utf-8")
            print("wrote %s" % path.relative_to(ROOT))
    if stale:
        print("out of date (run bash scripts/role-docs.sh): %s" % " ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
