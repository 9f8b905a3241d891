"""Checks on rendered Kubernetes objects that need no cluster.

* custom resources against their CRD's openAPIV3Schema (made strict: unknown fields fail);
* pod specs against the rules of OpenShift's restricted-v2 SCC;
* every pod of one render shares the StatefulSet's pull secrets, placement and pod security context;
* secrets never in ConfigMaps.

Each function returns a list of error strings (empty: fine), so tests can feed bad objects.
"""
import copy
import glob
import os

import jsonschema
import yaml

POD_KINDS = {"StatefulSet", "Deployment", "Job", "CronJob", "DaemonSet", "Pod"}
# Volume source field -> SCC volume type name.
VOLUME_TYPES = {
    "configMap": "configMap", "secret": "secret", "persistentVolumeClaim": "persistentVolumeClaim",
    "emptyDir": "emptyDir", "projected": "projected", "downwardAPI": "downwardAPI", "csi": "csi",
    "ephemeral": "ephemeral", "hostPath": "hostPath", "nfs": "nfs",
}


def load_crds(crd_dir):
    """Map (group, version, kind) -> openAPIV3Schema for every CRD file in crd_dir."""
    out = {}
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for version in spec["versions"]:
                    key = (spec["group"], version["name"], spec["names"]["kind"])
                    out[key] = version["schema"]["openAPIV3Schema"]
    return out


def strict_schema(node):
    """Translate a structural OpenAPI v3 schema into a strict JSON schema."""
    if isinstance(node, list):
        return [strict_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = copy.copy(node)
    for key in ("x-kubernetes-validations", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
                "x-kubernetes-map-type", "x-kubernetes-embedded-resource", "format"):
        node.pop(key, None)
    preserve = node.pop("x-kubernetes-preserve-unknown-fields", False)
    if node.pop("x-kubernetes-int-or-string", False):
        node.pop("type", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    nullable = node.pop("nullable", False)
    if "properties" in node:
        node["properties"] = {k: strict_schema(v) for k, v in node["properties"].items()}
        if not preserve and "additionalProperties" not in node:
            node["additionalProperties"] = False
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = strict_schema(node["additionalProperties"])
    for key in ("items", "anyOf", "allOf", "oneOf", "not"):
        if key in node:
            node[key] = strict_schema(node[key])
    if nullable and "type" in node:
        node["type"] = [node["type"], "null"]
        if "enum" in node:
            node["enum"] = list(node["enum"]) + [None]
    return node


def check_custom_resource(obj, crds):
    group, version = obj["apiVersion"].rpartition("/")[::2]
    schema = crds.get((group, version, obj["kind"]))
    where = "%s/%s" % (obj["kind"], obj.get("metadata", {}).get("name"))
    if schema is None:
        return ["%s: no CRD for %s %s" % (where, obj["apiVersion"], obj["kind"])]
    schema = strict_schema(schema)
    # metadata is validated by the API server itself, not by the CRD schema.
    schema.get("properties", {}).pop("metadata", None)
    schema.setdefault("properties", {})["metadata"] = {"type": "object"}
    validator = jsonschema.Draft7Validator(schema)
    return ["%s: %s at %s" % (where, err.message, "/".join(str(p) for p in err.absolute_path))
            for err in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))]


def pod_spec(obj):
    kind = obj["kind"]
    if kind == "Pod":
        return obj["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def check_restricted_v2(obj, scc):
    """Errors if the pod template would not be admitted by restricted-v2 (or would need a pinned UID)."""
    where = "%s/%s" % (obj["kind"], obj["metadata"]["name"])
    spec = pod_spec(obj)
    errors = []
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            errors.append("%s: %s is not allowed" % (where, field))
    psc = spec.get("securityContext") or {}
    for field in ("runAsUser", "fsGroup"):
        if field in psc:
            errors.append("%s: pod securityContext.%s is pinned (restricted-v2 assigns it)" % (where, field))
    allowed_volumes = set(scc["volumes"])
    for vol in spec.get("volumes") or []:
        kinds = [VOLUME_TYPES.get(k, k) for k in vol if k != "name"]
        for kind in kinds:
            if kind not in allowed_volumes:
                errors.append("%s: volume %s uses %s, not allowed" % (where, vol["name"], kind))
    allowed_add = set(scc.get("allowedCapabilities") or [])
    required_drop = set(scc.get("requiredDropCapabilities") or [])
    seccomp_pod = (psc.get("seccompProfile") or {}).get("type")
    for ctr in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        cwhere = "%s container %s" % (where, ctr["name"])
        csc = ctr.get("securityContext") or {}
        if csc.get("privileged"):
            errors.append("%s: privileged" % cwhere)
        if csc.get("allowPrivilegeEscalation") is not False:
            errors.append("%s: allowPrivilegeEscalation must be false" % cwhere)
        if "runAsUser" in csc:
            errors.append("%s: runAsUser is pinned" % cwhere)
        caps = csc.get("capabilities") or {}
        if not required_drop.issubset(set(caps.get("drop") or [])):
            errors.append("%s: capabilities.drop must contain %s" % (cwhere, sorted(required_drop)))
        extra = set(caps.get("add") or []) - allowed_add
        if extra:
            errors.append("%s: capabilities.add %s not allowed" % (cwhere, sorted(extra)))
        seccomp = (csc.get("seccompProfile") or {}).get("type") or seccomp_pod
        if seccomp != "RuntimeDefault":
            errors.append("%s: seccompProfile must be RuntimeDefault" % cwhere)
        for port in ctr.get("ports") or []:
            if "hostPort" in port:
                errors.append("%s: hostPort not allowed" % cwhere)
    return errors


# What every pod the role creates must carry like the server pods. Kubernetes reads each field per pod
# (k8s.io/api core/v1 types.go, PodSpec: ImagePullSecrets, NodeSelector, Tolerations, SecurityContext):
# a pod without imagePullSecrets cannot pull from a private mirror, one without the nodeSelector and
# tolerations lands outside the nodes the servers were placed on (or stays Pending on tainted ones), and
# restricted-v2 (OpenShift) admits only the pod security context the role chose once.
SHARED_POD_FIELDS = ("imagePullSecrets", "nodeSelector", "tolerations", "securityContext",
                     "automountServiceAccountToken")
# Per-pod by design: the server pods relabel their large Raft volume only on mismatch.
POD_OWN_SECURITY = ("fsGroupChangePolicy",)


def check_pods_share_common(objs):
    """Errors for every pod template of a render set that differs from the StatefulSet's in SHARED_POD_FIELDS."""
    pods = [obj for obj in objs if obj["kind"] in POD_KINDS]
    servers = [obj for obj in pods if obj["kind"] == "StatefulSet"]
    if not servers:
        return []

    def shared(obj):
        spec = pod_spec(obj)
        out = {field: spec.get(field) for field in SHARED_POD_FIELDS}
        out["securityContext"] = {k: v for k, v in (out["securityContext"] or {}).items() if k not in POD_OWN_SECURITY}
        return out

    want = shared(servers[0])
    errors = []
    for obj in pods:
        got = shared(obj)
        for field in SHARED_POD_FIELDS:
            if got[field] != want[field]:
                errors.append("%s/%s: pod %s is %r, the server pods have %r"
                              % (obj["kind"], obj["metadata"]["name"], field, got[field], want[field]))
    return errors


SECRET_MARKERS = ("encrypt", "replication_token", "license =", "BEGIN RSA PRIVATE", "BEGIN PRIVATE KEY")


def check_no_secrets_in_configmap(obj):
    if obj["kind"] != "ConfigMap":
        return []
    errors = []
    for key, value in (obj.get("data") or {}).items():
        for marker in SECRET_MARKERS:
            if marker in str(value):
                errors.append("ConfigMap/%s: key %s contains %r (secrets belong in Secrets)"
                              % (obj["metadata"]["name"], key, marker))
    return errors
