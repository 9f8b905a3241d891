#!/usr/bin/env python
"""Benchmark (not a test): where the cost of one more host goes on this test bed.

`make benchmark-scale` measures a converged host at about 2.5-2.9 controller CPU seconds per added host. This
script splits that figure into the parts Ansible and the podman connection cost anyway, on fresh containers of
the benchmark image (the same as benchmarks/side_by_side.py), with plays that hold no role at all:

  podman exec     one `podman exec <container> /bin/sh -c 'echo ~ && sleep 0'`, run one after the other (the
                  podman connection runs five of them plus a `podman mount` per module run: it has no pipelining)
  task-host       one task on one host that only the controller works on: a skipped task (`when` false) and a
                  set_fact (30 of each on every host, minus an empty play)
  module run      one `ansible.builtin.ping` on every host (3 pings minus 1), controller and machine CPU
  hosts > forks   the same plays with forks 4 instead of forks 12 (Ansible's strategy waits for a free worker)
  waiting         controller CPU per wall second while one host's task runs (`pause`, run_once)

Controller CPU is every process ansible-playbook starts (RUSAGE_CHILDREN, as in side_by_side.py); machine CPU is
the busy time of every CPU from /proc/stat over the same interval (the containers' side included). Medians over
--reps. Nothing else should run on the machine.

    python benchmarks/per_host_cost.py [--hosts 12] [--reps 3]      (make benchmark-cost)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import side_by_side  # noqa: E402  (the containers and the measuring wrapper of the side-by-side benchmark)

TICKS = os.sysconf("SC_CLK_TCK")
TASKS = 30


def machine_busy():
    """CPU seconds every CPU of the machine spent busy since boot (not idle, not waiting on I/O)."""
    with open("/proc/stat") as handle:
        ticks = [int(v) for v in handle.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / float(TICKS)


def measure(argv, work):
    """(controller CPU, machine CPU, wall) of one command; fails on rc != 0."""
    usage = os.path.join(work, "usage.json")
    busy, start = machine_busy(), time.time()
    rc = subprocess.call([sys.executable, "-c", side_by_side.MEASURE, usage] + argv, stdout=subprocess.DEVNULL)
    wall, busy = time.time() - start, machine_busy() - busy
    if rc != 0:
        sys.exit("%s: rc %d" % (" ".join(argv), rc))
    with open(usage) as handle:
        return json.load(handle)["cpu"], busy, wall


def plays(work):
    bodies = {
        "empty": "    - ansible.builtin.meta: noop\n",
        "skipped": "".join("    - name: skipped %d\n      ansible.builtin.debug: {msg: x}\n      when: false\n" % i
                           for i in range(TASKS)),
        "set_fact": "".join("    - name: set_fact %d\n      ansible.builtin.set_fact: {x%d: 1}\n" % (i, i)
                            for i in range(TASKS)),
        "ping1": "    - ansible.builtin.ping:\n",
        "ping3": "    - ansible.builtin.ping:\n" * 3,
        "pause": "    - ansible.builtin.pause: {seconds: 10}\n      run_once: true\n",
    }
    paths = {}
    for name, body in bodies.items():
        paths[name] = os.path.join(work, name + ".yml")
        with open(paths[name], "w") as handle:
            handle.write("- name: %s\n  hosts: all\n  gather_facts: false\n  tasks:\n%s" % (name, body))
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=12)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    side_by_side.sh("podman", "version")  # fails early without podman
    work = tempfile.mkdtemp(prefix="per-host-cost-")
    print("load average at the start: %.2f, %.2f, %.2f" % os.getloadavg())
    with side_by_side.Containers(["amd64"] * args.hosts, "cost%d" % os.getpid()) as containers:
        inventory = os.path.join(work, "inventory.json")
        with open(inventory, "w") as handle:
            json.dump({"all": {"hosts": {n: {} for n in containers.names}, "vars": {
                "ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3"}}},
                handle)
        execs = "import subprocess\nfor name in %r * 5:\n    subprocess.check_call(['podman', 'exec', name, " \
                "'/bin/sh', '-c', 'echo ~ && sleep 0'], stdout=subprocess.DEVNULL)\n" % (containers.names,)
        files = plays(work)
        runs = {}
        for dummy in range(args.reps):
            runs.setdefault("exec", []).append(measure([sys.executable, "-c", execs], work))
            for forks in (12, 4):
                for name, path in files.items():
                    if forks == 4 and name not in ("empty", "skipped", "ping1", "ping3"):
                        continue
                    key = name if forks == 12 else name + "/forks4"
                    runs.setdefault(key, []).append(measure(["ansible-playbook", "-f", str(forks), "-i", inventory,
                                                             path], work))
    med = {key: tuple(statistics.median(r[i] for r in values) for i in range(3)) for key, values in runs.items()}
    n, cpu, mach, wall = args.hosts, 0, 1, 2
    print("\nper-host cost parts, %d containers, medians of %d (controller CPU / machine CPU / wall, seconds)" % (
        n, args.reps))
    for key, value in med.items():
        print("  %-16s %7.2f / %7.2f / %7.2f" % (key, value[cpu], value[mach], value[wall]))
    execs_run = 5.0 * n
    print("podman exec:            controller %.3f s, machine %.3f s, wall %.3f s each" % (
        med["exec"][cpu] / execs_run, med["exec"][mach] / execs_run, med["exec"][wall] / execs_run))
    for name in ("skipped", "set_fact"):
        print("task-host (%-8s):   controller %.3f s each (forks 12)" % (
            name, (med[name][cpu] - med["empty"][cpu]) / (TASKS * n)))
    for suffix, label in (("", "forks 12"), ("/forks4", "forks 4")):
        print("module run (ping, %s): controller %.3f s, machine %.3f s each" % (
            label, (med["ping3" + suffix][cpu] - med["ping1" + suffix][cpu]) / (2.0 * n),
            (med["ping3" + suffix][mach] - med["ping1" + suffix][mach]) / (2.0 * n)))
    print("task-host, skipped, forks 4: controller %.3f s each" % (
        (med["skipped/forks4"][cpu] - med["empty/forks4"][cpu]) / (TASKS * n)))
    print("waiting on one host:    controller %.3f CPU s per wall second" % (
        (med["pause"][cpu] - med["empty"][cpu]) / (med["pause"][wall] - med["empty"][wall])))
    print("load average at the end: %.2f, %.2f, %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
