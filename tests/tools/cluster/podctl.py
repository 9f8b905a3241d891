"""Pod-level operations the Molecule verify needs and kubernetes.core has no module for.

    python tests/tools/cluster/podctl.py watch-roll NAMESPACE STATEFULSET OUT.json [--timeout S]
        Watch the StatefulSet's pods until its rollout is complete (every replica updated, Ready,
        currentRevision == updateRevision) and write the ordered events
        {"events": [{"t": seconds, "pod": "nomad-2", "event": "deleted" | "ready", ...}],
         "steps": [{"deleted": "nomad-2", "ready_before_next": "nomad-2"}, ...]}
        (ready_before_next: the first pod that became Ready after that deletion and before the next).
        Exit 1 on timeout. Start it before the change that rolls the pods, and make the change
        once OUT.json.started exists (the watch has its starting point).
    python tests/tools/cluster/podctl.py set-ready NAMESPACE POD true|false
        Write the pod's Ready condition through the status subresource, as a kubelet would when a
        readiness probe fails or passes (kwok sets Ready once, when it gives the pod its IP, and
        leaves it alone afterwards).
    python tests/tools/cluster/podctl.py evict NAMESPACE POD [--dry-run]
        POST an Eviction (what `kubectl drain` does). Prints {"allowed": bool, "status": code,
        "message": ...}; exit 0 either way (the caller asserts).
    python tests/tools/cluster/podctl.py create-pod NAMESPACE FILE.yaml
        Try to create a pod; prints {"created": bool, "status": code, "message": ...}.

Uses K8S_AUTH_KUBECONFIG.
"""
import argparse
import datetime
import json
import os
import sys
import time

import yaml
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def core():
    config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
    return client.CoreV1Api(), client.AppsV1Api()


def api_error_message(err):
    """The API server's own message of a refused request (its Status body), else the HTTP reason."""
    try:
        return json.loads(err.body).get("message", err.reason)
    except (TypeError, ValueError):
        return err.reason


def is_ready(pod):
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


def rollout_done(apps, namespace, name):
    sts = apps.read_namespaced_stateful_set(name, namespace)
    st = sts.status
    return (st.observed_generation == sts.metadata.generation
            and st.update_revision and st.current_revision == st.update_revision
            and (st.updated_replicas or 0) == sts.spec.replicas
            and (st.ready_replicas or 0) == sts.spec.replicas)


def watch_roll(args):
    api, apps = core()
    selector = ",".join(f"{k}={v}" for k, v in
                        apps.read_namespaced_stateful_set(args.statefulset, args.namespace).spec.selector.match_labels.items())
    start = time.time()
    events, ready_uid = [], {}
    pods = api.list_namespaced_pod(args.namespace, label_selector=selector)
    for pod in pods.items:
        ready_uid[pod.metadata.name] = pod.metadata.uid if is_ready(pod) else None
    resource_version = pods.metadata.resource_version
    with open(args.out + ".started", "w", encoding="utf-8") as handle:  # the caller may change things now
        handle.write(resource_version)
    seen_change = False
    deadline = start + args.timeout
    while time.time() < deadline:
        stream = watch.Watch().stream(api.list_namespaced_pod, args.namespace, label_selector=selector,
                                      resource_version=resource_version, timeout_seconds=5)
        for ev in stream:
            pod = ev["object"]
            resource_version = pod.metadata.resource_version
            name, uid = pod.metadata.name, pod.metadata.uid
            rev = (pod.metadata.labels or {}).get("controller-revision-hash", "")
            stamp = round(time.time() - start, 3)
            if ev["type"] == "DELETED" or pod.metadata.deletion_timestamp:
                if ready_uid.get(name) == uid or ev["type"] == "DELETED":
                    if not any(e["event"] == "deleted" and e["uid"] == uid for e in events):
                        events.append({"t": stamp, "pod": name, "event": "deleted", "uid": uid, "revision": rev,
                                       "was_ready": ready_uid.get(name) == uid})
                        seen_change = True
                ready_uid[name] = None
            elif is_ready(pod) and ready_uid.get(name) != uid:
                ready_uid[name] = uid
                events.append({"t": stamp, "pod": name, "event": "ready", "uid": uid, "revision": rev})
        if seen_change and rollout_done(apps, args.namespace, args.statefulset):
            break
    else:
        json.dump(events, sys.stdout)
        raise SystemExit(f"rollout of {args.namespace}/{args.statefulset} not complete after {args.timeout} s")
    result = {"events": events, "steps": roll_steps(events)}
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
    print(json.dumps(result))


def roll_steps(events):
    """One step per pod taken down: which pod came back Ready first before the next deletion (or the end).
    A replacement deleted before it was ever Ready, right after the pod of its name (the controller or the
    cluster replacing its own new pod; seen once on a loaded machine, cause not found), is no step of its own:
    it extends that pod's step and is listed under replaced_before_ready."""
    deletions = [i for i, e in enumerate(events) if e["event"] == "deleted"]
    steps = []
    for n, i in enumerate(deletions):
        end = deletions[n + 1] if n + 1 < len(deletions) else len(events)
        ready = [e["pod"] for e in events[i + 1:end] if e["event"] == "ready"]
        gone = events[i]
        if (steps and not gone.get("was_ready", True) and steps[-1]["deleted"] == gone["pod"]
                and steps[-1]["ready_before_next"] is None):
            steps[-1]["ready_before_next"] = ready[0] if ready else None
            steps[-1].setdefault("replaced_before_ready", []).append(gone["uid"])
            continue
        steps.append({"deleted": gone["pod"], "ready_before_next": ready[0] if ready else None})
    return steps


def set_ready(args):
    api, dummy = core()
    status = args.value == "true"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    pod = api.read_namespaced_pod_status(args.pod, args.namespace)
    conditions = []
    for cond in pod.status.conditions or []:
        item = {"type": cond.type, "status": cond.status}
        if cond.type in ("Ready", "ContainersReady"):
            item = {"type": cond.type, "status": "True" if status else "False", "lastTransitionTime": now}
        conditions.append(item)
    statuses = [{"name": c.name, "ready": status, "image": c.image, "imageID": c.image_id or "",
                 "restartCount": c.restart_count, "started": True,
                 "state": {"running": {"startedAt": now}}} for c in pod.status.container_statuses or []]
    api.patch_namespaced_pod_status(args.pod, args.namespace, {"status": {
        "conditions": conditions, "containerStatuses": statuses}})
    print(json.dumps({"pod": args.pod, "ready": status}))


def evict(args):
    api, dummy = core()
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name=args.pod, namespace=args.namespace),
                             delete_options=client.V1DeleteOptions(dry_run=["All"] if args.dry_run else None))
    try:
        api.create_namespaced_pod_eviction(args.pod, args.namespace, body)
        print(json.dumps({"allowed": True, "status": 201, "message": ""}))
    except ApiException as err:
        message = api_error_message(err)
        print(json.dumps({"allowed": False, "status": err.status, "message": message}))


def create_pod(args):
    api, dummy = core()
    with open(args.file, encoding="utf-8") as handle:
        body = yaml.safe_load(handle)
    try:
        api.create_namespaced_pod(args.namespace, body)
        print(json.dumps({"created": True, "status": 201, "message": ""}))
    except ApiException as err:
        message = api_error_message(err)
        print(json.dumps({"created": False, "status": err.status, "message": message}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("watch-roll")
    p.add_argument("namespace")
    p.add_argument("statefulset")
    p.add_argument("out")
    p.add_argument("--timeout", type=int, default=300)
    p = sub.add_parser("set-ready")
    p.add_argument("namespace")
    p.add_argument("pod")
    p.add_argument("value", choices=["true", "false"])
    p = sub.add_parser("evict")
    p.add_argument("namespace")
    p.add_argument("pod")
    p.add_argument("--dry-run", action="store_true")
    p = sub.add_parser("create-pod")
    p.add_argument("namespace")
    p.add_argument("file")
    args = parser.parse_args()
    {"watch-roll": watch_roll, "set-ready": set_ready, "evict": evict, "create-pod": create_pod}[args.cmd](args)


if __name__ == "__main__":
    main()
