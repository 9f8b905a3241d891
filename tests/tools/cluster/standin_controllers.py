"""TEST DOUBLES of two controllers a real cluster runs, in one process next to the test cluster.

1. OpenShift's namespace SCC allocation (cluster-policy-controller): every new namespace gets a
   UID range, supplemental groups and an MCS label (openshift.io/sa.scc.* annotations, which the
   restricted-v2 policy of scc_policy.py reads), and the Pod Security labels `restricted`
   (enforce, audit, warn) that this test bed requires. The cluster's own namespaces are left alone.

2. The Vault Secrets Operator: writes the destination Secret of every VaultPKISecret and
   VaultStaticSecret in the cluster, as the operator does once Vault answers.

3. A load balancer controller (as MetalLB or a cloud provider's): publishes status.loadBalancer.ingress of
   every Service of type LoadBalancer. The address is the annotation metallb.io/loadBalancerIPs (MetalLB's),
   else spec.loadBalancerIP, else the next free address of the pool 192.0.2.128/25 (kept per Service), and
   follows a changed annotation or loadBalancerIP as MetalLB does. Two annotations only this stand-in reads
   play what real load balancers do: edgeops.test/lb-delay-seconds: "N" publishes N seconds after the Service
   was created (a cloud load balancer assigns minutes later); edgeops.test/lb-refuse-protocols: "UDP" reports
   the Service's UDP ports as refused in ingress[].ports[].error (k8s.io/api/core/v1 PortStatus), as a load
   balancer that cannot serve TCP and UDP on one address does. No packet is routed: the addresses are status only.

No Vault runs here. The PKI Secret holds a throwaway self-signed certificate for the object's
commonName and altNames (type kubernetes.io/tls plus ca.crt); a static Secret holds one key per
transformation template, with placeholder text. What the role is tested for is the order: it
applies the VSO objects, waits for their Secrets, and only then the workload that mounts them.

    python tests/tools/cluster/standin_controllers.py   # runs until killed (started by cluster.sh up)
"""
import base64
import ipaddress
import os
import subprocess
import tempfile
import time

from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

GROUP = "secrets.hashicorp.com/v1beta1"
SYSTEM_NAMESPACES = {"kube-system", "kube-public", "kube-node-lease", "default"}
UID_ANNOTATION = "openshift.io/sa.scc.uid-range"
BLOCK = 10000
FIRST_UID = 1000000000


def allocate_namespaces(core):
    """Annotate namespaces as OpenShift's cluster-policy-controller does, sequential UID blocks."""
    namespaces = core.list_namespace().items
    used = []
    for ns in namespaces:
        value = (ns.metadata.annotations or {}).get(UID_ANNOTATION)
        if value:
            used.append(int(value.split("/")[0]))
    for ns in namespaces:
        name = ns.metadata.name
        if name in SYSTEM_NAMESPACES or (ns.metadata.annotations or {}).get(UID_ANNOTATION):
            continue
        if ns.status.phase == "Terminating":
            continue
        start = max(used) + BLOCK if used else FIRST_UID
        used.append(start)
        block = (start - FIRST_UID) // BLOCK
        patch = {"metadata": {
            "annotations": {UID_ANNOTATION: f"{start}/{BLOCK}",
                            "openshift.io/sa.scc.supplemental-groups": f"{start}/{BLOCK}",
                            "openshift.io/sa.scc.mcs": f"s0:c{block // 1024 + 1},c{block % 1024}"},
            "labels": {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}}}
        core.patch_namespace(name, patch)
        print(f"namespace {name}: UID range {start}/{BLOCK}, Pod Security restricted", flush=True)


def self_signed(common_name, alt_names):
    with tempfile.TemporaryDirectory() as tmp:
        key, crt = os.path.join(tmp, "tls.key"), os.path.join(tmp, "tls.crt")
        san = ",".join(f"DNS:{n}" for n in alt_names if n and not n[0].isdigit()) or f"DNS:{common_name}"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", f"/CN={common_name}", "-addext", f"subjectAltName={san}",
                        "-keyout", key, "-out", crt], check=True, capture_output=True)
        with open(key, "rb") as k, open(crt, "rb") as c:
            return k.read(), c.read()


def secret_for(kind, obj):
    spec = obj["spec"]
    dest = spec["destination"]
    # Like the operator, the object owns its Secret: the garbage collector removes the Secret once
    # the object is deleted.
    meta = {"name": dest["name"], "namespace": obj["metadata"]["namespace"],
            "labels": dict(dest.get("labels") or {}, **{"app.kubernetes.io/created-by": "vso-stand-in"}),
            "ownerReferences": [{"apiVersion": GROUP, "kind": kind, "name": obj["metadata"]["name"],
                                 "uid": obj["metadata"]["uid"], "controller": True}]}
    if kind == "VaultPKISecret":
        key, crt = self_signed(spec.get("commonName", "nomad"), spec.get("altNames") or [])
        # The keys the operator writes with format pem and type kubernetes.io/tls (issuing_ca is
        # what the role mounts as the CA).
        data = {"tls.key": key, "tls.crt": crt, "ca.crt": crt, "issuing_ca": crt}
        stype = "kubernetes.io/tls"
    else:
        templates = ((dest.get("transformation") or {}).get("templates") or {})
        data = {name: b"# written by the Vault Secrets Operator stand-in\n" for name in templates} or {"value": b"x"}
        stype = dest.get("type") or "Opaque"
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": stype,
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()}}


POOL = [str(ip) for ip in ipaddress.ip_network("192.0.2.128/25").hosts()]
LB_IPS_ANNOTATION = "metallb.io/loadBalancerIPs"
DELAY_ANNOTATION = "edgeops.test/lb-delay-seconds"
REFUSE_ANNOTATION = "edgeops.test/lb-refuse-protocols"


def desired_ingress(svc, assigned):
    """The ingress the load balancer publishes for a Service, or None while it has not assigned one yet."""
    meta, spec = svc.metadata, svc.spec
    notes = meta.annotations or {}
    delay = int(notes.get(DELAY_ANNOTATION, "0") or 0)
    if delay and time.time() - meta.creation_timestamp.timestamp() < delay:
        return None
    ips = [ip.strip() for ip in notes.get(LB_IPS_ANNOTATION, "").split(",") if ip.strip()]
    if not ips and spec.load_balancer_ip:
        ips = [spec.load_balancer_ip]
    if not ips:
        if meta.uid not in assigned:
            used = set(assigned.values())
            free = [ip for ip in POOL if ip not in used]
            if not free:
                return None
            assigned[meta.uid] = free[0]
        ips = [assigned[meta.uid]]
    refused = {p.strip().upper() for p in notes.get(REFUSE_ANNOTATION, "").split(",") if p.strip()}
    ports = [{"port": p.port, "protocol": p.protocol, "error": "edgeops.test/ProtocolNotSupported"}
             for p in spec.ports or [] if p.protocol in refused]
    return [dict({"ip": ip, "ipMode": "VIP"}, **({"ports": ports} if ports else {})) for ip in ips]


def publish_load_balancers(core, assigned):
    for svc in core.list_service_for_all_namespaces().items:
        if svc.spec.type != "LoadBalancer" or svc.metadata.deletion_timestamp:
            continue
        current = (svc.status.load_balancer.ingress or []) if svc.status and svc.status.load_balancer else []
        if svc.metadata.uid not in assigned and current and current[0].ip in POOL:
            assigned[svc.metadata.uid] = current[0].ip  # after a restart of this stand-in
        want = desired_ingress(svc, assigned)
        if want is None:
            continue
        have = [dict({"ip": i.ip, "ipMode": getattr(i, "ip_mode", None) or "VIP"},
                     **({"ports": [{"port": p.port, "protocol": p.protocol, "error": p.error} for p in i.ports]}
                        if i.ports else {})) for i in current]
        if have != want:
            try:
                core.patch_namespaced_service_status(svc.metadata.name, svc.metadata.namespace,
                                                     {"status": {"loadBalancer": {"ingress": want}}})
            except ApiException as err:  # deleted or changed meanwhile: the next pass sees it again
                print(f"service {svc.metadata.namespace}/{svc.metadata.name}: {err.status} {err.reason}", flush=True)
                continue
            print(f"service {svc.metadata.namespace}/{svc.metadata.name}: load balancer at "
                  f"{', '.join(i['ip'] for i in want)}", flush=True)


def main():
    config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
    api = client.ApiClient()
    core = client.CoreV1Api(api)
    dyn = dynamic.DynamicClient(api)
    kinds = [dyn.resources.get(api_version=GROUP, kind=k) for k in ("VaultPKISecret", "VaultStaticSecret")]
    assigned = {}
    while True:
        allocate_namespaces(core)
        publish_load_balancers(core, assigned)
        for res in kinds:
            for item in res.get().items:
                obj = item.to_dict()
                if (obj.get("spec") or {}).get("destination", {}).get("create") is False:
                    continue
                ns, name = obj["metadata"]["namespace"], obj["spec"]["destination"]["name"]
                try:
                    core.read_namespaced_secret(name, ns)
                except ApiException as err:
                    if err.status != 404:
                        raise
                    core.create_namespaced_secret(ns, secret_for(res.kind, obj))
                    print(f"wrote Secret {ns}/{name} for {res.kind} {obj['metadata']['name']}", flush=True)
        time.sleep(0.5)


if __name__ == "__main__":
    main()
