# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline checks used by `make integration-server` (tests/tools/k8s_validate/checks.py) can fail."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from tests.tools.k8s_validate import checks  # noqa: E402  pylint: disable=wrong-import-position

SHARED = Path(os.environ.get("EDGEOPS_SHARED") or ROOT.parent / "shared")

GOOD_STS = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "nomad"},
    "spec": {"template": {"spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "nomad",
            "ports": [{"containerPort": 4646}],
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }],
        "volumes": [{"name": "config", "configMap": {"name": "c"}}, {"name": "tmp", "emptyDir": {}}],
    }}},
}


@pytest.fixture(scope="module")
def scc():
    return yaml.safe_load((SHARED / "schemas" / "scc-restricted-v2.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def crds():
    return checks.load_crds(str(SHARED / "schemas" / "crds"))


def test_good_pod_passes_restricted_v2(scc):
    assert checks.check_restricted_v2(GOOD_STS, scc) == []


@pytest.mark.parametrize("mutate,expected", [
    (lambda s: s["securityContext"].update(runAsUser=1000), "runAsUser is pinned"),
    (lambda s: s["securityContext"].update(fsGroup=1000), "fsGroup is pinned"),
    (lambda s: s["containers"][0]["securityContext"].update(allowPrivilegeEscalation=True), "allowPrivilegeEscalation"),
    (lambda s: s["containers"][0]["securityContext"]["capabilities"].update(drop=[]), "capabilities.drop"),
    (lambda s: s["containers"][0]["securityContext"]["capabilities"].update(add=["NET_ADMIN"]), "capabilities.add"),
    (lambda s: s["securityContext"].pop("seccompProfile"), "seccompProfile"),
    (lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "uses hostPath"),
    (lambda s: s.update(hostNetwork=True), "hostNetwork"),
    (lambda s: s["containers"][0]["ports"][0].update(hostPort=4646), "hostPort"),
])
def test_bad_pod_fails_restricted_v2(scc, mutate, expected):
    obj = copy.deepcopy(GOOD_STS)
    mutate(obj["spec"]["template"]["spec"])
    errors = checks.check_restricted_v2(obj, scc)
    assert any(expected in e for e in errors), errors


def test_custom_resource_checked_against_crd(crds):
    good = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "n"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "endpoints": [{"port": "http", "path": "/v1/metrics"}]}}
    assert checks.check_custom_resource(good, crds) == []
    typo = copy.deepcopy(good)
    typo["spec"]["endpoints"][0]["pathh"] = "/x"
    assert any("pathh" in e for e in checks.check_custom_resource(typo, crds))
    wrong_type = copy.deepcopy(good)
    wrong_type["spec"]["endpoints"] = "http"
    assert checks.check_custom_resource(wrong_type, crds)
    unknown = dict(good, apiVersion="monitoring.coreos.com/v9")
    assert checks.check_custom_resource(unknown, crds)


def test_vault_pki_secret_requires_mount_and_role(crds):
    obj = {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultPKISecret", "metadata": {"name": "n"},
           "spec": {"destination": {"name": "t"}, "mount": "pki"}}
    assert any("role" in e for e in checks.check_custom_resource(obj, crds))


def test_secret_in_configmap_is_found():
    cm = {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"server.hcl": 'server {\n  encrypt = "abc"\n}\n'}}
    assert checks.check_no_secrets_in_configmap(cm)
    cm["data"]["server.hcl"] = "server {\n  enabled = true\n}\n"
    assert checks.check_no_secrets_in_configmap(cm) == []


def _placed(kind, name):
    """A pod object of `kind` whose pod spec has the pull secret, placement and security context of the servers."""
    spec = {"automountServiceAccountToken": False,
            "imagePullSecrets": [{"name": "mirror-pull"}],
            "nodeSelector": {"node-role.kubernetes.io/infra": ""},
            "tolerations": [{"key": "node-role.kubernetes.io/infra", "operator": "Exists", "effect": "NoSchedule"}],
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c"}]}
    if kind == "CronJob":
        return {"kind": kind, "metadata": {"name": name}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}
    return {"kind": kind, "metadata": {"name": name}, "spec": {"template": {"spec": spec}}}


def test_pods_sharing_the_server_pod_fields_pass():
    sts = _placed("StatefulSet", "nomad")
    sts["spec"]["template"]["spec"]["securityContext"]["fsGroupChangePolicy"] = "OnRootMismatch"  # the servers' own
    objs = [sts, _placed("CronJob", "b"), _placed("Deployment", "a"), _placed("Job", "s")]
    assert checks.check_pods_share_common(objs) == []


# PodSpec.imagePullSecrets, nodeSelector and tolerations are read per pod (k8s.io/api core/v1 types.go, PodSpec):
# a backup pod without them cannot pull from the mirror or lands off the servers' nodes.
@pytest.mark.parametrize("kind", ["CronJob", "Deployment", "Job"])
@pytest.mark.parametrize("field", ["imagePullSecrets", "nodeSelector", "tolerations", "securityContext"])
def test_pod_missing_a_server_pod_field_is_found(kind, field):
    other = _placed(kind, "other")
    checks.pod_spec(other).pop(field)
    errors = checks.check_pods_share_common([_placed("StatefulSet", "nomad"), other])
    assert any(field in e and kind + "/other" in e for e in errors), errors
