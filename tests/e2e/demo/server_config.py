"""TEST HARNESS: the Nomad API double starts with the configuration the server role gave the servers.

On the demo's test cluster the Nomad server pods are simulated (kwok): nothing reads the ConfigMap the
edgeops.nomad.nomad_server role applies. The Nomad API double stands in for those servers, so this follows that
ConfigMap (`<nomad_server_name>-config`, key server.hcl, rendered by edgeops.nomad.to_nomad_hcl) and hands the
double its `server` block and `advertise.rpc` (POST /_double/server-config): node_gc_threshold, heartbeat
settings, client_introduction, and the address the double then lists as Servers in its Register and heartbeat
replies (clients replace their server list with it, nomad/server.go).

    python tests/e2e/demo/server_config.py --double URL [--namespace edgeops-demo] [--name nomad] [--once]

Without --once it polls every 2 s until killed (tests/e2e/demo/up.sh runs it, down.sh stops it by its PID).
Uses K8S_AUTH_KUBECONFIG.
"""

import argparse
import json
import os
import sys
import time
import urllib.request

from kubernetes import client, config
from kubernetes.client.rest import ApiException

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools", "stand_in_nomad"))
from agent import HCL  # noqa: E402  (the stand-in agent's reader of to_nomad_hcl output)


def servers_config(core, namespace, name):
    """The server block and advertise.rpc of the servers' ConfigMap, or None while it does not exist."""
    try:
        cm = core.read_namespaced_config_map(name + "-config", namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    parsed = HCL((cm.data or {}).get("server.hcl", "")).body()
    return {"replace": True, "server": parsed.get("server") or {},
            "advertise": {"rpc": (parsed.get("advertise") or {}).get("rpc")}}


def push(double, cfg):
    req = urllib.request.Request(double.rstrip("/") + "/_double/server-config", data=json.dumps(cfg).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--double", required=True)
    parser.add_argument("--namespace", default="edgeops-demo")
    parser.add_argument("--name", default="nomad")
    parser.add_argument("--once", action="store_true", help="push once (exit 2 while there is no ConfigMap)")
    args = parser.parse_args()
    config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
    core = client.CoreV1Api()
    last = None
    while True:
        try:
            cfg = servers_config(core, args.namespace, args.name)
            if cfg is not None and cfg != last:
                applied = push(args.double, cfg)
                last = cfg
                print("server config -> double: enforcement=%s node_gc_threshold=%s advertise.rpc=%s"
                      % (applied["enforcement"], applied["node_gc_threshold"], applied["advertise_rpc"]), flush=True)
            if args.once:
                return 0 if cfg is not None else 2
        except Exception as exc:  # noqa: BLE001  (the cluster or the double restarting: try again)
            if args.once:
                print("server config: %s" % exc, file=sys.stderr)
                return 1
            print("server config: %s (retrying)" % exc, flush=True)
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
