"""Objects of the test cluster itself (not of the product), applied with server-side apply.

    python tests/tools/cluster/kube.py setup --crds DIR --scc FILE
        CRDs from DIR (unmodified: the cluster is current), the default StorageClass (the
        controller-manager's hostPath provisioner: PVCs bind without a kubelet), and the
        ValidatingAdmissionPolicy that enforces OpenShift's restricted-v2 SCC (generated from FILE
        by tests/tools/cluster/scc_policy.py).
    python tests/tools/cluster/kube.py layout zones|nozone|zones5
        Replace the fake nodes (kwok manages nodes annotated kwok.x-k8s.io/node=fake):
        zones   4 nodes over 3 zones (topology.kubernetes.io/zone, kubernetes.io/hostname)
        nozone  4 nodes without any zone label, as on many on-premises clusters
        zones5  the zones layout plus a fifth node (kwok-b2)
        Pods bound to removed nodes are deleted so their controllers recreate them.

    python tests/tools/cluster/kube.py tls-secret NAMESPACE NAME CA CERT KEY
        A kubernetes.io/tls Secret (with ca.crt) in NAMESPACE, created with the namespace if needed:
        what a user's cert-manager or PKI provides for the server role's default TLS source.

Uses K8S_AUTH_KUBECONFIG (tests/tools/cluster/cluster.sh env).
"""
import base64
import argparse
import glob
import os
import sys
import time

import yaml
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scc_policy  # noqa: E402  (a sibling module of this script)

FIELD_MANAGER = "edgeops-test-cluster"
NODE_ANNOTATION = "kwok.x-k8s.io/node"

LAYOUTS = {
    "zones": [("kwok-a1", "zone-a"), ("kwok-b1", "zone-b"), ("kwok-c1", "zone-c"), ("kwok-a2", "zone-a")],
    "nozone": [("kwok-n1", None), ("kwok-n2", None), ("kwok-n3", None), ("kwok-n4", None)],
    # zones plus a fifth node: five servers with required anti-affinity (a scale-down from 5 to 3)
    "zones5": [("kwok-a1", "zone-a"), ("kwok-b1", "zone-b"), ("kwok-c1", "zone-c"), ("kwok-a2", "zone-a"), ("kwok-b2", "zone-b")],
}


def api():
    config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
    return client.ApiClient()


def apply(dyn, obj):
    """Server-side apply of one object (created or updated, one field manager)."""
    resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    namespace = obj["metadata"].get("namespace")
    return resource.server_side_apply(
        body=obj, name=obj["metadata"]["name"], namespace=namespace,
        field_manager=FIELD_MANAGER, force_conflicts=True)


def wait_crds_established(ext, names, timeout=120):
    deadline = time.time() + timeout
    pending = set(names)
    while pending and time.time() < deadline:
        for name in sorted(pending):
            crd = ext.read_custom_resource_definition(name)
            conds = {c.type: c.status for c in (crd.status.conditions or [])}
            if conds.get("Established") == "True":
                pending.discard(name)
        if pending:
            time.sleep(0.5)
    if pending:
        raise SystemExit(f"CRDs not established after {timeout} s: {sorted(pending)}")


def wait_for_resource(dyn, api_version, kind, timeout=60):
    deadline = time.time() + timeout
    while True:
        try:
            dyn.resources.invalidate_cache()
            return dyn.resources.get(api_version=api_version, kind=kind)
        except Exception:  # discovery lags behind the CRD's Established condition
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def setup(args):
    api_client = api()
    dyn = dynamic.DynamicClient(api_client)
    names = []
    for path in sorted(glob.glob(os.path.join(args.crds, "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            for crd in yaml.safe_load_all(handle):
                if crd:
                    apply(dyn, crd)
                    names.append(crd["metadata"]["name"])
    wait_crds_established(client.ApiextensionsV1Api(api_client), names)
    for name in names:  # discovery knows every kind before the role asks for it
        group = name.split(".", 1)[1]
        crd = client.ApiextensionsV1Api(api_client).read_custom_resource_definition(name)
        version = next(v.name for v in crd.spec.versions if v.served)
        wait_for_resource(dyn, f"{group}/{version}", crd.spec.names.kind)
    if args.storage_class:
        apply(dyn, {
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard",
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            # kube-controller-manager --enable-hostpath-provisioner: real dynamic provisioning and
            # binding by the PV controller, directories under /tmp/hostpath_pv on this machine.
            "provisioner": "kubernetes.io/host-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "Immediate",
        })
    for obj in scc_policy.objects(args.scc):
        apply(dyn, obj)
    print(f"setup: {len(names)} CRDs, {'StorageClass standard (default), ' if args.storage_class else ''}"
          "ValidatingAdmissionPolicy restricted-v2")


def node_object(name, zone):
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "type": "kwok",
    }
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
        labels["topology.kubernetes.io/region"] = "region-1"
    allocatable = {"cpu": "16", "memory": "64Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels,
                     "annotations": {NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"}},
        "status": {"allocatable": allocatable, "capacity": allocatable},
    }


def layout(args):
    api_client = api()
    core = client.CoreV1Api(api_client)
    dyn = dynamic.DynamicClient(api_client)
    wanted = dict(LAYOUTS[args.layout])
    current = {n.metadata.name for n in core.list_node().items
               if (n.metadata.annotations or {}).get(NODE_ANNOTATION) == "fake"}
    for name in sorted(set(wanted) - current):
        dyn.resources.get(api_version="v1", kind="Node").create(body=node_object(name, wanted[name]))
    for name in sorted(current - set(wanted)):
        core.delete_node(name)
        # No kubelet will ever confirm these pods gone: delete them now (what pod GC does later).
        for pod in core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={name}").items:
            try:
                core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0)
            except ApiException as err:
                if err.status != 404:
                    raise
    deadline = time.time() + 60
    while True:
        ready = [n.metadata.name for n in core.list_node().items
                 if n.metadata.name in wanted and any(
                     c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))]
        if len(ready) == len(wanted):
            break
        if time.time() > deadline:
            raise SystemExit(f"nodes not Ready after 60 s (kwok running?): ready={sorted(ready)}")
        time.sleep(0.5)
    print(f"layout {args.layout}: " + ", ".join(
        f"{n}({z or 'no zone'})" for n, z in sorted(wanted.items())))


def tls_secret(args):
    dyn = dynamic.DynamicClient(api())
    apply(dyn, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.namespace}})

    def b64(path):
        with open(path, "rb") as handle:
            return base64.b64encode(handle.read()).decode()
    apply(dyn, {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                "metadata": {"name": args.name, "namespace": args.namespace},
                "data": {"ca.crt": b64(args.ca), "tls.crt": b64(args.cert), "tls.key": b64(args.key)}})
    print(f"tls-secret {args.namespace}/{args.name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_setup = sub.add_parser("setup")
    p_setup.add_argument("--crds", required=True)
    p_setup.add_argument("--scc", required=True)
    p_setup.add_argument("--no-storage-class", dest="storage_class", action="store_false",
                         help="keep the cluster's own default StorageClass (kind)")
    p_layout = sub.add_parser("layout")
    p_layout.add_argument("layout", choices=sorted(LAYOUTS))
    p_tls = sub.add_parser("tls-secret")
    for name in ("namespace", "name", "ca", "cert", "key"):
        p_tls.add_argument(name)
    args = parser.parse_args()
    {"setup": setup, "layout": layout, "tls-secret": tls_secret}[args.cmd](args)


if __name__ == "__main__":
    main()
