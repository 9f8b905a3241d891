"""The Nomad side of the rulebook scenario (runme.sh), against the Nomad API double: the tokens, the state
changes the rulebooks react to, and the checks of what their playbooks did, read back from the double.

  python drive.py setup URL WORKDIR     bootstrap ACLs, one least-privilege token per source; jobs web and api
                                        with a stable version 0 and a version 1 being deployed; fleet placed
                                        (6 allocations on the edge-x86 nodes of site dc1)
  python drive.py wait-streams URL N    until N event streams are open (every source subscribed)
  python drive.py act URL               the changes, in the order an edge fleet could see them
  python drive.py check URL LOGDIR      what the playbooks did
"""

import json
import re
import sys
import time
import urllib.request

MANAGEMENT = "7e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"


def call(url, method, path, body=None, token=MANAGEMENT):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                 method=method, headers={"X-Nomad-Token": token} if token else {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


def control(url, what, body=None):
    return call(url, "POST", "/_double/" + what, body or {}, token=None)


def peek(url, path):
    """The double's state without a token and without the reads that stand in for time."""
    return call(url, "GET", "/_double/peek?path=" + path, token=None)["data"]


def node(url, name):
    stub = next(n for n in peek(url, "/v1/nodes") if n["Name"] == name)
    return peek(url, "/v1/node/" + stub["ID"])


def token(url, name, rules):
    call(url, "PUT", "/v1/acl/policy/" + name, {"Name": name, "Rules": rules})
    return call(url, "PUT", "/v1/acl/token", {"Name": name, "Type": "client", "Policies": [name]})["SecretID"]


def service(job_id, meta=None, count=1):
    return {"Job": {"ID": job_id, "Type": "service", "NodePool": "edge-x86", "Meta": meta, "Update": {"MaxParallel": 1},
                    "TaskGroups": [{"Name": "g", "Count": count, "Tasks": [
                        {"Name": "t", "Driver": "exec", "Config": {"command": "/usr/local/bin/" + job_id}}]}]}}


def deployed(url, job_id):
    """Reads of the job's deployment are the double's time: the eval completes, then the deployment succeeds
    (and marks the version stable)."""
    for dummy in range(8):
        dep = call(url, "GET", "/v1/job/%s/deployment" % job_id)
        if dep and dep["Status"] == "successful":
            return dep
    raise SystemExit("setup: the deployment of %s did not succeed" % job_id)


def setup(url, work):
    call(url, "POST", "/v1/acl/bootstrap", {"BootstrapSecret": MANAGEMENT}, token=None)
    control(url, "event-stream", {"heartbeat": 1})
    tokens = {  # the least each rulebook's source needs (docs/eda.md)
        "nodes": token(url, "eda-nodes", 'node { policy = "read" }'),
        "deployments": token(url, "eda-deployments", 'namespace "default" { capabilities = ["read-job"] }'),
        "allocations": token(url, "eda-allocations",
                             'namespace "default" { capabilities = ["read-job"] }\nnode { policy = "read" }'),
    }
    for name in ("edge-00002", "edge-00003", "edge-00006"):
        control(url, "node-status", {"name": name, "status": "ready"})
    for job_id in ("web", "api"):
        call(url, "POST", "/v1/jobs", service(job_id))
        deployed(url, job_id)
        reg = call(url, "POST", "/v1/jobs", service(job_id, meta={"release": "2"}))
        for dummy in range(3):  # the scheduler takes version 1: its deployment runs, not successful yet
            if call(url, "GET", "/v1/evaluation/" + reg["EvalID"])["Status"] == "complete":
                break
    call(url, "POST", "/v1/jobs", service("fleet", count=6))
    deployed(url, "fleet")
    # the playbooks' tokens (docs/eda.md): eligibility; revert and the site report
    tokens["playbook-nodes"] = token(url, "eda-playbook-nodes", 'node { policy = "write" }')
    tokens["playbook-others"] = token(url, "eda-playbook-others", 'namespace "default" { capabilities = '
                                      '["read-job", "revert-job"] }\nnode { policy = "read" }')
    for name, value in tokens.items():
        with open("%s/token-%s" % (work, name), "w") as handle:
            handle.write(value)
    placed = [a for a in peek(url, "/v1/allocations") if a["JobID"] == "fleet" and a["DesiredStatus"] == "run"]
    print("setup: one token per source; web and api at version 1 (version 0 stable); fleet: %d allocations on %s"
          % (len(placed), ", ".join(sorted(set(a["NodeName"] for a in placed)))))


def wait_streams(url, count):
    deadline = time.monotonic() + 60
    while control(url, "event-stream-status")["open_streams"] < count:
        if time.monotonic() > deadline:
            raise SystemExit("wait-streams: %d of %d sources subscribed after 60s"
                             % (control(url, "event-stream-status")["open_streams"], count))
        time.sleep(0.2)


def act(url):
    # a gpu node (not an edge pool of nomad_edge_pools) and an edge-x86 node, both made ineligible, go down
    # and come back: only the edge node's host is re-converged and made eligible
    for name in ("edge-00003", "edge-00002"):
        stub = node(url, name)
        call(url, "POST", "/v1/node/%s/eligibility" % stub["ID"], {"NodeID": stub["ID"], "Eligibility": "ineligible"})
    control(url, "node-status", {"name": "edge-00003", "status": "down"})
    control(url, "node-status", {"name": "edge-00003", "status": "ready"})
    control(url, "node-status", {"name": "edge-00002", "status": "down"})  # its 3 fleet allocations: lost
    control(url, "node-status", {"name": "edge-00002", "status": "ready"})
    control(url, "node-status", {"name": "edge-00006", "status": "down"})  # 3 more lost at dc1: no second report
    # api's deployment of version 1 fails and Nomad rolls it back itself; web's fails: reverted to version 0
    # (the case that must not act comes first: actions run one at a time, so it would act before web's)
    control(url, "deployment-status", {"job": "api", "status": "failed", "description":
                                       "Failed due to unhealthy allocations - rolling back to job version 0"})
    control(url, "deployment-status", {"job": "web", "status": "failed",
                                       "description": "Failed due to unhealthy allocations"})
    # nodes register: in a configured pool, and in one the inventory does not configure
    control(url, "node-register", {"name": "edge-lab-01", "node_pool": "edge-lab", "datacenter": "dc3"})
    control(url, "node-register", {"name": "edge-x86-09", "node_pool": "edge-x86", "datacenter": "dc1"})
    print("act: nodes down and back, lost allocations at dc1, two failed deployments, two registrations")


def check(url, logdir):
    """Wait (60s) until every expected effect is there, then check that nothing else happened."""
    logs = {}

    def read_logs():
        for name in ("edge_node_recovered", "others"):
            with open("%s/%s.log" % (logdir, name), encoding="utf-8", errors="replace") as handle:
                logs[name] = handle.read()

    def effects():
        read_logs()
        web = peek(url, "/v1/job/web")
        return {
            "edge-00002 eligible again (edge_client_recovered)": node(url, "edge-00002")["SchedulingEligibility"] == "eligible",
            "web reverted to version 0's specification as version 2 (revert_job)": web["Version"] == 2 and not web.get("Meta"),
            "one report for site dc1 (site_report)": logs["others"].count("site dc1: ") >= 1,
            "edge-lab-01 in an unconfigured pool reported (node_pool_check)":
                "node 'edge-lab-01' (datacenter dc3) registered in node pool 'edge-lab'" in logs["others"],
            "edge-x86-09 in a configured pool passed (node_pool_check)":
                "node 'edge-x86-09' is in configured node pool 'edge-x86'" in logs["others"],
        }

    deadline = time.monotonic() + 90
    while not all(effects().values()):
        if time.monotonic() > deadline:
            missing = [k for k, v in effects().items() if not v]
            raise SystemExit("check: missing after 90s: %s" % "; ".join(missing))
        time.sleep(0.5)
    # then until no playbook runs any more (the logs stop growing for 5s): a second report, a revert of api
    # or a recovery of the gpu node would be queued behind the runs seen so far
    size, still, deadline = -1, time.monotonic(), time.monotonic() + 60
    while time.monotonic() - still < 5 and time.monotonic() < deadline:
        read_logs()
        now = sum(len(text) for text in logs.values())
        if now != size:
            size, still = now, time.monotonic()
        time.sleep(0.5)
    read_logs()
    ran = len(re.findall(r"^PLAY \[Report on an edge site\]", logs["others"], re.M))
    unwanted = {
        "edge-00003 (pool gpu) left ineligible": node(url, "edge-00003")["SchedulingEligibility"] == "ineligible",
        "api (rolled back by Nomad) not reverted": peek(url, "/v1/job/api")["Version"] == 1,
        "exactly one site report for 6 lost allocations": ran == 1,
        "the recovery playbook ran for edge-00002 only": logs["edge_node_recovered"].count("TASK [Mark the node eligible]") == 1,
    }
    failed = [k for k, v in unwanted.items() if not v]
    if failed:
        raise SystemExit("check: %s" % "; ".join(failed))
    print("check: " + "; ".join(list(effects()) + list(unwanted)))


if __name__ == "__main__":
    command, url = sys.argv[1], sys.argv[2].rstrip("/")
    if command == "setup":
        setup(url, sys.argv[3])
    elif command == "wait-streams":
        wait_streams(url, int(sys.argv[3]))
    elif command == "act":
        act(url)
    elif command == "check":
        check(url, sys.argv[3])
    else:
        raise SystemExit("unknown command " + command)
