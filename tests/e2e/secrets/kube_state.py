"""Test-side reads and writes on the test cluster for tests/e2e/secrets/ (K8S_AUTH_KUBECONFIG).

    python tests/e2e/secrets/kube_state.py license-secret NAMESPACE NAME FILE
        an Opaque Secret holding license.hclic = FILE's content (the user's Enterprise license Secret)
    python tests/e2e/secrets/kube_state.py generated NAMESPACE GOSSIP_SECRET ACL_SECRET
        the generated secrets as JSON {"gossip_key": ..., "acl_bootstrap_secret": ...}, read from
        where the playbook stored them (for the leak scan)
    python tests/e2e/secrets/kube_state.py snapshot NAMESPACE
        JSON of every object of the namespace the role owns: kind/name -> resourceVersion, field
        managers, and a digest of the content (data, spec, labels, annotations) for before/after checks
    python tests/e2e/secrets/kube_state.py gone NAMESPACE
        delete the namespace of an earlier run and wait (120 s at most) until it is gone
    python tests/e2e/secrets/kube_state.py secret-modes NAMESPACE STATEFULSET
        exit 1 unless every Secret volume of the StatefulSet has a defaultMode without write or other bits
"""
import base64
import hashlib
import json
import os
import re
import sys
import time
import warnings

from kubernetes import client, config


def api():
    warnings.filterwarnings("ignore")
    config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
    return client.CoreV1Api(), client.AppsV1Api()


def license_secret(namespace, name, path):
    core = api()[0]
    with open(path, "rb") as handle:
        body = client.V1Secret(metadata=client.V1ObjectMeta(name=name, namespace=namespace), type="Opaque",
                               data={"license.hclic": base64.b64encode(handle.read()).decode()})
    try:
        core.create_namespaced_secret(namespace, body)
    except client.ApiException as err:
        if err.status != 409:
            raise
        core.replace_namespaced_secret(name, namespace, body)


def generated(namespace, gossip_name, acl_name):
    core = api()[0]
    hcl = base64.b64decode(core.read_namespaced_secret(gossip_name, namespace).data["gossip.hcl"]).decode()
    match = re.search(r'encrypt\s*=\s*"([^"]+)"', hcl)
    acl = core.read_namespaced_secret(acl_name, namespace).data["secret_id"]
    print(json.dumps({"gossip_key": match.group(1) if match else "",
                      "acl_bootstrap_secret": base64.b64decode(acl).decode()}))


def snapshot(namespace):
    core, apps = api()
    found = {}
    lists = {"Secret": core.list_namespaced_secret, "ConfigMap": core.list_namespaced_config_map,
             "Service": core.list_namespaced_service, "ServiceAccount": core.list_namespaced_service_account,
             "StatefulSet": apps.list_namespaced_stateful_set}
    for kind, lister in lists.items():
        for obj in lister(namespace).items:
            meta = obj.metadata
            # the role's objects, and every Secret (the user's license and TLS Secrets too)
            if kind != "Secret" and (meta.labels or {}).get("app.kubernetes.io/managed-by") != "edgeops.nomad":
                continue
            if kind == "Secret" and obj.type == "kubernetes.io/service-account-token":
                continue
            full = client.ApiClient().sanitize_for_serialization(obj)
            content = {k: full.get(k) for k in ("data", "spec")}
            content["labels"], content["annotations"] = meta.labels, meta.annotations
            if kind == "Service":  # allocated by the API server
                content["spec"] = {k: v for k, v in content["spec"].items() if k not in ("clusterIP", "clusterIPs")}
            digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]
            managers = sorted({m.manager for m in meta.managed_fields or [] if m.operation == "Apply"})
            found[f"{kind}/{meta.name}"] = {"resourceVersion": meta.resource_version, "digest": digest,
                                            "appliers": managers}
    print(json.dumps(found, indent=1, sort_keys=True))


def secret_modes(namespace, name):
    apps = api()[1]
    sts = apps.read_namespaced_stateful_set(name, namespace)
    bad = []
    for vol in sts.spec.template.spec.volumes or []:
        if vol.secret is not None:
            mode = vol.secret.default_mode if vol.secret.default_mode is not None else 0o644
            print(f"secret volume {vol.name}: Secret {vol.secret.secret_name}, defaultMode {mode:04o}")
            if mode & 0o027:  # nothing for others, no write for the group
                bad.append(vol.name)
    if bad:
        print(f"secret volumes readable by others or writable: {', '.join(bad)}")
    return 1 if bad else 0


def gone(namespace):
    core = api()[0]
    try:
        core.delete_namespace(namespace)
    except client.ApiException as err:
        if err.status != 404:
            raise
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            core.read_namespace(namespace)
        except client.ApiException as err:
            if err.status == 404:
                return 0
            raise
        time.sleep(0.5)
    print(f"namespace {namespace} still there after 120 s")
    return 1


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "license-secret":
        license_secret(*args)
    elif cmd == "generated":
        generated(*args)
    elif cmd == "snapshot":
        snapshot(*args)
    elif cmd == "gone":
        return gone(*args)
    elif cmd == "secret-modes":
        return secret_modes(*args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
