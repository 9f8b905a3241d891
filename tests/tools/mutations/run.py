# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Break the code once per test file and check that the test file notices (`make mutations`).

Each entry of tests/tools/mutations/mutations.yml names a test file, a product (or test tool) file, an
anchor in it (`in:` a Python function by its qualified name, a YAML task by its name, a YAML key, a Jinja
statement) and one change found inside that anchor only (anchors.py says which). The checkout's files
(tracked, or untracked and not ignored) are copied once per worker into <tmp>/ansible_collections/edgeops/nomad,
beside links to the dependency collections of .cache/collections. There every selected test file runs once
unmutated (it must pass), then each mutation is applied, the test file runs, and the file is restored. The
checkout itself is never written.

Usage: python tests/tools/mutations/run.py [--only SUBSTRING] [--jobs N] [--count] [--keep] [--check]
Exit 1 when a mutation is MISSED (the tests still pass), STALE (its anchor or its change is not found exactly
once, or the mutated Python does not parse), UNCLEAR (pytest stopped without a failed test, e.g. on a
collection error) or a test file fails unmutated. --check only applies every entry (no tests run): a quick
way to see that the entries still find their places after a refactor (tests/tools/mutations/tests does it too).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from anchors import StaleEntry, mutate  # beside this script (its folder is sys.path[0])

ROOT = Path(__file__).resolve().parents[3]
MUTATIONS = Path(__file__).resolve().parent / "mutations.yml"
FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.MULTILINE)


def make_copy(base: Path) -> Path:
    """Copy the checkout's files into base/ansible_collections/edgeops/nomad; return that directory."""
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, check=True).stdout.decode()
    dest = base / "ansible_collections" / "edgeops" / "nomad"
    for name in sorted(set(listing.split("\0")) - {""}):
        src = ROOT / name
        if not (src.is_file() or src.is_symlink()):
            continue  # deleted in the working tree, not yet in git
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / name, follow_symlinks=False)
    for dep in sorted((ROOT / ".cache" / "collections" / "ansible_collections").glob("*")):
        if dep.name != "edgeops":
            (base / "ansible_collections" / dep.name).symlink_to(dep.resolve())
    return dest


def environment(base: Path, dest: Path) -> dict:
    """The variables of scripts/env.sh, pointed at the copy."""
    env = dict(os.environ)
    env.update({
        "PATH": "%s:%s" % (ROOT / ".venv" / "bin", env.get("PATH", "")),
        "PYTHONPATH": str(base),
        "EDGEOPS_ROOT": str(dest),
        "ANSIBLE_COLLECTIONS_PATH": str(base),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_HOME": str(base / "ansible-home"),
        "PIP_CONFIG_FILE": "/dev/null",
        "NO_COLOR": "1", "PY_COLORS": "0", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    # The copy has no ../shared beside it and no .cache/: point at the checkout's.
    env.setdefault("EDGEOPS_SHARED", str(ROOT.parent / "shared"))
    env.setdefault("HCL1DUMP", str(ROOT / ".cache" / "hcl1" / "hcl1dump"))
    return env


def run_tests(dest: Path, env: dict, test: str, stop: bool = True) -> tuple[int, list[str]]:
    """Run one test file in the copy (up to its first failure when stop); return pytest's exit code and the failed test ids."""
    python = ROOT / ".venv" / "bin" / "python"
    cmd = [str(python if python.exists() else sys.executable), "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", test]
    if stop:
        cmd.insert(4, "-x")
    proc = subprocess.run(cmd, cwd=dest, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, [match.group(1) for match in FAILED_LINE.finditer(proc.stdout)]


class Worker:
    """One copy of the checkout, in which mutations are applied one at a time."""

    def __init__(self, base: Path, stop: bool):
        self.base = base
        self.stop = stop
        self.dest = make_copy(base)
        self.env = environment(base, self.dest)

    def baseline(self, test: str) -> str:
        """'' when the test file passes unmutated, else what failed."""
        code, failed = run_tests(self.dest, self.env, test)
        return "" if code == 0 else "fails unmutated (exit %d): %s" % (code, ", ".join(failed) or "see pytest")

    def mutate(self, entry: dict) -> str:
        """Apply one mutation, run its test file, restore the file; return the verdict."""
        path = self.dest / entry["file"]
        if not path.is_file():
            return "STALE: %s does not exist" % entry["file"]
        original = path.read_text(encoding="utf-8")
        try:
            mutated = mutate(entry, original)
        except StaleEntry as exc:
            return "STALE: %s: %s" % (entry["file"], exc)
        path.write_text(mutated, encoding="utf-8")
        try:
            code, failed = run_tests(self.dest, self.env, entry["test"], self.stop)
        finally:
            path.write_text(original, encoding="utf-8")
        if code == 0:
            return "MISSED"
        if code != 1 or not failed:  # e.g. 2: collection error; the break should fail tests, not the import
            return "UNCLEAR: pytest exit %d without failed tests" % code
        return "caught: %d failed%s, first %s" % (len(failed), " (-x)" if self.stop else "", failed[0].split("::", 1)[-1])


def spread(pool, workers: list, method, items: list) -> list:
    """method(worker, item) for every item; worker k takes items k, k + n, ... one after the other."""
    jobs = len(workers)
    lanes = pool.map(lambda worker, lane: [method(worker, item) for item in lane], workers, [items[k::jobs] for k in range(jobs)])
    results = [None] * len(items)
    for k, lane in enumerate(lanes):
        results[k::jobs] = lane
    return results


def check(entries: list) -> int:
    """Apply every entry to the checkout's file in memory; print the stale ones."""
    stale = 0
    for entry in entries:
        try:
            original = (ROOT / entry["file"]).read_text(encoding="utf-8")
            if mutate(entry, original) == original:
                raise StaleEntry("the change leaves the file as it is")
        except (OSError, StaleEntry) as exc:
            stale += 1
            print("STALE %s (%s): %s" % (entry["test"], entry["file"], exc))
    print("%d entries, %d stale" % (len(entries), stale))
    return 1 if stale else 0


def main() -> int:
    """Run the selected mutations and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only the entries whose test or file contains this")
    parser.add_argument("--jobs", type=int, default=1, help="parallel workers, each with its own copy")
    parser.add_argument("--count", action="store_true", help="run each mutated test file to its end and count every failure (slower)")
    parser.add_argument("--keep", action="store_true", help="keep the copies (their path is printed)")
    parser.add_argument("--check", action="store_true", help="only apply each entry to the checkout's text (no tests)")
    args = parser.parse_args()
    entries = [e for e in yaml.safe_load(MUTATIONS.read_text(encoding="utf-8"))
               if args.only in e["test"] or args.only in e["file"]]
    if not entries:
        print("no entry matches %r" % args.only)
        return 1
    if args.check:
        return check(entries)
    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="edgeops-mutations-"))
    jobs = max(1, min(args.jobs, len(entries)))
    workers = [Worker(tmp / str(number), not args.count) for number in range(jobs)]
    tests = sorted({e["test"] for e in entries})
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        broken = dict(zip(tests, spread(pool, workers, Worker.baseline, tests)))
        todo = [e for e in entries if not broken[e["test"]]]
        verdicts = dict(zip([id(e) for e in todo], spread(pool, workers, Worker.mutate, todo)))
    bad = 0
    width = max(len(e["test"]) for e in entries)
    print("%-*s | %s | %s" % (width, "test file", "breaks", "caught"))
    for entry in entries:
        verdict = broken[entry["test"]] or verdicts[id(entry)]
        bad += not verdict.startswith("caught")
        print("%-*s | %s | %s" % (width, entry["test"], entry["breaks"], verdict))
    print("%d mutations, %d not caught, %.0f s" % (len(entries), bad, time.monotonic() - start))
    if args.keep:
        print("copies kept in %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
