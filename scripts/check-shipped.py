"""Check a built collection tarball against galaxy.yml's allow-list (the `manifest:` directives).

Fails (exit 1, one line per problem) when the tarball
  - holds a file that no `include`/`recursive-include` line of galaxy.yml allows, or that an `exclude`/
    `global-exclude` line removes (read here independently of ansible-galaxy and distlib, so a build that
    ignored the list is caught);
  - holds anything that never ships whatever galaxy.yml says: a hidden path (editor folders such as .vscode/ or
    .idea/, .git), a cache (__pycache__, *.pyc, .pytest_cache, .mypy_cache), importer or test output, the
    development-only files of this repository (tests/, molecule/, scripts/, mk/, the dev dependency lists);
  - lacks a file of the checkout (`--tree`, the git-tracked files) that the allow-list names: a directive that
    stopped matching would silently drop runtime content;
  - lacks one of the files every release needs (MANIFEST.json, FILES.json, README.md, meta/runtime.yml).

Usage: python scripts/check-shipped.py TARBALL --galaxy galaxy.yml [--tree FILE_LIST]
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import shlex
import sys
import tarfile
from pathlib import Path

import yaml

# Never shipped, whatever the allow-list says (path patterns, matched against the path and its parents).
NEVER = [
    (re.compile(r"(^|/)\.[^/]"), "a hidden path (editor folder, VCS or tool cache)"),
    (re.compile(r"(^|/)__pycache__(/|$)|\.py[co]$"), "a Python cache"),
    (re.compile(r"^(tests|molecule|benchmarks|scripts|mk|build|demo-output|inventories/local)(/|$)"), "test or development tooling"),
    (re.compile(r"^(Makefile|requirements-dev\.(txt|yml)|bindep-dev\.txt|execution-environment\.yml)$"), "a development-only file"),
    (re.compile(r"(^|/)importer_result\.json$|(^|/)[^/]+\.tar\.gz$"), "build or importer output"),
    (re.compile(r"(~|\.swp|\.bak|\.orig|\.rej)$"), "an editor or patch leftover"),
    (re.compile(r"^changelogs/fragments/"), "a changelog fragment (folded into changelogs/changelog.yaml at release)"),
]
REQUIRED = ("MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml")


def directives(galaxy_file: Path) -> list[tuple[str, list[str]]]:
    manifest = (yaml.safe_load(galaxy_file.read_text(encoding="utf-8")) or {}).get("manifest")
    if not isinstance(manifest, dict) or not manifest.get("omit_default_directives"):
        raise SystemExit("check-shipped: galaxy.yml needs `manifest:` with omit_default_directives: true (a positive list)")
    out = []
    for line in manifest.get("directives") or []:
        action, *args = shlex.split(line)
        out.append((action, args))
    return out


def _glob(pattern: str, path: str) -> bool:
    """distlib's rule for a pattern: `*` stays inside one path segment, `**` crosses segments."""
    rx = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace(r"\?", "[^/]").replace("\0", ".*")
    return re.fullmatch(rx, path) is not None


def allowed(path: str, rules: list[tuple[str, list[str]]]) -> bool:
    """Whether the directives, applied in order as distlib does, leave `path` in."""
    name = path.rsplit("/", 1)[-1]
    keep = False
    for action, args in rules:
        if action == "include":
            keep = keep or any(_glob(p, path) for p in args)
        elif action == "exclude":
            keep = keep and not any(_glob(p, path) for p in args)
        elif action == "recursive-include":
            folder, patterns = args[0].rstrip("/"), args[1:]
            keep = keep or (path.startswith(folder + "/") and any(fnmatch.fnmatchcase(name, p) for p in patterns))
        elif action == "recursive-exclude":
            folder, patterns = args[0].rstrip("/"), args[1:]
            keep = keep and not (path.startswith(folder + "/") and any(fnmatch.fnmatchcase(name, p) for p in patterns))
        elif action == "global-exclude":
            for pattern in args:
                if pattern.startswith("/"):  # anchored at a segment boundary, up to the end of the path
                    segs = path.split("/")
                    hit = any(_glob(pattern[1:], "/".join(segs[i:])) for i in range(len(segs)))
                else:
                    hit = fnmatch.fnmatchcase(name, pattern)
                keep = keep and not hit
        else:
            raise SystemExit("check-shipped: galaxy.yml manifest directive %r is not understood here" % action)
    return keep


def problems(tarball: Path, galaxy_file: Path, tree: list[str] | None) -> list[str]:
    rules = directives(galaxy_file)
    with tarfile.open(tarball) as tar:
        files = sorted(m.name[2:] if m.name.startswith("./") else m.name for m in tar.getmembers() if m.isfile())
    out = []
    for path in files:
        if path in ("MANIFEST.json", "FILES.json"):
            continue
        for rx, what in NEVER:
            if rx.search(path):
                out.append("%s: ships %s" % (path, what))
                break
        else:
            if not allowed(path, rules):
                out.append("%s: ships, but no line of galaxy.yml's manifest allows it" % path)
    shipped = set(files)
    for path in REQUIRED:
        if path not in shipped:
            out.append("%s: missing from the tarball" % path)
    for path in tree or []:
        if path not in shipped and allowed(path, rules) and not any(rx.search(path) for rx, dummy in NEVER):
            out.append("%s: the allow-list names it, but it is not in the tarball" % path)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", type=Path)
    parser.add_argument("--galaxy", type=Path, required=True)
    parser.add_argument("--tree", type=Path, help="file with the checkout's files, one per line (git ls-files)")
    args = parser.parse_args(argv)
    tree = args.tree.read_text(encoding="utf-8").split() if args.tree else None
    found = problems(args.tarball, args.galaxy, tree)
    for line in found:
        print("build-check: " + line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
