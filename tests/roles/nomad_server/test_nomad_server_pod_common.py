# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every pod the server role creates carries the pull secrets, placement and pod security context.

Kubernetes reads these per pod, not per namespace or per workload family (k8s.io/api core/v1
types.go, PodSpec: ImagePullSecrets, NodeSelector, Tolerations, SecurityContext): a snapshot agent
without imagePullSecrets cannot pull the Enterprise image from a private mirror even though the
servers can, and a backup or storage-check pod without the nodeSelector and tolerations is placed
off the nodes the servers use (or stays Pending when every node is tainted). OpenShift's
restricted-v2 SCC assigns runAsUser/fsGroup itself (openshift/cluster-kube-apiserver-operator,
bindata/bootkube/scc-manifests/0000_20_kube-apiserver-operator_00_scc-restricted-v2.yaml: runAsUser
MustRunAsRange, fsGroup MustRunAs), so on OpenShift no pod pins them.

The four pods: the StatefulSet, the CE backup CronJob, the Enterprise snapshot agent Deployment
(from the object list, tasks_from=objects_only) and the storage-check Job (tasks/storage_check.yml
applies it on its own, so it is rendered from the same template here).
"""

from __future__ import annotations

import json

import pytest

from _role_harness import ROOT, read_json, run_playbook
from _server_render import ENT, VALID

PLACEMENT = {
    "nomad_server_image_pull_secrets": ["mirror-pull", "mirror-pull-2"],
    "nomad_server_node_selector": {"node-role.kubernetes.io/infra": ""},
    "nomad_server_tolerations": [{"key": "node-role.kubernetes.io/infra", "operator": "Exists",
                                  "effect": "NoSchedule"}],
}
CASES = {
    "ce": {**VALID, **PLACEMENT, "nomad_server_backup_enabled": True},
    "ent": {**VALID, **ENT, **PLACEMENT, "nomad_server_backup_enabled": True},
    "ent_openshift": {**VALID, **ENT, **PLACEMENT, "nomad_server_backup_enabled": True,
                      "nomad_server_openshift": True},
    "plain": {**VALID},
}
JOB_TEMPLATE = str(ROOT / "roles" / "nomad_server" / "templates" / "job-storage-check.yaml.j2")


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    """{case: {kind: pod spec}} for the four pod kinds the role creates."""
    tmp = tmp_path_factory.mktemp("pod_common")
    plays = []
    for case_id, role_vars in CASES.items():
        plays.append({
            "name": "Render " + case_id, "hosts": "localhost", "gather_facts": False,
            "vars": dict(role_vars, nomad_server_render_dir=str(tmp / "render" / case_id)),
            "tasks": [
                {"name": "Build the object list", "ansible.builtin.include_role": {
                    "name": "edgeops.nomad.nomad_server", "tasks_from": "objects_only", "public": True}},
                {"name": "Record the objects and the storage-check Job", "ansible.builtin.copy": {
                    "dest": str(tmp / (case_id + ".json")), "mode": "0644",
                    "content": "{{ {'objects': __nomad_server_objects, 'job': lookup('ansible.builtin.template', '"
                               + JOB_TEMPLATE + "') | ansible.builtin.from_yaml} | to_json }}"}},
            ],
        })
    proc = run_playbook(tmp, plays, {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = {}
    for case_id in CASES:
        record = read_json(tmp / (case_id + ".json"))
        specs = {"Job": record["job"]["spec"]["template"]["spec"]}
        for obj in record["objects"]:
            if obj["kind"] == "CronJob":
                specs["CronJob"] = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            elif obj["kind"] in ("StatefulSet", "Deployment"):
                specs[obj["kind"]] = obj["spec"]["template"]["spec"]
        out[case_id] = specs
    return out


EXPECTED_KINDS = {"ce": {"StatefulSet", "CronJob", "Job"}, "ent": {"StatefulSet", "Deployment", "Job"},
                  "ent_openshift": {"StatefulSet", "Deployment", "Job"}, "plain": {"StatefulSet", "Job"}}


@pytest.mark.parametrize("case_id", ["ce", "ent", "ent_openshift"])
def test_every_pod_gets_the_pull_secrets_and_placement(pods, case_id):
    assert set(pods[case_id]) == EXPECTED_KINDS[case_id]
    for kind, spec in pods[case_id].items():
        assert spec.get("imagePullSecrets") == [{"name": "mirror-pull"}, {"name": "mirror-pull-2"}], kind
        assert spec.get("nodeSelector") == PLACEMENT["nomad_server_node_selector"], kind
        assert spec.get("tolerations") == PLACEMENT["nomad_server_tolerations"], kind


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_every_pod_has_the_server_pods_security_context(pods, case_id):
    server = dict(pods[case_id]["StatefulSet"]["securityContext"])
    # The servers' own: relabel the large Raft volume only when its root does not match.
    assert server.pop("fsGroupChangePolicy") == "OnRootMismatch"
    for kind, spec in pods[case_id].items():
        assert spec["automountServiceAccountToken"] is False, kind
        got = {k: v for k, v in spec["securityContext"].items() if k != "fsGroupChangePolicy"}
        assert got == server, kind
        assert got["runAsNonRoot"] is True and got["seccompProfile"] == {"type": "RuntimeDefault"}, kind
        pinned = {"runAsUser", "fsGroup"} & set(got)
        assert (not pinned) if case_id == "ent_openshift" else pinned == {"runAsUser", "fsGroup"}, (kind, got)


def test_no_empty_pull_secrets_or_placement_without_inputs(pods):
    for kind, spec in pods["plain"].items():
        present = {"imagePullSecrets", "nodeSelector", "tolerations"} & set(spec)
        assert not present, (kind, json.dumps(spec)[:300])
