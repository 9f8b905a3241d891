"""Nomad's view of the demo's edge nodes, through the Nomad API double (test harness of tests/e2e/lifecycle/run.sh).

    python tests/e2e/lifecycle/nomad_view.py wait NAMES --status ready[,initializing] [--eligible] [--timeout S]
        until every named node has one of the statuses (and is eligible with --eligible); prints each node's
        status, eligibility and last drain; exit 1 on timeout
    python tests/e2e/lifecycle/nomad_view.py wait-gone-or NAMES --status down,disconnected [--timeout S]
    python tests/e2e/lifecycle/nomad_view.py show NAMES
    python tests/e2e/lifecycle/nomad_view.py advance 72h [--connected NAMES] [--timeout S]
        moves Nomad's clock; the NAMES (kept connected) must be heartbeating as it begins: while one is not (an
        agent that just missed a heartbeat), the double moves nothing and this asks again until the timeout
    python tests/e2e/lifecycle/nomad_view.py server-config

NAMES is a comma-separated list of node names (the hosts' short names). Reads NOMAD_ADDR (tests/e2e/demo/env) and
the management token the control plane stored (Kubernetes Secret nomad-acl-bootstrap, K8S_AUTH_KUBECONFIG).
"""

import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request
import warnings

warnings.filterwarnings("ignore")


def token():
    from kubernetes import client, config
    config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
    secret = client.CoreV1Api().read_namespaced_secret("nomad-acl-bootstrap", "edgeops-demo")
    return base64.b64decode(secret.data["secret_id"]).decode()


def call(path, method="GET", body=None, secret=None):
    req = urllib.request.Request(os.environ["NOMAD_ADDR"] + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if secret:
        req.add_header("X-Nomad-Token", secret)
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def nodes(names, secret):
    """name -> full node (the newest record when a name appears twice: a node that registered again)."""
    out = {}
    for stub in call("/v1/nodes", secret=secret):
        if stub["Name"] in names and (stub["Name"] not in out or stub["CreateIndex"] > out[stub["Name"]]["CreateIndex"]):
            out[stub["Name"]] = call("/v1/node/" + stub["ID"], secret=secret)
    return out


def describe(name, node):
    if node is None:
        return "%-26s (not in Nomad's state)" % name
    last = node.get("LastDrain") or {}
    events = [e["Message"] for e in node.get("Events") or []][-3:]
    return "%-26s %-13s %-10s last drain %-8s events %s" % (
        name, node["Status"], node["SchedulingEligibility"], last.get("Status", "-"), "; ".join(events))


def advance(step, connected, timeout):
    """Move Nomad's clock; the connected nodes must be heartbeating as it begins. A real agent on a busy
    machine may just have missed a heartbeat (the double answers 409 and moves nothing): wait for its next one
    and ask again, until timeout."""
    end = time.time() + timeout
    seen = None
    while True:
        try:
            print(json.dumps(call("/_double/clock", "POST", {"advance": step, "connected": connected})))
            return 0
        except urllib.error.HTTPError as exc:
            if exc.code != 409:
                raise
            reason = exc.read().decode()
        if reason != seen:
            print("advance %s waits: %s" % (step, reason), file=sys.stderr)
            seen = reason
        if time.time() >= end:
            print("advance %s refused for %ds: %s" % (step, timeout, reason), file=sys.stderr)
            return 1
        time.sleep(2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["wait", "show", "advance", "server-config"])
    parser.add_argument("arg", nargs="?", default="")
    parser.add_argument("--status", default="ready")
    parser.add_argument("--eligible", action="store_true")
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--connected", default="", help="advance: the nodes kept connected throughout")
    args = parser.parse_args()
    if args.command == "advance":
        return advance(args.arg, [n for n in args.connected.split(",") if n], args.timeout)
    if args.command == "server-config":
        print(json.dumps(call("/_double/server-config"), sort_keys=True))
        return 0
    secret = token()
    names = [n for n in args.arg.split(",") if n]
    statuses = args.status.split(",")
    end = time.time() + (args.timeout if args.command == "wait" else 0)
    while True:
        found = nodes(names, secret)
        good = all(found.get(n) is not None and found[n]["Status"] in statuses
                   and (not args.eligible or found[n]["SchedulingEligibility"] == "eligible") for n in names)
        if good or time.time() >= end:
            break
        time.sleep(2)
    for name in names:
        print("    " + describe(name, found.get(name)))
    return 0 if good or args.command == "show" else 1


if __name__ == "__main__":
    sys.exit(main())
