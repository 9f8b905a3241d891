"""Check that every command the make targets call comes from a package bindep.txt or bindep-dev.txt lists.

Reads the commands in command position of the Makefile and mk/*.mk recipes, the shell scripts
under scripts/, tests/, benchmarks/ and .ci/, and the programs Python test tools start with
subprocess, plus the commands other tools call for us (INDIRECT). Each one is looked up on PATH and
mapped to its Debian package with `dpkg -S`; it passes when that package is in BINDEP_FILES (bindep.txt,
the collection's runtime packages, or bindep-dev.txt, any profile), is part of every Debian system
(Essential or Priority: required), is installed in .venv
from requirements-dev.txt, or is one of the machine's own toolchains (MACHINE). A command that is
not found at all fails too: on a machine where `make bootstrap` ran, everything must be there.

Usage: python scripts/check-commands.py [--verbose]      (exit 1 on any failure)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"

# The two system package lists: the collection's (shipped) and the repository's development profiles.
BINDEP_FILES = ("bindep.txt", "bindep-dev.txt")
# Called by other programs, not by our scripts: each must still come from a bindep list.
INDIRECT = {
    "arch-test": "mmdebstrap, for every foreign architecture (tests/tools/edge_images/build.sh)",
    "qemu-aarch64-static": "binfmt_misc, to run the arm64 containers on amd64",
    "runc": "podman (containers.conf runtime = runc, tests/tools/edge_images/build.sh)",
    "conmon": "podman, container monitor",
    "netavark": "podman, networks (tests/e2e/demo, molecule)",
    "aardvark-dns": "podman, DNS on named networks",
    "slirp4netns": "podman",
    "fuse-overlayfs": "podman storage",
    "newuidmap": "podman (uidmap)",
    "iptables": "netavark",
    "gpg": "the nomad_client role and tests/tools/stand_in_nomad (release signatures)",
    "unzip": "the nomad_client role (release archives)",
    "java": "ansible-rulebook (its rules engine, drools, runs on the JVM; ansible-rulebook finds java on PATH)",
}
# Toolchains the machine comes with (not from Debian): name -> where it must live.
MACHINE = {
    "go": "/usr/local/go/",  # Go 1.26; tests/tools/cluster/build.sh builds from Go modules with it
    "gofmt": "/usr/local/go/",
    "python3": "/.pyenv/",  # .venv is created from it
    "python": "/.pyenv/",
    "pyenv": "/.pyenv/",  # scripts/core-range.sh finds Python 3.12 for ansible-core >= 2.20 with it
}
SHELL_WORDS = set(
    subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True, text=True, check=True).stdout.split()
)
PREFIX_WORDS = {"exec", "command", "time", "nohup", "setsid", "sudo", "then", "do", "else", "elif", "if",
                "while", "until", "!", "{", "(", "xargs", "env", "timeout", "flock", "builtin"}
SEPARATORS = re.compile(r"\|\||&&|[|;`]|\$\(|(?<![=\\$])\(|(?<![$\\])\{")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]+)\1")


def shell_code(text: str) -> str:
    """The shell text with comments, here-document bodies and quoted strings blanked out, except the
    command substitutions inside double quotes ("$(podman ...)" still calls podman). Newlines stay."""
    lines, end = [], None
    for line in text.splitlines():
        if end is not None:
            lines.append("")
            if line.strip() == end:
                end = None
            continue
        match = HEREDOC.search(line)
        if match:
            end = match.group(2)
        lines.append(line)
    text = "\n".join(lines)
    out, i, n = [], 0, len(text)
    state = []  # stack: "'" single, '"' double, "(" substitution
    while i < n:
        c = text[i]
        top = state[-1] if state else None
        if top != "'" and text.startswith("$((", i):  # arithmetic, in or out of double quotes: no commands
            j = text.find("))", i)
            i = n if j < 0 else j + 2
            out.append(" __q__ ")
            continue
        if top == "'":
            if c == "'":
                state.pop()
            out.append("\n" if c == "\n" else " ")
        elif top == '"':
            if c == "\\":
                out.append("  "[: len(text[i:i + 2])])
                i += 2
                continue
            if c == '"':
                state.pop()
                out.append(" ")
            elif text.startswith("$(", i):
                state.append("(")
                out.append("$(")
                i += 2
                continue
            else:
                out.append("\n" if c == "\n" else " ")
        else:
            if c == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            if c == "#" and (i == 0 or text[i - 1] in " \t\n;"):
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if c in "'\"":
                state.append(c)
                out.append(" __q__ ")
            elif text.startswith("$(", i):
                state.append("(")
                out.append("$(")
                i += 2
                continue
            elif c == "(" and top == "(":
                state.append("(")
                out.append(c)
            elif c == ")" and top == "(":
                state.pop()
                out.append(")")
            else:
                out.append(c)
        i += 1
    return "".join(out)


def commands_in(line: str) -> list[str]:
    """The words of a shell line that sit where a command goes."""
    found = []
    for segment in SEPARATORS.split(line):
        words = segment.split()
        while words:
            word = words[0]
            if re.match(r"[A-Za-z_][A-Za-z0-9_]*=\(", word):  # an array: no command on this segment
                words = []
                break
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", word) or word in PREFIX_WORDS or word.startswith("-") \
                    or (word.isdigit() and found is not None):
                words.pop(0)
                continue
            break
        if words and words[0] != "__q__":
            word = words[0].lstrip("@-")
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", word):
                found.append(word)
    return found


def script_commands(text: str) -> list[str]:
    """The words in command position of a shell script (continued lines joined)."""
    return [cmd for line in shell_code(text).replace("\\\n", " ").splitlines() for cmd in commands_in(line)]


def collect() -> dict[str, set[str]]:
    uses: dict[str, set[str]] = {}

    def add(cmd: str, where: str) -> None:
        uses.setdefault(cmd, set()).add(where)

    make_files = [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
    for path in make_files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("\t"):
                while re.search(r"\$\((?:[a-z]+ [^()]*|[A-Za-z_]+)\)", line):  # make functions, variables
                    line = re.sub(r"\$\((?:[a-z]+ [^()]*|[A-Za-z_]+)\)", "__q__", line)
                for cmd in commands_in(shell_code(line.replace("$$", "$"))):
                    add(cmd, f"{path.relative_to(ROOT)}:{number}")
    scripts = []
    for top in ("scripts", "tests", "benchmarks", ".ci"):
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or "output" in path.parts:
                continue
            if "DEBIAN" in path.parts:  # a package's maintainer scripts: dpkg runs them on the host it installs on
                continue
            head = path.read_bytes()[:64]
            if path.suffix == ".sh" or (path.suffix == "" and re.match(rb"#!.*\b(ba)?sh\b", head)):
                scripts.append(path)
            elif path.suffix == ".py":
                text = path.read_text(encoding="utf-8", errors="replace")
                for match in re.finditer(r"subprocess\.\w+\(\s*\[\s*[\"']([A-Za-z0-9][\w.+-]*)[\"']|shutil\.which\(\s*[\"']([\w.+-]+)[\"']", text):
                    add(match.group(1) or match.group(2), str(path.relative_to(ROOT)))
    functions = set()
    for path in scripts:  # functions, also those of sourced files
        text = path.read_text(encoding="utf-8", errors="replace")
        functions |= set(re.findall(r"^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)", text, re.M))
    for path in scripts:
        for cmd in script_commands(path.read_text(encoding="utf-8", errors="replace")):
            if cmd not in functions:
                add(cmd, str(path.relative_to(ROOT)))
    for cmd, why in INDIRECT.items():
        add(cmd, f"called by {why}")
    return {cmd: where for cmd, where in uses.items() if cmd not in SHELL_WORDS}


def bindep_packages() -> set[str]:
    from bindep.depends import Depends

    packages = set()
    for name in BINDEP_FILES:
        text = (ROOT / name).read_text(encoding="utf-8")
        depends = Depends(text)
        profiles = set(re.findall(r"\[([^\]]*)\]", text))
        names = {w for group in profiles for w in group.split() if not w.startswith(("platform:", "!"))}
        packages |= {rule[0] for rule in depends.active_rules(depends.platform_profiles() + sorted(names) + ["default"])}
    return packages


def installed_packages() -> dict[str, tuple[bool, list[str]]]:
    """{package: (part of every Debian system, the packages its Depends/Pre-Depends name)} in one query."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Essential} ${Priority}\t${Depends}, ${Pre-Depends}\n"],
                         capture_output=True, text=True, check=True).stdout
    result = {}
    for line in out.splitlines():
        name, flags, deps = (line.split("\t") + ["", ""])[:3]
        names = [d.strip().split(" ")[0].split(":")[0] for alt in deps.split(",") for d in alt.split("|")]
        result[name] = ("yes" in flags.split() or "required" in flags.split(), [n for n in names if n])
    return result


def depends_closure(packages: set[str], installed) -> set[str]:
    """The listed packages plus what they pull in through Depends/Pre-Depends (installed with them
    even with --no-install-recommends), e.g. gpg through gnupg."""
    seen, todo = set(packages), list(packages)
    while todo:
        for name in installed.get(todo.pop(), (False, []))[1]:
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def owners(paths: list[str]) -> dict[str, str]:
    """{path: Debian package} for the paths dpkg knows (one `dpkg -S` call; merged /usr handled)."""
    variants = {}
    for path in paths:
        for p in sorted({path, os.path.realpath(path)}):
            variants.setdefault(p, path)
            variants.setdefault(p[4:] if p.startswith("/usr/") else "/usr" + p, path)
    out = subprocess.run(["dpkg", "-S", *variants], capture_output=True, text=True, check=False).stdout
    found = {}
    for line in out.splitlines():
        packages, dummy, p = line.partition(": ")
        if p in variants:
            found.setdefault(variants[p], packages.split(",")[0].split(":")[0].strip())
    return found


def main() -> int:
    verbose = "--verbose" in sys.argv
    installed = installed_packages()
    listed = depends_closure(bindep_packages(), installed)
    search = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", ""), "/usr/lib/podman"])
    problems, report, resolved = [], [], {}
    for cmd, where in sorted(collect().items()):
        resolved[cmd] = (shutil.which(cmd, path=search), ", ".join(sorted(where)[:3]) + (" ..." if len(where) > 3 else ""))
    package_of = owners([path for path, dummy in resolved.values() if path])
    for cmd, (path, where_text) in resolved.items():
        if path is None:
            # a script or program of this repository, called by name
            if any((ROOT / d / cmd).exists() for d in ("scripts", "tests", "benchmarks")) or cmd.endswith((".sh", ".py")):
                continue
            problems.append(f"{cmd}: not found (used in {where_text}); add its package to bindep-dev.txt")
            continue
        if path.startswith(str(VENV_BIN)):
            report.append(f"{cmd}: .venv (requirements-dev.txt)")
            continue
        if cmd in MACHINE and MACHINE[cmd] in os.path.realpath(path) + "/":
            report.append(f"{cmd}: the machine's toolchain ({os.path.realpath(path)})")
            continue
        package = package_of.get(path)
        if package is None:
            problems.append(f"{cmd}: {path} belongs to no Debian package (used in {where_text})")
        elif package in listed:
            report.append(f"{cmd}: {package} (bindep lists)")
        elif installed.get(package, (False,))[0]:
            report.append(f"{cmd}: {package} (Debian base system)")
        else:
            problems.append(f"{cmd}: from package {package}, which neither bindep.txt nor bindep-dev.txt lists (used in {where_text})")
    if verbose:
        print("\n".join(report))
    for line in problems:
        print("check-commands: " + line, file=sys.stderr)
    print(f"check-commands: {len(report)} commands checked, {len(problems)} not covered by bindep.txt / bindep-dev.txt")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
