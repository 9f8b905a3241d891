#!/usr/bin/env python
"""Benchmark: the edgeops.nomad.nomad_nodes inventory plugin with N nodes (default 10,000).

Serves N fake nodes from the Nomad API double (a test double, in a thread), runs the plugin the
way ansible-inventory does, and prints: the time to fetch the node list over HTTP (double +
client), the plugin's own time to build the inventory (populate), and the total. Exits 1 when the
plugin's own CPU time (populate + decoding the node list) exceeds --max-seconds (default 1.0).

With --details (O(details=true): one GET /v1/node/:id per node, --concurrency at a time) the double
runs in its own process, as a Nomad server would, and the figure printed is the wall time of the
whole parse against the 5 s target for 1,000 nodes; it is printed, not asserted.

Run: source scripts/env.sh && python benchmarks/inventory_nomad_nodes.py [--nodes N]
     python benchmarks/inventory_nomad_nodes.py --nodes 1000 --details [--concurrency 16]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from urllib.request import urlopen

from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, inventory_loader

init_plugin_loader()  # collections from ANSIBLE_COLLECTIONS_PATH (scripts/env.sh sets it)

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=10000)
    parser.add_argument("--max-seconds", type=float, default=1.0)
    parser.add_argument("--keyed-groups", action="store_true", help="also add keyed_groups (Jinja per host)")
    parser.add_argument("--details", action="store_true", help="details: true (one read per node)")
    parser.add_argument("--concurrency", type=int, default=16, help="details_concurrency (with --details)")
    args = parser.parse_args()
    if args.details:
        return details(args)
    double = NomadAPIDouble(DoubleState(nodes=args.nodes)).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bench.nomad_nodes.yml")
            with open(path, "w") as handle:
                handle.write("plugin: edgeops.nomad.nomad_nodes\nurl: %s\n" % double.url)
                if args.keyed_groups:
                    handle.write("keyed_groups:\n  - key: nomad_datacenter\n    prefix: site\n")
            plugin = inventory_loader.get("edgeops.nomad.nomad_nodes")
            inventory = InventoryData()
            loader = DataLoader()
            timings = {}
            fetch, populate = plugin.fetch, plugin.populate

            def timed(name, func):
                def wrapper(*a, **kw):
                    start, cpu = time.perf_counter(), time.process_time()
                    try:
                        return func(*a, **kw)
                    finally:
                        timings[name] = time.perf_counter() - start
                        timings[name + "_cpu"] = time.process_time() - cpu
                return wrapper

            plugin.fetch = timed("fetch", fetch)
            plugin.populate = timed("populate", populate)
            start = time.perf_counter()
            plugin.parse(inventory, loader, path, cache=False)
            total = time.perf_counter() - start
            # Client-side share of the fetch: decoding the node list JSON (the rest is the double).
            raw = urlopen(double.url + "/v1/nodes?os=true").read()
            start, cpu = time.perf_counter(), time.process_time()
            json.loads(raw.decode("utf-8"))
            timings["decode"] = time.perf_counter() - start
            timings["decode_cpu"] = time.process_time() - cpu
    finally:
        double.stop()
    hosts = len(inventory.hosts)
    groups = len(inventory.groups)
    print("nomad_nodes benchmark: %d nodes -> %d hosts, %d groups%s" % (
        args.nodes, hosts, groups, " (with keyed_groups)" if args.keyed_groups else ""))
    print("  fetch over HTTP from the double (server + client): %.3fs" % timings["fetch"])
    print("  plugin populate (the plugin's own work):          %.3fs wall, %.3fs CPU"
          % (timings["populate"], timings["populate_cpu"]))
    print("  total parse:                                      %.3fs wall" % total)
    plugin_time = timings["populate_cpu"] + timings["decode_cpu"]
    print("  plugin time (populate + JSON decode), CPU:        %.3fs (limit %.1fs; CPU time, so a busy"
          " machine does not skew it)" % (plugin_time, args.max_seconds))
    if hosts != args.nodes:
        print("FAIL: expected %d hosts" % args.nodes)
        return 1
    if plugin_time > args.max_seconds:
        print("FAIL: plugin time %.3fs is over %.1fs" % (plugin_time, args.max_seconds))
        return 1
    return 0


class _DoubleProcess(object):
    """The Nomad API double (test double) in its own process, so it does not share the GIL with the plugin."""

    def __init__(self, nodes):
        self.dir = tempfile.mkdtemp()
        url_file = os.path.join(self.dir, "url")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.tools.nomad_api_double", "--nodes", str(nodes),
                                      "--url-file", url_file], cwd=root, stdout=subprocess.DEVNULL)
        for dummy in range(600):
            if os.path.exists(url_file) and os.path.getsize(url_file):
                break
            time.sleep(0.05)
        with open(url_file) as handle:
            self.url = handle.read().strip()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def details(args):
    double = _DoubleProcess(args.nodes)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bench.nomad_nodes.yml")
            with open(path, "w") as handle:
                handle.write("plugin: edgeops.nomad.nomad_nodes\nurl: %s\ndetails: true\ndetails_concurrency: %d\n"
                             % (double.url, args.concurrency))
            plugin = inventory_loader.get("edgeops.nomad.nomad_nodes")
            inventory = InventoryData()
            start, cpu = time.perf_counter(), time.process_time()
            plugin.parse(inventory, DataLoader(), path, cache=False)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        double.stop()
    arch = sum(1 for h in inventory.hosts.values() if "nomad_arch" in h.vars)
    print("nomad_nodes benchmark, details: true: %d nodes -> %d hosts (%d with nomad_arch), details_concurrency %d"
          % (args.nodes, len(inventory.hosts), arch, args.concurrency))
    print("  whole parse (list + %d node reads + populate): %.2fs wall, %.2fs CPU in the plugin's process"
          % (args.nodes, wall, cpu))
    print("  per node: %.1f ms wall; target for 1,000 nodes: 5 s (%s at this size)"
          % (1000.0 * wall / max(args.nodes, 1), "met" if wall * 1000.0 / max(args.nodes, 1) < 5.0 else "NOT met"))
    print("  load average now: %s" % " ".join("%.1f" % x for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
