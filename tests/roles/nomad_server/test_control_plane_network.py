# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edgeops.nomad.nomad_server on a real OpenShift/Kubernetes: the rendered objects held against
Kubernetes' and Nomad's rules.

Everything is rendered by the role itself (tasks_from=objects_only, one ansible-playbook run for all
cases, see _server_render.py); the rules the objects must satisfy are evaluated here in Python:
NetworkPolicy admission (networking.k8s.io/v1 semantics), the scheduler's PodTopologySpread filter,
the Nomad agent's RPC port rule, and the redundancy-zone init script run under /bin/sh.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
from _server_render import ENT, one, render  # noqa: E402  pylint: disable=wrong-import-position
from tests.tools.nomad_schema import hclload  # noqa: E402  pylint: disable=wrong-import-position

# The role as installed for ansible-playbook (the same tree the rendering tests run).
ROLE_DIR = Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections")).split(":")[0]) \
    / "ansible_collections" / "edgeops" / "nomad" / "roles" / "nomad_server"

OPENSHIFT_TLS = {"nomad_server_openshift": True, "nomad_server_tls_source": "secret", "nomad_server_tls_secret_name": "nomad-tls",
                 "nomad_server_tls_verify_https_client": False}
VAULT = {"nomad_server_tls_source": "vault", "nomad_server_gossip_key_source": "vault",
         "nomad_server_vault_address": "https://vault.example.test:8200", "nomad_server_vault_auth_role": "nomad-server",
         "nomad_server_vault_pki_role": "nomad-server", "nomad_server_vault_kv_path": "nomad/prod"}

CASES = {
    # Only what the role requires (VALID in _server_render.py): everything else at its default.
    "defaults": {},
    "cidrs": {"nomad_server_edge_cidrs": ["198.51.100.0/24"]},
    "nodeport": {"nomad_server_edge_service_type": "NodePort"},
    "enterprise": {**ENT, "nomad_server_backup_enabled": True, "nomad_server_backup_s3_bucket": "b",
                   "nomad_server_backup_s3_region": "r"},
    "enterprise_zones": {**ENT, "nomad_server_redundancy_zones": True},
    "vault": {**VAULT, **ENT, "nomad_server_license_source": "vault"},
    "openshift_monitoring": {**OPENSHIFT_TLS, "nomad_server_route_enabled": True, "nomad_server_route_termination": "reencrypt",
                             "nomad_server_route_destination_ca_certificate": "-----BEGIN CERTIFICATE-----\nstand-in\n",
                             "nomad_server_servicemonitor_enabled": True, "nomad_server_prometheusrule_enabled": True,
                             "nomad_server_backup_enabled": True},
    "dev_single": {"nomad_server_replicas": 1, "nomad_server_dev_mode": True},
    "nomad_1_10": {"nomad_server_version": "1.10.5"},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = render(tmp_path_factory.mktemp("control_plane_network"), CASES)
    for case_id, objs in out.items():
        assert isinstance(objs, list), "%s: %s" % (case_id, objs)
    return out


def server_hcl(objs):
    for obj in objs:
        if obj["kind"] == "ConfigMap" and "server.hcl" in obj.get("data", {}):
            return hclload.to_plain(hclload.loads(obj["data"]["server.hcl"]))
    raise AssertionError("no server.hcl")


def pod_spec(objs):
    return one(objs, "StatefulSet")["spec"]["template"]["spec"]


def nomad_container(objs):
    return next(c for c in pod_spec(objs)["containers"] if c["name"] == "nomad")


# --- NetworkPolicy evaluation (networking.k8s.io/v1): a peer list that is absent or empty admits
# every source; ipBlock matches cluster-external addresses; namespaceSelector matches namespace labels.
def _selector_matches(selector, labels):
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        present = expr["key"] in labels
        value = labels.get(expr["key"])
        op = expr["operator"]
        if (op == "In" and value not in expr["values"]) or (op == "NotIn" and value in expr["values"]) \
                or (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def _peer_admits(peer, source):
    if "ipBlock" in peer:
        if "ip" not in source:
            return False
        net = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        addr = ipaddress.ip_address(source["ip"])
        excepts = [ipaddress.ip_network(e) for e in peer["ipBlock"].get("except") or []]
        return addr in net and not any(addr in e for e in excepts)
    if "namespace" not in source:
        return False  # pod/namespace selectors never match a cluster-external address
    ns_ok = _selector_matches(peer["namespaceSelector"], source["namespace_labels"]) if "namespaceSelector" in peer \
        else source["namespace"] == "nomad"
    pod_ok = _selector_matches(peer["podSelector"], source.get("pod_labels", {})) if "podSelector" in peer else True
    return ns_ok and pod_ok


def admitted(netpol, source, port, protocol="TCP"):
    for rule in netpol["spec"].get("ingress") or []:
        ports = rule.get("ports")
        if ports and not any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports):
            continue
        peers = rule.get("from")
        if not peers or any(_peer_admits(peer, source) for peer in peers):
            return True
    return False


def edge_client(ip):
    return {"ip": ip}


def namespace_pod(name, extra_labels=None):
    return {"namespace": name, "namespace_labels": {"kubernetes.io/metadata.name": name, **(extra_labels or {})},
            "pod_labels": {"app": "x"}}


def test_networkpolicy_evaluator_can_refuse():
    netpol = {"spec": {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 4647}]}]}}
    assert admitted(netpol, edge_client("10.1.2.3"), 4647)
    assert not admitted(netpol, edge_client("192.0.2.1"), 4647)
    assert not admitted(netpol, edge_client("10.1.2.3"), 4646)
    assert not admitted(netpol, namespace_pod("other"), 4647)


# --- The default deployment admits edge clients on RPC ----------------------------------
def test_default_networkpolicy_admits_edge_rpc_from_anywhere(rendered):
    objs = rendered["defaults"]
    netpol = one(objs, "NetworkPolicy")
    rpc = int(server_hcl(objs).get("ports", {}).get("rpc", 4647))
    assert admitted(netpol, edge_client("203.0.113.77"), rpc), netpol["spec"]["ingress"]
    # ...but not Serf or HTTP from outside
    assert not admitted(netpol, edge_client("203.0.113.77"), 4648)
    assert not admitted(netpol, edge_client("203.0.113.77"), 4646)


def test_cidrs_keep_the_source_address_and_filter_by_it(rendered):
    objs = rendered["cidrs"]
    netpol = one(objs, "NetworkPolicy")
    edge = one(objs, "Service", "nomad-edge")
    # externalTrafficPolicy Cluster SNATs the client to a node address: the ipBlock would never match.
    assert edge["spec"]["externalTrafficPolicy"] == "Local"
    assert admitted(netpol, edge_client("198.51.100.9"), 4647)
    assert not admitted(netpol, edge_client("203.0.113.77"), 4647)


# --- The advertised RPC port is the port the servers listen on ---------------------------
@pytest.mark.parametrize("case_id", ["defaults", "nodeport"])
def test_advertised_rpc_port_is_the_listening_port(rendered, case_id):
    """Servers dial each other at their serf IP plus the port of advertise.rpc (command/agent/agent.go
    setupServer -> ServerRPCAdvertise; nomad/peers/peers.go; nomad/leader.go addRaftPeer): that port must
    be the one every server listens on (ports.rpc, the container port), and the edge Service must carry
    clients to it on that same port."""
    objs = rendered[case_id]
    conf = server_hcl(objs)
    advertised = int(conf["advertise"]["rpc"].rsplit(":", 1)[1])
    listening = int(conf.get("ports", {}).get("rpc", 4647))
    assert advertised == listening
    container_port = next(p["containerPort"] for p in nomad_container(objs)["ports"] if p["name"] == "rpc")
    assert container_port == listening
    edge = one(objs, "Service", "nomad-edge")
    rpc = next(p for p in edge["spec"]["ports"] if p["name"] == "rpc")
    reached = rpc["nodePort"] if edge["spec"]["type"] == "NodePort" else rpc["port"]
    assert reached == advertised, edge["spec"]
    headless = one(objs, "Service", "nomad-headless")
    assert any(p.get("targetPort", p["port"]) in (listening, "rpc") for p in headless["spec"]["ports"])
    assert admitted(one(objs, "NetworkPolicy"), edge_client("203.0.113.77"), listening)


# --- Enterprise runs the Enterprise image --------------------------------------------------
def test_enterprise_uses_the_enterprise_image(rendered):
    objs = rendered["enterprise"]
    images = [c["image"] for o in objs if o["kind"] in ("StatefulSet", "Deployment")
              for c in o["spec"]["template"]["spec"]["containers"] + o["spec"]["template"]["spec"].get("initContainers", [])]
    assert images and all(i == "docker.io/hashicorp/nomad-enterprise:2.0.5-ent" for i in images), images
    assert nomad_container(rendered["defaults"])["image"] == "docker.io/hashicorp/nomad:2.0.5"


# --- The redundancy zone comes from the Node, through the API -----------------------------
NODE_JSON = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "worker-2", "labels": {
    "kubernetes.io/hostname": "worker-2", "topology.kubernetes.io/region": "eu", "topology.kubernetes.io/zone": "eu-1b"}}}


def _run_init(objs, tmp_path, node_json):
    """Run the runtime-config init container's script with /bin/sh as a Kubernetes < 1.35 pod would:
    the pod's own labels carry no zone (no PodTopologyLabels); `nomad` is a stand-in that answers the
    Node GET the way `nomad operator api` prints a response body."""
    spec = pod_spec(objs)
    init = next(c for c in spec["initContainers"] if c["name"] == "runtime-config")
    script = init["args"][0]
    root = tmp_path / "fs"
    for mount in init["volumeMounts"]:
        (root / mount["mountPath"].lstrip("/")).mkdir(parents=True, exist_ok=True)
    # What the downward API would show on Kubernetes < 1.35: pod labels without the node's zone.
    (root / "nomad/podinfo").mkdir(parents=True, exist_ok=True)
    (root / "nomad/podinfo/labels").write_text('app.kubernetes.io/name="nomad"\n', encoding="utf-8")
    (root / "nomad/kube").mkdir(parents=True, exist_ok=True)
    (root / "nomad/kube/token").write_text("sa-token", encoding="utf-8")
    (root / "nomad/kube/ca.crt").write_text("ca", encoding="utf-8")
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "nomad-args"
    (fake / "nomad").write_text("#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s\nprintf '%%s' '%s'\n"
                                % (log, json.dumps(node_json)), encoding="utf-8")
    (fake / "nomad").chmod(stat.S_IRWXU)
    script = re.sub(r"(?<![\w.])/nomad/", str(root) + "/nomad/", script)
    env = {"PATH": "%s:%s" % (fake, os.environ["PATH"]), "NODE_NAME": "worker-2"}
    for item in init.get("env") or []:
        if "value" in item:
            env[item["name"]] = item["value"]
    proc = subprocess.run(["/bin/sh", "-ec", script], env=env, capture_output=True, text=True, check=False)
    zone_file = root / "nomad/runtime/zone.hcl"
    return proc, (zone_file.read_text(encoding="utf-8") if zone_file.exists() else None), log


def test_zone_is_read_from_the_node_object(rendered, tmp_path):
    objs = rendered["enterprise_zones"]
    proc, zone_hcl, log = _run_init(objs, tmp_path, NODE_JSON)
    assert proc.returncode == 0, proc.stderr
    assert zone_hcl is not None and hclload.to_plain(hclload.loads(zone_hcl)) == {"server": {"redundancy_zone": "eu-1b"}}
    args = log.read_text(encoding="utf-8").split("\n")
    assert "https://kubernetes.default.svc/api/v1/nodes/worker-2" in args
    assert "-X" in args and args[args.index("-X") + 1] == "GET"  # operator api POSTs when stdin is no tty
    assert "Authorization: Bearer sa-token" in args


def test_missing_zone_label_stops_the_pod_with_a_message(rendered, tmp_path):
    node = json.loads(json.dumps(NODE_JSON))
    del node["metadata"]["labels"]["topology.kubernetes.io/zone"]
    proc, zone_hcl, dummy = _run_init(rendered["enterprise_zones"], tmp_path, node)
    assert proc.returncode != 0 and zone_hcl is None
    assert "has no label topology.kubernetes.io/zone" in proc.stderr


def test_rbac_lets_only_this_service_account_get_nodes(rendered):
    objs = rendered["enterprise_zones"]
    spec = pod_spec(objs)
    role = one(objs, "ClusterRole")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]
    binding = one(objs, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": spec["serviceAccountName"], "namespace": "nomad"}]
    # The token is projected into the init container only; the Nomad container gets none.
    assert spec["automountServiceAccountToken"] is False
    assert not any(m["name"] == "kube-api" for m in nomad_container(objs)["volumeMounts"])
    # No cluster-wide RBAC unless redundancy zones need it.
    assert not [o for o in rendered["enterprise"] if o["kind"].startswith("ClusterRole")]


# --- Vault Secrets Operator objects come before the workload ------------------------------
def test_vso_objects_are_applied_before_the_statefulset(rendered):
    objs = rendered["vault"]
    kinds = [o["kind"] for o in objs]
    sts = kinds.index("StatefulSet")
    vso = [i for i, k in enumerate(kinds) if k.startswith("Vault")]
    assert {"VaultStaticSecret", "VaultPKISecret", "VaultAuth", "VaultConnection"} <= set(kinds)
    assert vso and max(vso) < sts, kinds
    assert kinds.index("ServiceAccount") < min(vso)  # VaultAuth logs in as this ServiceAccount


def test_apply_waits_for_the_vso_secrets_before_the_workload():
    """tasks/apply.yml applies prerequisites.yml (which waits for the VSO Secrets) before the task that
    applies the StatefulSet, and that task skips the prerequisites."""
    import yaml  # pylint: disable=import-outside-toplevel
    tasks = yaml.safe_load((ROLE_DIR / "tasks/apply.yml").read_text(encoding="utf-8"))
    names = [t.get("ansible.builtin.include_tasks") or t["name"] for t in tasks]
    assert "prerequisites.yml" in names
    apply_all = next(i for i, t in enumerate(tasks) if t["name"] == "Apply the objects")
    assert names.index("prerequisites.yml") < apply_all
    assert "__nomad_server_prerequisite_kinds" in tasks[apply_all]["loop"]
    pre = yaml.safe_load((ROLE_DIR / "tasks/prerequisites.yml").read_text(encoding="utf-8"))
    wait = next(t for t in pre if "kubernetes.core.k8s_info" in t)
    assert wait["loop"] == "{{ __nomad_server_vso_secrets }}" and "until" in wait


# --- Zone-less clusters schedule the servers -----------------------------------------------
def feasible_nodes(spec, nodes):
    """kube-scheduler's PodTopologySpread filter: with whenUnsatisfiable DoNotSchedule a node without
    the topologyKey label is not feasible (pkg/scheduler/framework/plugins/podtopologyspread/filtering.go)."""
    hard = [c for c in spec.get("topologySpreadConstraints") or [] if c["whenUnsatisfiable"] == "DoNotSchedule"]
    return [n for n in nodes if all(c["topologyKey"] in n for c in hard)]


def test_zone_less_nodes_are_feasible(rendered):
    spec = pod_spec(rendered["defaults"])
    nodes = [{"kubernetes.io/hostname": "n%d" % i} for i in range(4)]
    assert len(feasible_nodes(spec, nodes)) == 4, spec["topologySpreadConstraints"]
    assert spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"] \
        == "kubernetes.io/hostname"


# --- Monitoring namespaces and host-network routers --------------------------------
def test_user_workload_monitoring_may_scrape(rendered):
    objs = rendered["openshift_monitoring"]
    netpol = one(objs, "NetworkPolicy")
    for namespace in ("openshift-monitoring", "openshift-user-workload-monitoring"):
        assert admitted(netpol, namespace_pod(namespace), 4646), namespace
    assert not admitted(netpol, namespace_pod("someone-else"), 4646)


def test_no_leader_alert_needs_scraped_servers(rendered):
    rules = {r["alert"]: r for g in one(rendered["openshift_monitoring"], "PrometheusRule")["spec"]["groups"] for r in g["rules"]}
    no_leader = rules["NomadNoLeader"]["expr"]
    # absent(autopilot gauge) alone also fires when Prometheus scrapes nothing: it must require up == 1.
    assert re.search(r"count\(up\{[^}]*\} == 1\)", no_leader) and "unless" in no_leader, no_leader
    assert "absent(up{" in rules["NomadMetricsMissing"]["expr"]
    # Minor: the heartbeat timer is a summary; its event count is the _count series.
    assert "nomad_nomad_heartbeat_invalidate_count{" in rules["NomadHighHeartbeatInvalidations"]["expr"]


def test_host_network_routers_reach_the_api(rendered):
    netpol = one(rendered["openshift_monitoring"], "NetworkPolicy")
    router_ns = namespace_pod("openshift-host-network", {"policy-group.network.openshift.io/ingress": ""})
    assert admitted(netpol, router_ns, 4646)


# --- Only the v1 APIs ------------------------------------------------------------------------------
def test_no_v1beta1_builtin_api_is_rendered(rendered):
    for case_id, objs in rendered.items():
        for obj in objs:
            assert obj["apiVersion"] not in ("policy/v1beta1", "batch/v1beta1"), (case_id, obj["kind"])
    assert one(rendered["enterprise"], "PodDisruptionBudget")["apiVersion"] == "policy/v1"
    assert one(rendered["openshift_monitoring"], "CronJob")["apiVersion"] == "batch/v1"


def test_discover_refuses_an_old_api_server():
    import yaml  # pylint: disable=import-outside-toplevel
    tasks = yaml.safe_load((ROLE_DIR / "tasks/discover.yml").read_text(encoding="utf-8"))
    text = json.dumps(tasks)
    assert "policy/v1beta1" not in text and "batch/v1beta1" not in text and "nomad_server_kube_version" not in text
    check = next(t for t in tasks if "minimum" in t["name"])
    assert "__nomad_server_kube_min" in check["ansible.builtin.assert"]["that"]


# --- TLS and client introduction by default (server side) ------------------------
def test_tls_and_client_introduction_on_by_default(rendered):
    conf = server_hcl(rendered["defaults"])
    assert conf["tls"]["rpc"] is True and conf["tls"]["http"] is True and conf["tls"]["verify_server_hostname"] is True
    assert conf["server"]["client_introduction"] == {"enforcement": "strict"}
    # server.client_introduction does not exist before Nomad 1.11 (an unknown key in server is an error).
    assert "client_introduction" not in server_hcl(rendered["nomad_1_10"])["server"]


# --- Minors --------------------------------------------------------------------------------------------
def test_minor_pdb_and_fs_group_change_policy(rendered):
    assert not [o for o in rendered["dev_single"] if o["kind"] == "PodDisruptionBudget"]
    assert pod_spec(rendered["defaults"])["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"
