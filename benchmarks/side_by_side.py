#!/usr/bin/env python
"""Benchmark (not a test): edgeops.nomad.nomad_client side by side with ansible-community/ansible-nomad.

Both converge the same kind of fresh containers (tests/tools/edge_images/build.sh: Debian 12, systemd as PID 1,
podman connection, the same forks) from the same local mirror (the stand-in Nomad release of
tests/tools/stand_in_nomad/, a TEST DOUBLE: both download the same archive of the same size). Per
implementation and scenario, on fresh containers: first converge, re-converge (changed per host),
`--check --diff` on the converged hosts; controller CPU (every process the run starts) and peak RSS
(its largest process), tasks per host (the recap's ok) and host round trips per host (module runs
on the host, from the -vvv log of the podman connection). Repetitions run interleaved, A B then B A,
and the table gives medians and the ratio ours/anchor.

The anchor is an unmodified checkout of ansible-community/ansible-nomad at PINNED_COMMIT, configured
through variables only: ANSIBLE_NOMAD_DIR points at it, the commit is checked, and a copy is used per
run (that role writes its downloads into its own files/ directory). Its code is never committed here.

Run through the mirror: tests/tools/stand_in_nomad/with_mirror.sh python benchmarks/side_by_side.py [options]
  --hosts 3,6,12     scenarios (amd64 hosts); --arm64 makes the first scenario 1 arm64 + the rest amd64
  --reps 3           repetitions (interleaved)
  --reps-for 6=1,12=2  fewer repetitions for some scenarios (a shorter run; the table says how many each has)
  --impl ours,anchor which implementations
  --json FILE        every measurement, rewritten after each run (a stopped run keeps what it measured)
  --forks 12         forks of every run (the same for every scenario, so the per-host figures compare)
  --scale            this collection only, at growing fleet sizes (default --hosts 6,12,25,50; `make
                     benchmark-scale` adds 3): instead of the side-by-side table, a scaling table per host
                     count (wall time, controller CPU and peak RSS of the first converge, the re-converge and
                     `--check --diff`, module runs per host) and the cost per added host between consecutive
                     host counts (seconds and CPU seconds per added host, per phase), the re-converge time of
                     12 hosts over that of the smallest count (3 or 6; target <= 1.2x) and how flat the
                     controller CPU per added host stays from 12 to 50 hosts (largest / smallest step;
                     target <= 1.2x). Medians over repetitions; the load average is printed before and after
                     each round and kept per run in --json
  A 25-host point against the anchor: --hosts 25 --impl ours,anchor
  --from-json A,B    run nothing: print the table (with --scale, the scaling table) of the measurements saved
                     by earlier --json runs, together (e.g. a first round and a later run of two more rounds)
  --smoke            one amd64 host, one repetition, ours only (what `make test` runs); fails when the
                     re-converge changes anything or a converged host takes more than MAX_TRIPS module runs
                     (re-converge and --check --diff)
Repetitions run repetition-major: every scenario's first repetition, then every scenario's second, and so on,
so a run stopped early still has figures for every scenario; the table is printed after each round.
Containers are named SBS_PREFIX (default sbs<pid>)-<impl>-<n>-<arch> and removed after each run, also on
SIGTERM/SIGINT.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PINNED_COMMIT = "a0f567ef40ed8f7fefd37061054417e54bc822d2"  # ansible-community/ansible-nomad, 2024-04-15
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION = "2.0.5"
# A module run on the host: the interpreter started on AnsiballZ_<module>.py (the -vvv log also shows the chmod
# of that file as a RUN of its own; it is not a module run).
MODULE_RUN = r"<%s> RUN .*?python[0-9.]* \S*AnsiballZ_(\w+)\.py"
MAX_TRIPS = 1  # a converged Linux host is recognised in 1 host round trip (edgeops.nomad.nomad_client_state, facts included)
# Runs one command and writes its descendants' CPU seconds and largest RSS (KiB) as JSON to argv[1]: a
# process of its own per run, so RUSAGE_CHILDREN covers that run only (in this script it would keep the
# maximum over every earlier run).
MEASURE = ("import json, resource, subprocess, sys\n"
           "rc = subprocess.call(sys.argv[2:])\n"
           "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "json.dump({'cpu': r.ru_utime + r.ru_stime, 'maxrss_kb': r.ru_maxrss}, open(sys.argv[1], 'w'))\n"
           "sys.exit(rc)\n")


def sh(*argv, check=True, quiet=True):
    return subprocess.run(argv, check=check, text=True, stdout=subprocess.PIPE if quiet else None,
                          stderr=subprocess.STDOUT if quiet else None)


IMAGES = {}


def image(arch):
    if arch not in IMAGES:  # build.sh is a no-op once built; asked once per architecture, not per container
        IMAGES[arch] = sh("bash", os.path.join(ROOT, "tests/tools/edge_images/build.sh"), arch).stdout.strip().splitlines()[-1]
    return IMAGES[arch]


def load():
    return "load average %.2f, %.2f, %.2f" % os.getloadavg()


# systemd in a container takes about 5 inotify instances of the user running the containers (root here): with the
# kernel's default fs.inotify.max_user_instances of 128, the 26th container stays "initializing" for good.
INOTIFY_PER_CONTAINER = 5


def inotify_check(adding):
    try:
        with open("/proc/sys/fs/inotify/max_user_instances") as handle:
            limit = int(handle.read())
    except (OSError, ValueError):
        return
    running = len(sh("podman", "ps", "-q", check=False).stdout.split())
    need = (running + adding) * INOTIFY_PER_CONTAINER
    if need > limit:
        sys.exit("fs.inotify.max_user_instances is %d: %d running + %d new systemd containers need about %d "
                 "(systemd does not boot past the limit); raise it, e.g. sysctl -w fs.inotify.max_user_instances=1024"
                 % (limit, running, adding, need))


class Containers(object):
    def __init__(self, archs, prefix):
        self.names = ["%s-%d-%s" % (prefix, i + 1, arch) for i, arch in enumerate(archs)]
        self.archs = archs
        self.network = "edgeops-sbs"

    def __enter__(self):
        inotify_check(len(self.names))
        if sh("podman", "network", "exists", self.network, check=False).returncode != 0:
            sh("podman", "network", "create", self.network)
        self.remove()
        try:  # __exit__ does not run when __enter__ is interrupted (a signal while 50 containers start)
            for name, arch in zip(self.names, self.archs):
                sh("podman", "run", "-d", "--name", name, "--hostname", name, "--network", self.network,
                   "--arch", arch, "--label", "edgeops.benchmark=1", image(arch))
            for name in self.names:
                for dummy in range(480):
                    state = sh("podman", "exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
                    if state in ("running", "degraded"):
                        break
                    time.sleep(0.5)
        except BaseException:
            self.remove()
            raise
        return self

    def remove(self):
        sh("podman", "rm", "-f", "-t", "0", *self.names, check=False)

    def __exit__(self, *exc):
        self.remove()


def inventory(path, hosts, impl):
    mirror = os.environ["EDGEOPS_NOMAD_MIRROR_URL"] + "/good/" + VERSION
    common = {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3"}
    if impl == "ours":
        mdir = os.environ["EDGEOPS_NOMAD_MIRROR_DIR"]
        specific = {
            "nomad_client_version": VERSION,
            "nomad_client_download_base_url": os.environ["EDGEOPS_NOMAD_MIRROR_URL"] + "/good",
            "nomad_client_gpg_key": open(os.path.join(mdir, "key.asc")).read(),
            "nomad_client_gpg_fingerprint": open(os.path.join(mdir, "fingerprint")).read().strip(),
            "nomad_client_controller_cache_dir": os.path.join(os.path.dirname(path), "controller-cache"),
            "nomad_client_servers": ["nomad-lb.example.test:4647"],
            "nomad_client_insecure_disable_tls": True,
        }
    else:
        specific = {
            "nomad_version": VERSION, "nomad_node_role": "client", "nomad_skip_ensure_all_hosts": True,
            "nomad_zip_url": mirror + "/nomad_%s_linux_{{ nomad_architecture }}.zip" % VERSION,
            "nomad_checksum_file_url": mirror + "/nomad_%s_SHA256SUMS" % VERSION,
            "nomad_servers": [],
        }
    data = {"all": {"children": {"nomad_instances": {"hosts": {h: {} for h in hosts}}},
                    "vars": dict(common, **specific)}}
    with open(path, "w") as handle:
        json.dump(data, handle)  # JSON is YAML


def playbook(path, impl, anchor_copy):
    if impl == "ours":
        text = ("- name: Nomad clients (edgeops.nomad)\n  hosts: all\n  gather_facts: false\n"
                "  roles:\n    - role: edgeops.nomad.nomad_client\n")
    else:
        text = ("- name: Nomad clients (ansible-nomad)\n  hosts: all\n  gather_facts: true\n"
                "  roles:\n    - role: %s\n" % anchor_copy)
    with open(path, "w") as handle:
        handle.write(text)


def anchor_collections(anchor_dir, cache=os.path.join(ROOT, ".cache")):
    """The collections the anchor's requirements.yml names and the checkout's collection path lacks (ansible.utils:
    its templates use ansible.utils.ipwrap), unpacked from the `ansible` wheel that scripts/bootstrap.sh downloads
    (requirements-dev.txt's collections pin) into <cache>/anchor-collections. They are the anchor's dependencies,
    not this collection's, so requirements*.yml do not list them. Returns that directory, added to
    ANSIBLE_COLLECTIONS_PATH for the anchor's runs only. The anchor pins exact versions; the wheel's are used and
    printed."""
    import yaml
    import zipfile

    with open(os.path.join(anchor_dir, "requirements.yml")) as handle:
        names = [c["name"] for c in (yaml.safe_load(handle) or {}).get("collections", [])]
    dest = os.path.join(cache, "anchor-collections")
    paths = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p] + [dest]

    def installed(name):
        return next((os.path.join(p, "ansible_collections", *name.split(".")) for p in paths
                     if os.path.isfile(os.path.join(p, "ansible_collections", *name.split("."), "MANIFEST.json"))), None)

    missing = [n for n in names if not installed(n)]
    if missing:
        with open(os.path.join(ROOT, "requirements-dev.txt")) as handle:
            pin = re.search(r'^ansible==([^ ;]+) *; *extra *== *"collections"', handle.read(), re.M)
        wheels = sorted(f for f in os.listdir(os.path.join(cache, "wheels")) if pin and f.startswith(
            "ansible-%s-" % pin.group(1)) and f.endswith(".whl")) if os.path.isdir(os.path.join(cache, "wheels")) else []
        if not wheels:
            sys.exit("the anchor needs %s: no ansible wheel in %s/wheels (run make bootstrap)" % (", ".join(missing), cache))
        prefixes = tuple("ansible_collections/%s/" % n.replace(".", "/") for n in missing)
        with zipfile.ZipFile(os.path.join(cache, "wheels", wheels[-1])) as wheel:
            wheel.extractall(dest, [m for m in wheel.namelist() if m.startswith(prefixes)])
        still = [n for n in missing if not installed(n)]
        if still:
            sys.exit("the anchor needs %s: not in %s" % (", ".join(still), wheels[-1]))
    for name in names:
        with open(os.path.join(installed(name), "MANIFEST.json")) as handle:
            print("anchor collection %s %s (%s)" % (name, json.load(handle)["collection_info"]["version"], installed(name)))
    return dest


def run(work, label, hosts, extra=(), forks=12, collections=None):
    env = dict(os.environ, ANSIBLE_LOG_PATH=os.path.join(work, label + ".log"), ANSIBLE_FORKS=str(forks),
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_RETRY_FILES_ENABLED="False",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
    if collections:
        env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(p for p in (env.get("ANSIBLE_COLLECTIONS_PATH"), collections) if p)
    usage = os.path.join(work, label + ".usage.json")
    load_before = os.getloadavg()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURE, usage, "ansible-playbook", "-i",
                           os.path.join(work, "inventory.yml"), "-vvv", os.path.join(work, "play.yml")] + list(extra),
                          env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - start
    with open(usage) as handle:
        measured = json.load(handle)
    with open(os.path.join(work, label + ".out"), "w") as handle:
        handle.write(proc.stdout)
    log = open(os.path.join(work, label + ".log"), errors="replace").read()
    recap = {}
    for host in hosts:
        found = re.findall(r"^%s\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                           proc.stdout, re.M)
        ok, changed, unreachable, failed = (int(x) for x in found[-1]) if found else (0, 0, 0, 1)
        recap[host] = {"ok": ok, "changed": changed, "failed": failed + unreachable,
                       "modules": module_runs(log, host)}
    return {"rc": proc.returncode, "wall": wall, "recap": recap, "forks": forks,
            "cpu": measured["cpu"], "rss_mb": measured["maxrss_kb"] / 1024.0,
            "load_before": load_before, "load_after": os.getloadavg()}


def one(impl, archs, rep, anchor_dir, forks=12, anchor_cols=None):
    work = tempfile.mkdtemp(prefix="sbs-%s-" % impl)
    anchor_copy = None
    collections = anchor_cols if impl == "anchor" else None
    if impl == "anchor":
        anchor_copy = os.path.join(work, "ansible-nomad")
        shutil.copytree(anchor_dir, anchor_copy, ignore=shutil.ignore_patterns(".git"))
    prefix = os.environ.get("SBS_PREFIX") or "sbs%d" % os.getpid()
    with Containers(archs, "%s-%s" % (prefix, impl)) as boxes:
        if impl == "anchor":  # its package step needs apt lists (the images ship without them); not timed
            for name in boxes.names:
                sh("podman", "exec", name, "apt-get", "update", "-qq", check=False)
        inventory(os.path.join(work, "inventory.yml"), boxes.names, impl)
        playbook(os.path.join(work, "play.yml"), impl, anchor_copy)
        result = {"impl": impl, "hosts": len(archs), "rep": rep, "work": work}
        result["first"] = run(work, "first", boxes.names, forks=forks, collections=collections)
        result["again"] = run(work, "again", boxes.names, forks=forks, collections=collections)
        result["check"] = run(work, "check", boxes.names, ("--check", "--diff"), forks=forks, collections=collections)
    if anchor_copy:  # its downloads; the logs stay in work
        shutil.rmtree(anchor_copy, ignore_errors=True)
    return result


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def seconds(value):
    return "%9.1f" % value if value is not None else "%9s" % "failed"


def ratio(ours, anchor, key):
    return "%.2fx" % (ours[key] / anchor[key]) if ours[key] and anchor[key] else "n/a"


def table(results):
    print("\nside by side (medians over repetitions; ratio = ours / anchor)")
    head = "%-7s %-6s %4s %9s %9s %-12s %9s %-8s %8s %8s %7s %7s %7s" % (
        "hosts", "impl", "reps", "first s", "again s", "again chg", "check s", "check", "CPU s", "RSS MB", "tasks",
        "trips", "trips1")
    print(head)
    print("-" * len(head))
    scenarios = sorted({r["scenario"] for r in results}, key=lambda s: (int(s.split()[0]), s))
    summary = {}
    for n in scenarios:
        for impl in ("ours", "anchor"):
            rows = [r for r in results if r["scenario"] == n and r["impl"] == impl]
            if not rows:
                continue
            chg = sorted({c["changed"] for r in rows for c in r["again"]["recap"].values()})
            check_ok = all(r["check"]["rc"] == 0 for r in rows)
            hosts0 = [list(r["again"]["recap"].values()) for r in rows]
            row = {
                "first": median([r["first"]["wall"] if r["first"]["rc"] == 0 else None for r in rows]),
                "again": median([r["again"]["wall"] if r["again"]["rc"] == 0 else None for r in rows]),
                "check": median([r["check"]["wall"] for r in rows]),
                "cpu": median([r["again"]["cpu"] for r in rows]),
                "rss": median([max(r[k]["rss_mb"] for k in ("first", "again", "check")) for r in rows]),
                "tasks": median([median([h["ok"] for h in hs]) for hs in hosts0]),
                "trips": median([median([h["modules"] for h in hs]) for hs in hosts0]),
                "trips1": median([median([h["modules"] for h in r["first"]["recap"].values()]) for r in rows]),
                "check_trips": median([median([h["modules"] for h in r["check"]["recap"].values()]) for r in rows]),
                "reps": len(rows),
            }
            summary[(n, impl)] = row
            print("%-7s %-6s %4d %s %s %-12s %s %-8s %8.1f %8.0f %7.0f %7.0f %7.0f" % (
                n, impl, row["reps"], seconds(row["first"]), seconds(row["again"]), "changed=%s" % ",".join(map(str, chg)),
                seconds(row["check"]), "ok" if check_ok else "FAILS", row["cpu"], row["rss"], row["tasks"], row["trips"],
                row["trips1"]))
        ours, anchor = summary.get((n, "ours")), summary.get((n, "anchor"))
        if ours and anchor:
            print("%-7s ratio  first %s, re-converge %s, controller CPU %s, RSS %s, round trips %s" % tuple(
                [n] + [ratio(ours, anchor, k) for k in ("first", "again", "cpu", "rss", "trips")]))
    for impl in ("ours", "anchor"):
        per_host = [(n, summary[(n, impl)]["again"]) for n in scenarios if (summary.get((n, impl)) or {}).get("again")]
        if len(per_host) > 1:
            print("%s, re-converge per added host: " % impl + ", ".join(
                "%s -> %s: +%.1f s (%.2fx)" % (a[0], b[0], b[1] - a[1], b[1] / a[1]) for a, b in zip(per_host, per_host[1:])))
    print("columns: first/again/check = wall seconds of the first converge, the re-converge and --check --diff; "
          "again chg = changed per host on the re-converge; CPU s = controller CPU of the re-converge; RSS MB = largest "
          "controller process; tasks = recap ok per host (re-converge); trips / trips1 = module runs per host on the "
          "re-converge / first converge (-vvv)")
    return summary


def module_runs(log, host):
    """Module runs on host in a -vvv log (the interpreter started on AnsiballZ_<module>.py)."""
    return len(re.findall(MODULE_RUN % re.escape(host), log))


def converged_trips(r):
    """The most module runs any converged host took, on the re-converge and in --check --diff."""
    return {k: max(h["modules"] for h in r[k]["recap"].values()) for k in ("again", "check")}


def smoke_failure(r):
    """Why the smoke fails for one measured run r (see one()), or None."""
    bad = [k for k in ("first", "again", "check") if r[k]["rc"] != 0]
    if bad or any(h["changed"] for h in r["again"]["recap"].values()) or \
            not all(h["modules"] > 0 for h in r["again"]["recap"].values()):
        return "smoke: %s failed or re-converge changed something (logs in %s)" % (bad, r["work"])
    trips = converged_trips(r)
    if max(trips.values()) > MAX_TRIPS:
        return "smoke: a converged host took %s module runs (re-converge, check), want <= %d (logs in %s)" % (
            trips, MAX_TRIPS, r["work"])
    return None


PHASES = (("first", "first converge"), ("again", "re-converge"), ("check", "--check --diff"))


def scale_table(results):
    """This collection at growing host counts: per count the medians, then the cost per added host."""
    rows = {}
    for n in sorted({r["hosts"] for r in results if r["impl"] == "ours"}):
        runs = [r for r in results if r["impl"] == "ours" and r["hosts"] == n]
        row = {"reps": len(runs), "chg": sorted({c["changed"] for r in runs for c in r["again"]["recap"].values()}),
               "failed": sum(1 for r in runs for k, dummy in PHASES if r[k]["rc"] != 0),
               "rss": median([max(r[k]["rss_mb"] for k, dummy in PHASES) for r in runs])}
        for k, dummy in PHASES:
            ok = [r for r in runs if r[k]["rc"] == 0]
            row[k] = median([r[k]["wall"] for r in ok])
            row[k + "_cpu"] = median([r[k]["cpu"] for r in ok])
            row[k + "_trips"] = median([median([h["modules"] for h in r[k]["recap"].values()]) for r in runs])
        rows[n] = row
    print("\nscale, this collection only (medians over repetitions; forks %s)" % (
        ",".join(sorted({str(r["first"].get("forks", 12)) for r in results})) or "12"))
    head = "%5s %4s %8s %8s %8s %7s %7s %7s %8s %6s %11s %-9s %s" % (
        "hosts", "reps", "first s", "again s", "check s", "CPU 1st", "CPU re", "CPU chk", "CPU/h re", "RSS MB",
        "trips r/c/1", "again chg", "failed runs")
    print(head)
    print("-" * len(head))

    def num(value, fmt="%8.1f"):
        return fmt % value if value is not None else "%*s" % (len(fmt % 0.0), "n/a")

    for n, row in rows.items():
        print("%5d %4d %s %s %s %s %s %s %s %6.0f %11s %-9s %d" % (
            n, row["reps"], num(row["first"]), num(row["again"]), num(row["check"]), num(row["first_cpu"], "%7.1f"),
            num(row["again_cpu"], "%7.1f"), num(row["check_cpu"], "%7.1f"),
            num(row["again_cpu"] / n if row["again_cpu"] is not None else None, "%8.2f"), row["rss"] or 0,
            "/".join("%.0f" % row[k + "_trips"] for k in ("again", "check", "first")),
            "changed=" + ",".join(map(str, row["chg"])), row["failed"]))
    counts = list(rows)
    steps = {}
    if len(counts) > 1:
        print("per added host (difference of the medians / hosts added):")
    for a, b in zip(counts, counts[1:]):
        step = {}
        parts = []
        for k, label in PHASES:
            for key in (k, k + "_cpu"):
                if rows[a][key] is not None and rows[b][key] is not None:
                    step[key] = (rows[b][key] - rows[a][key]) / float(b - a)
            wall = "%+.2f" % step[k] if k in step else "n/a"
            cpu = "%+.2f" % step[k + "_cpu"] if k + "_cpu" in step else "n/a"
            parts.append("%s %s s, %s CPU s" % (label, wall, cpu))
        steps[(a, b)] = step
        print("  %2d -> %2d: %s" % (a, b, "; ".join(parts)))
    small = [n for n in counts if n < 12]
    if 12 in rows and small and rows[12]["again"] and rows[small[0]]["again"]:
        value = rows[12]["again"] / rows[small[0]]["again"]
        print("re-converge 12 hosts / %d hosts: %.2fx (target <= 1.2x of 3 hosts: %s)" % (
            small[0], value, ("met" if value <= 1.2 else "MISSED") if small[0] == 3 else "no 3-host point"))
    flat = [(a, b) for a, b in steps if a >= 12 and b <= 50]
    if len(flat) > 1:
        for k, label in PHASES:
            values = [steps[s].get(k + "_cpu") for s in flat]
            if None in values or min(values) <= 0:
                print("controller CPU per added host, %s, 12 -> 50: n/a (%s)" % (label, values))
                continue
            spread = max(values) / min(values)
            print("controller CPU per added host, %s, %s: %s; largest / smallest %.2fx (target <= 1.2x: %s)" % (
                label, ", ".join("%d->%d" % s for s in flat), ", ".join("%.2f s" % v for v in values), spread,
                "met" if spread <= 1.2 else "MISSED"))
    print("columns: first/again/check = wall seconds of the first converge, the re-converge and --check --diff; CPU "
          "1st/re/chk = controller CPU seconds of each (every process the run starts); CPU/h re = re-converge CPU per "
          "host; RSS MB = largest controller process; trips r/c/1 = module runs per host on the re-converge, --check "
          "--diff and first converge (-vvv); failed runs = runs with rc != 0 (left out of the time medians)")
    return rows, steps


def check_anchor(path):
    if not path or not os.path.isdir(path):
        sys.exit("ANSIBLE_NOMAD_DIR must point at a checkout of ansible-community/ansible-nomad at %s" % PINNED_COMMIT)
    head = sh("git", "-C", path, "rev-parse", "HEAD", check=False).stdout.strip()
    if head != PINNED_COMMIT:
        sys.exit("ANSIBLE_NOMAD_DIR is at %r, want the pinned commit %s" % (head, PINNED_COMMIT))
    dirty = sh("git", "-C", path, "status", "--porcelain", check=False).stdout.strip()
    if dirty:
        sys.exit("ANSIBLE_NOMAD_DIR has local changes; the anchor must be unmodified:\n" + dirty)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--hosts", default=None, help="default 3,12 (--scale: 6,12,25,50)")
    parser.add_argument("--arm64", action="store_true")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--reps-for", default="", help="e.g. 6=1,12=2: fewer repetitions for these host counts")
    parser.add_argument("--impl", default="ours,anchor")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the smoke's logs")
    parser.add_argument("--json", help="also write every measurement here")
    parser.add_argument("--forks", type=int, default=12)
    parser.add_argument("--scale", action="store_true", help="this collection only at growing host counts")
    parser.add_argument("--from-json", help="print the table of these saved measurements (comma-separated files)")
    args = parser.parse_args()
    if args.from_json:
        saved = []
        for path in args.from_json.split(","):
            with open(path) as handle:
                saved.extend(json.load(handle))
        print("%d runs from %s" % (len(saved), args.from_json))
        if args.scale:
            scale_table(saved)
        else:
            table(saved)
        return 0
    if "EDGEOPS_NOMAD_MIRROR_URL" not in os.environ:
        sys.exit("run me through tests/tools/stand_in_nomad/with_mirror.sh")
    if args.smoke:
        args.hosts, args.reps, args.impl, args.arm64, args.forks, args.scale = "1", 1, "ours", False, 12, False
    if args.scale:
        args.impl = "ours"
    if args.hosts is None:
        args.hosts = "6,12,25,50" if args.scale else "3,12"
    impls = args.impl.split(",")
    anchor_dir = os.environ.get("ANSIBLE_NOMAD_DIR")
    anchor_cols = None
    if "anchor" in impls:
        check_anchor(anchor_dir)
        anchor_cols = anchor_collections(anchor_dir)  # once, before any container starts
    reps_for = dict((int(k), int(v)) for k, v in (x.split("=") for x in args.reps_for.split(",") if x))
    scenarios = []
    for i, n in enumerate(int(x) for x in args.hosts.split(",")):
        archs = ["amd64"] * n
        if args.arm64 and i == 0:
            archs[-1] = "arm64"
        name = "%d (%d arm64)" % (n, archs.count("arm64")) if "arm64" in archs else "%d" % n
        scenarios.append((name, archs, reps_for.get(n, args.reps)))
    print("scenarios: " + ", ".join("%s x %d reps" % (s[0], s[2]) for s in scenarios), flush=True)
    results = []
    for rep in range(max(s[2] for s in scenarios)):
        if not args.smoke:
            print("round %d starts %s UTC, %s" % (rep + 1, time.strftime("%H:%M:%S", time.gmtime()), load()), flush=True)
        for name, archs, reps in scenarios:
            if rep >= reps:
                continue
            order = impls if rep % 2 == 0 else list(reversed(impls))
            for impl in order:
                r = one(impl, archs, rep, anchor_dir, args.forks, anchor_cols)
                r["scenario"] = name
                print("%s %s hosts rep %d: first %.1fs rc %d, again %.1fs rc %d (changed %s), check %.1fs rc %d, "
                      "module runs per host again %s check %s  [%s]" % (
                          impl, name, rep + 1, r["first"]["wall"], r["first"]["rc"], r["again"]["wall"], r["again"]["rc"],
                          sorted({h["changed"] for h in r["again"]["recap"].values()}), r["check"]["wall"], r["check"]["rc"],
                          sorted({h["modules"] for h in r["again"]["recap"].values()}),
                          sorted({h["modules"] for h in r["check"]["recap"].values()}), r["work"]), flush=True)
                results.append(r)
                if args.json:
                    with open(args.json, "w") as handle:
                        json.dump(results, handle, indent=1)
        if not args.smoke:
            print("\nafter repetition round %d (ends %s UTC, %s):" % (
                rep + 1, time.strftime("%H:%M:%S", time.gmtime()), load()), flush=True)
        if args.scale:
            scale_table(results)
        else:
            table(results)
        sys.stdout.flush()
    if args.smoke:
        r = results[0]
        verdict = smoke_failure(r)
        if verdict:
            sys.exit(verdict)
        trips = converged_trips(r)
        if not args.keep:
            shutil.rmtree(r["work"], ignore_errors=True)
        print("smoke: ok (converged host: %d module runs on re-converge, %d in --check --diff)" % (
            trips["again"], trips["check"]))
    return 0


def stop(signum, dummy_frame):
    raise SystemExit("stopped by signal %d" % signum)  # unwinds through Containers.__exit__: no container left


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    sys.exit(main())
