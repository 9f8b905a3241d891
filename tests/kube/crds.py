"""Install the shared CRDs into the test API server (1.20), downgraded for it.

TEST-ONLY transformation: Kubernetes 1.20 has no CEL, so `x-kubernetes-validations` is
removed, and `default: ""` / `enum: [null]` (rejected by 1.20's structural-schema checks)
are dropped. Real clusters get the CRDs from their operators, unmodified.

    python tests/kube/crds.py install [DIR]   # DIR defaults to $EDGEOPS_SHARED/schemas/crds
    python tests/kube/crds.py print [DIR]     # show the transformed CRDs as YAML

Uses K8S_AUTH_KUBECONFIG (tests/kube/apiserver.sh env).
"""
import glob
import os
import sys
import time

import yaml


def downgrade(node):
    """Return a copy of a schema node without what 1.20 cannot take."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "x-kubernetes-validations":
                continue
            if key == "default" and value == "":
                continue
            if key == "enum" and value == [None]:
                continue
            out[key] = downgrade(value)
        return out
    if isinstance(node, list):
        return [downgrade(v) for v in node]
    return node


def load(crd_dir):
    crds = []
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    doc = downgrade(doc)
                    doc["metadata"] = {"name": doc["metadata"]["name"],
                                       "labels": {"edgeops.nomad/test-double": "downgraded-crd"}}
                    doc.pop("status", None)
                    crds.append(doc)
    return crds


def install(crds):
    from kubernetes import client, config, dynamic  # pylint: disable=import-outside-toplevel

    config.load_kube_config(config_file=os.environ["K8S_AUTH_KUBECONFIG"])
    api = dynamic.DynamicClient(client.ApiClient())
    res = api.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    for crd in crds:
        res.server_side_apply(body=crd, name=crd["metadata"]["name"], field_manager="edgeops-test-crds",
                              force_conflicts=True)
    deadline = time.time() + 60
    for crd in crds:
        name = crd["metadata"]["name"]
        while True:
            conds = (res.get(name=name).to_dict().get("status") or {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conds):
                break
            if time.time() > deadline:
                sys.exit("CRD %s not established after 60s" % name)
            time.sleep(0.2)
    print("installed %d CRDs: %s" % (len(crds), ", ".join(c["spec"]["names"]["kind"] for c in crds)))


def main(argv):
    if len(argv) < 2 or argv[1] not in ("install", "print"):
        sys.exit(__doc__)
    shared = os.environ.get("EDGEOPS_SHARED") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")
    crd_dir = argv[2] if len(argv) > 2 else os.path.join(shared, "schemas", "crds")
    crds = load(crd_dir)
    if not crds:
        sys.exit("no CRDs found in %s" % crd_dir)
    if argv[1] == "print":
        yaml.safe_dump_all(crds, sys.stdout, sort_keys=False)
    else:
        install(crds)


if __name__ == "__main__":
    main(sys.argv)
