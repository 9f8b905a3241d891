"""TEST DOUBLE step: tell the Nomad API double about the demo's edge containers as their agents would.

The stand-in nomad binary joins nothing, so the double does not learn of the containers by itself. A real
agent registers its node when it starts (nomad/node_endpoint.go Node.Register) with the name, datacenter and
node pool of its configuration and its own version (the nomad.version attribute), heartbeats while it runs, and
is marked down by the servers once its heartbeats stop (nomad/heartbeat.go invalidateHeartbeat). This script
reads each container's real state and tells the double the same through its /_double/ control endpoints:
  - a node per container whose /etc/nomad.d/client.hcl exists, named, placed and versioned from that file and
    the installed binary (registered once; attributes and status updated on every run);
  - status ready when the container runs and its nomad service is active, down otherwise.
Usage: nomad_nodes.py [CONTAINER...]   (default: the three demo containers); prints one line per node.
"""

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STATE = ROOT / ".cache" / "demo"
CONTAINERS = ["edgeops-demo-amd64-1", "edgeops-demo-amd64-2", "edgeops-demo-arm64-1"]


def double_url():
    for line in (STATE / "env").read_text().splitlines():
        if line.startswith("export NOMAD_ADDR="):
            return line.split("=", 1)[1]
    raise SystemExit("nomad_nodes: no NOMAD_ADDR in %s (is the demo up?)" % (STATE / "env"))


def control(url, what, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + "/_double/" + what, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (local test double)
        return json.load(resp)


def container_state(name):
    def run(*cmd):
        out = subprocess.run(["podman", "exec", name, *cmd], capture_output=True, text=True, check=False, timeout=60)
        return out.stdout.strip() if out.returncode == 0 else ""

    running = subprocess.run(["podman", "container", "inspect", "--format", "{{.State.Running}}", name],
                             capture_output=True, text=True, check=False).stdout.strip() == "true"
    hcl = run("cat", "/etc/nomad.d/client.hcl") if running else ""
    return running, hcl, run("systemctl", "is-active", "nomad") if running else "", \
        run("/usr/local/bin/nomad", "version") if running else ""


def main(names):
    url = double_url()
    peek = control(url, "peek?path=/v1/nodes")
    known = {n["Name"]: n for n in peek.get("data") or []}
    for name in names:
        running, hcl, service, version_out = container_state(name)
        node_name = name
        if hcl:
            found = re.search(r'^name\s*=\s*"([^"]+)"', hcl, re.M)
            node_name = found.group(1) if found else name
        if node_name not in known:
            if not hcl:
                print("nomad_nodes: %s has no client.hcl and no node: nothing to register" % name)
                continue
            pool = re.search(r'node_pool\s*=\s*"([^"]+)"', hcl)
            dc = re.search(r'^datacenter\s*=\s*"([^"]+)"', hcl, re.M)
            control(url, "node-register", {"name": node_name, "node_pool": pool.group(1) if pool else "default",
                                           "datacenter": dc.group(1) if dc else "dc1"})
        version = re.search(r"Nomad v(\S+)", version_out or "")
        if version:
            control(url, "node-attributes", {"name": node_name, "attributes": {"nomad.version": version.group(1)}})
        status = "ready" if running and service == "active" else "down"
        control(url, "node-status", {"name": node_name, "status": status})
        print("nomad_nodes: %-22s node %-22s %s%s" % (name, node_name, status,
                                                      " (Nomad v%s)" % version.group(1) if version else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or CONTAINERS))
