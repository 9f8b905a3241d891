"""Print what `make demo` built: objects on the API server, the Nomad objects the playbooks made on
the Nomad API double, the configured edge containers, timings, and what is real or a stand-in."""

import base64
import json
import os
import re
import subprocess
import sys
import urllib.request
import warnings
from pathlib import Path

from kubernetes import client, config

ROOT = Path(__file__).resolve().parents[3]
STATE = ROOT / ".cache" / "demo"
CONTAINERS = ["edgeops-demo-amd64-1", "edgeops-demo-amd64-2", "edgeops-demo-arm64-1"]
NAMESPACE = "edgeops-demo"


def env():
    values = {}
    for line in (STATE / "env").read_text().splitlines():
        key, dummy, val = line.removeprefix("export ").partition("=")
        values[key] = val
    return values


def kube_objects():
    warnings.filterwarnings("ignore")
    config.load_kube_config(config_file=str(STATE / "cluster" / "kubeconfig"))
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    found = {
        "StatefulSet": [o.metadata.name for o in apps.list_namespaced_stateful_set(NAMESPACE).items],
        "Service": [o.metadata.name for o in core.list_namespaced_service(NAMESPACE).items],
        "ConfigMap": [o.metadata.name for o in core.list_namespaced_config_map(NAMESPACE).items if o.metadata.name != "kube-root-ca.crt"],
        "Secret": [o.metadata.name for o in core.list_namespaced_secret(NAMESPACE).items if o.type != "kubernetes.io/service-account-token"],
        "ServiceAccount": [o.metadata.name for o in core.list_namespaced_service_account(NAMESPACE).items if o.metadata.name != "default"],
        "PersistentVolumeClaim": [o.metadata.name for o in core.list_namespaced_persistent_volume_claim(NAMESPACE).items],
    }
    zones = {n.metadata.name: (n.metadata.labels or {}).get("topology.kubernetes.io/zone", "no zone")
             for n in core.list_node().items}
    pods = []
    for pod in core.list_namespaced_pod(NAMESPACE).items:
        ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])
        pods.append({"name": pod.metadata.name, "phase": pod.status.phase, "ready": ready,
                     "node": pod.spec.node_name or "-", "zone": zones.get(pod.spec.node_name, "-")})
    return found, pods


def nomad(addr, token, path):
    req = urllib.request.Request(addr + path, headers={"X-Nomad-Token": token})
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 (local test double)
        return json.load(resp)


def container(name):
    def run(*cmd):
        out = subprocess.run(["podman", "exec", name, *cmd], capture_output=True, text=True, check=False)
        return out.stdout.strip()
    hcl = run("cat", "/etc/nomad.d/client.hcl")
    pool = re.search(r'node_pool\s*=\s*"([^"]+)"', hcl)
    return {
        "arch": run("uname", "-m"),
        "service": run("systemctl", "is-active", "nomad"),
        "version": run("/usr/local/bin/nomad", "version").splitlines()[0] if hcl else "",
        "pool": pool.group(1) if pool else "?",
        "volume": run("stat", "-c", "%U:%G %a", "/srv/nomad/edge-data"),
    }


def main():
    values = env()
    objects, pods = kube_objects()
    core = client.CoreV1Api()
    secret = core.read_namespaced_secret("nomad-acl-bootstrap", NAMESPACE)
    token = base64.b64decode(secret.data["secret_id"]).decode()
    pools = [p["Name"] for p in nomad(values["NOMAD_ADDR"], token, "/v1/node/pools")]
    namespaces = [n["Name"] for n in nomad(values["NOMAD_ADDR"], token, "/v1/namespaces")]
    jobs = [f'{j["ID"]} ({j.get("NodePool", "?")})' for j in nomad(values["NOMAD_ADDR"], token, "/v1/jobs")]
    inv = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible-inventory"), "-i", str(ROOT / "inventories" / "example" / "nomad_nodes.yml"), "--list"],
        capture_output=True, text=True, check=False, env={**os.environ, "NOMAD_ADDR": values["NOMAD_ADDR"], "NOMAD_TOKEN": token})
    try:
        listed = json.loads(inv.stdout)
        inv_hosts = len(listed.get("_meta", {}).get("hostvars", {}))
        inv_groups = sorted(g for g in listed if g not in ("_meta", "all", "ungrouped"))
    except ValueError:
        inv_hosts, inv_groups = 0, []
    timings = []
    for log in sorted((ROOT / "demo-output").glob("*.log"), key=lambda p: p.stat().st_mtime):
        m = re.findall(r"\)\s+(\d+:\d+:\d+\.\d+) \*+", log.read_text())
        if m:
            timings.append(f"{log.stem}: {m[-1]}")
    print("\n========== edgeops.nomad demo: summary ==========")
    total = sum(len(v) for v in objects.values())
    print("Kubernetes (REAL kube-apiserver, controller-manager and scheduler 1.34 on https://127.0.0.1:16443;")
    print(f"  SIMULATED nodes from kwok: pods are scheduled for real but run no container), namespace {NAMESPACE}: {total} objects")
    for kind, names in objects.items():
        print(f"  {kind:22} {', '.join(names) or '-'}")
    for pod in pods:
        print(f"  Pod {pod['name']:18} {pod['phase']:8} {'Ready' if pod['ready'] else 'NOT Ready':9} node {pod['node']:8} zone {pod['zone']}")
    bad_pods = sum(1 for p in pods if p["phase"] != "Running" or not p["ready"])
    print(f"Nomad API (TEST DOUBLE tests/tools/nomad_api_double, {values['NOMAD_ADDR']}): "
          "ACLs bootstrapped with the secret stored first in Secret/nomad-acl-bootstrap")
    print(f"  node pools: {', '.join(pools)}\n  namespaces: {', '.join(namespaces)}\n  jobs:       {', '.join(jobs) or '-'}")
    print(f"  inventories/example/nomad_nodes.yml (edgeops.nomad.nomad_nodes) against it: {inv_hosts} nodes, groups {', '.join(inv_groups)}")
    print("Edge clients (REAL Debian 12 containers with systemd; the nomad binary is the STAND-IN from tests/tools/stand_in_nomad,")
    print("installed from a local mirror with real SHA256SUMS and a GPG signature made with a throwaway test key):")
    bad = 0
    for name in CONTAINERS:
        info = container(name)
        bad += info["service"] != "active"
        print(f"  {name:22} {info['arch']:8} pool={info['pool']:9} service={info['service']:7} "
              f"volume edge-data {info['volume']}  [{info['version']}]")
    print("Playbook timings (ansible.posix.profile_tasks): " + "; ".join(timings))
    print("On a real cluster: the same playbooks (ansible-playbook -i YOUR_INVENTORY edgeops.nomad.site / deploy_jobs)")
    print("  start three Nomad server pods, bootstrap the real ACL system, and the clients join through the LoadBalancer;")
    print("  here the pods are scheduled and marked Running by kwok without running Nomad, nothing joins (stand-in binary),")
    print("  and jobs are only parsed and stored by the double.")
    print("Logs: demo-output/   Remove everything: make demo-clean")
    if bad_pods:
        print(f"{bad_pods} server pod(s) not Running and Ready")
    return 1 if bad or bad_pods or not inv_hosts else 0


if __name__ == "__main__":
    sys.exit(main())
