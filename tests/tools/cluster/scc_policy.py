"""OpenShift's restricted-v2 SCC as a ValidatingAdmissionPolicy (CEL) for the test cluster.

OpenShift's SCC admission (openshift/apiserver-library-go, pkg/securitycontextconstraints) both
mutates and validates: it fills in a UID from the namespace's range, drops ALL capabilities and
sets seccomp when a pod leaves them unset, and refuses what the SCC forbids. A
ValidatingAdmissionPolicy can only refuse, so this policy enforces every refusal of the SCC and
leaves the defaults alone (Pod Security `restricted`, also on here, requires them explicitly):

- host network, PID, IPC and host ports off; no privileged container; no privilege escalation;
- added capabilities within allowedCapabilities;
- runAsUser (pod and containers) inside the namespace annotation openshift.io/sa.scc.uid-range
  (MustRunAsRange: without the annotation OpenShift refuses every pod), fsGroup inside
  openshift.io/sa.scc.supplemental-groups (MustRunAs), SELinux level equal to openshift.io/sa.scc.mcs;
- seccomp profiles within seccompProfiles (runtime/default = RuntimeDefault);
- volume types within `volumes`.

The rules are generated from the SCC object itself, so the data decides, not this file.

    python tests/tools/cluster/scc_policy.py SCC.yaml     # print the policy and its binding
"""
import sys

import yaml

POLICY = "edgeops-test-scc-restricted-v2"

# Every volume source of core/v1 PodSpec.volumes (Kubernetes 1.34), by field name; SCC volume
# names are the same field names.
VOLUME_SOURCES = [
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "configMap", "csi",
    "downwardAPI", "emptyDir", "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk",
    "gitRepo", "glusterfs", "hostPath", "image", "iscsi", "nfs", "persistentVolumeClaim",
    "photonPersistentDisk", "portworxVolume", "projected", "quobyte", "rbd", "scaleIO", "secret",
    "storageos", "vsphereVolume",
]
SECCOMP = {"runtime/default": "RuntimeDefault", "docker/default": "RuntimeDefault", "unconfined": "Unconfined"}

SC = "c.securityContext"


def _unset_or(path, expr):
    """CEL: `path` absent, or `expr` holds; path is a dotted field chain under a variable."""
    parts = path.split(".")
    guards = [f"has({'.'.join(parts[:i + 1])})" for i in range(1, len(parts))]
    return f"(!({' && '.join(guards)}) || {expr})"


def _range(annotation):
    ann = "namespaceObject.metadata.annotations"
    return (f"(has(namespaceObject.metadata.annotations) && '{annotation}' in {ann} ? "
            f"{ann}['{annotation}'].split('/') : ['-1', '0'])")


def validations(scc):
    rules = []

    def rule(expression, message):
        rules.append({"expression": expression, "message": f"restricted-v2: {message}"})

    for field, flag in (("hostNetwork", "allowHostNetwork"), ("hostPID", "allowHostPID"),
                        ("hostIPC", "allowHostIPC")):
        if not scc.get(flag):
            rule(f"!has(object.spec.{field}) || !object.spec.{field}", f"{field} is not allowed ({flag}: false)")
    containers = "variables.containers"
    if not scc.get("allowPrivilegedContainer"):
        rule(f"{containers}.all(c, {_unset_or(SC + '.privileged', '!' + SC + '.privileged')})",
             "privileged containers are not allowed")
    if not scc.get("allowPrivilegeEscalation", True):
        rule(f"{containers}.all(c, {_unset_or(SC + '.allowPrivilegeEscalation', '!' + SC + '.allowPrivilegeEscalation')})",
             "allowPrivilegeEscalation must be false")
    allowed_caps = scc.get("allowedCapabilities") or []
    rule(f"{containers}.all(c, {_unset_or(SC + '.capabilities.add', SC + '.capabilities.add.all(a, a in ' + repr(allowed_caps) + ')')})",
         f"capabilities may only be added from {allowed_caps}")
    if not scc.get("allowHostPorts"):
        rule(f"{containers}.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))",
             "host ports are not allowed (allowHostPorts: false)")
    if (scc.get("runAsUser") or {}).get("type") == "MustRunAsRange":
        def in_range(field):
            return f"({field} >= variables.uidMin && {field} <= variables.uidMax)"
        rule("variables.uidMin >= 0",
             "the namespace has no openshift.io/sa.scc.uid-range annotation (MustRunAsRange needs it)")
        pod_uid = "object.spec.securityContext.runAsUser"
        rule(f"!has(object.spec.securityContext) || !has({pod_uid}) || {in_range(pod_uid)}",
             "pod runAsUser is outside the namespace's openshift.io/sa.scc.uid-range")
        rule(f"{containers}.all(c, {_unset_or(SC + '.runAsUser', in_range(SC + '.runAsUser'))})",
             "container runAsUser is outside the namespace's openshift.io/sa.scc.uid-range")
    if (scc.get("fsGroup") or {}).get("type") == "MustRunAs":
        rule("!has(object.spec.securityContext) || !has(object.spec.securityContext.fsGroup) || "
             "(object.spec.securityContext.fsGroup >= variables.gidMin && object.spec.securityContext.fsGroup <= variables.gidMax)",
             "fsGroup is outside the namespace's openshift.io/sa.scc.supplemental-groups")
    if (scc.get("seLinuxContext") or {}).get("type") == "MustRunAs":
        mcs = ("(has(namespaceObject.metadata.annotations) && 'openshift.io/sa.scc.mcs' in namespaceObject.metadata.annotations "
               "? namespaceObject.metadata.annotations['openshift.io/sa.scc.mcs'] : '')")
        rule("!has(object.spec.securityContext) || !has(object.spec.securityContext.seLinuxOptions) || "
             f"!has(object.spec.securityContext.seLinuxOptions.level) || object.spec.securityContext.seLinuxOptions.level == {mcs}",
             "pod SELinux level differs from the namespace's openshift.io/sa.scc.mcs")
        rule(f"{containers}.all(c, {_unset_or(SC + '.seLinuxOptions.level', SC + '.seLinuxOptions.level == ' + mcs)})",
             "container SELinux level differs from the namespace's openshift.io/sa.scc.mcs")
    profiles = sorted({SECCOMP.get(p, p) for p in scc.get("seccompProfiles") or []})
    if profiles and "*" not in profiles:
        rule("!has(object.spec.securityContext) || !has(object.spec.securityContext.seccompProfile) || "
             f"object.spec.securityContext.seccompProfile.type in {profiles!r}",
             f"pod seccomp profile must be one of {profiles}")
        rule(f"{containers}.all(c, {_unset_or(SC + '.seccompProfile', SC + '.seccompProfile.type in ' + repr(profiles))})",
             f"container seccomp profile must be one of {profiles}")
    allowed_volumes = scc.get("volumes") or []
    if "*" not in allowed_volumes:
        forbidden = [v for v in VOLUME_SOURCES if v not in allowed_volumes]
        rule("!has(object.spec.volumes) || object.spec.volumes.all(v, "
             + " && ".join(f"!has(v.{v})" for v in forbidden) + ")",
             f"volume types are limited to {sorted(allowed_volumes)}")
    return rules


def objects(path):
    with open(path, encoding="utf-8") as handle:
        scc = yaml.safe_load(handle)
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": POLICY},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]},
            "variables": [
                {"name": "containers", "expression":
                    "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])"},
                {"name": "uidRange", "expression": _range("openshift.io/sa.scc.uid-range")},
                {"name": "uidMin", "expression": "int(variables.uidRange[0])"},
                {"name": "uidMax", "expression": "int(variables.uidRange[0]) + int(variables.uidRange[1]) - 1"},
                {"name": "gidRange", "expression": _range("openshift.io/sa.scc.supplemental-groups")},
                {"name": "gidMin", "expression": "int(variables.gidRange[0])"},
                {"name": "gidMax", "expression": "int(variables.gidRange[0]) + int(variables.gidRange[1]) - 1"},
            ],
            "validations": validations(scc),
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": POLICY},
        "spec": {
            "policyName": POLICY,
            "validationActions": ["Deny"],
            # OpenShift applies SCCs to every user namespace; the cluster's own are left out.
            "matchResources": {"namespaceSelector": {"matchExpressions": [{
                "key": "kubernetes.io/metadata.name", "operator": "NotIn",
                "values": ["kube-system", "kube-public", "kube-node-lease", "default"]}]}},
        },
    }
    return [policy, binding]


if __name__ == "__main__":
    yaml.safe_dump_all(objects(sys.argv[1]), sys.stdout, sort_keys=False)
