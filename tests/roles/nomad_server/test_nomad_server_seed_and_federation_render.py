# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What edgeops.nomad.nomad_server renders for settings Nomad reads only once, for IPv6 advertise addresses,
scheduler workers, and for two federated regions, held against Nomad v2.0.5's source:

- nomad/leader.go getOrCreateAutopilotConfig: the agent's autopilot block only seeds the Raft-stored
  configuration, so a change of it must not restart the servers (the pod template stays the same);
  nomad/serf.go maybeBootstrap reads bootstrap_expect only before the first Raft configuration, and
  command/agent/retry_join.go joins once at start: neither restarts servers either.
- command/agent/config.go normalizeAdvertise: an IPv6 advertise address needs brackets before the port.
- nomad/config.go DefaultConfig NumSchedulers = runtime.NumCPU(), command/agent/agent.go refuses more than NumCPU.
- Federation (command/agent/agent.go convertServerConfig: authoritative_region defaults to the agent's own region,
  ServerRPCAdvertise = serf IP + advertise.rpc port; nomad/leader.go: replication runs on non-authoritative regions
  with ACLs on; nomad/acl_endpoint.go ListTokens needs a management token; memberlist probes every member at its
  advertised address over UDP and TCP).
Everything is rendered by the role (tasks_from=objects_only, one ansible-playbook run, _server_render.py).
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
from _server_render import container, objects, one, render  # noqa: E402  pylint: disable=wrong-import-position
from tests.tools.nomad_schema import check_agent_config, hclload  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.edgeops.nomad.plugins.filter.nomad_network_policy import (  # noqa: E402  pylint: disable=wrong-import-position
    nomad_network_policy_admits,
)

EAST_LB = {"nomad-0": "192.0.2.51", "nomad-1": "192.0.2.52", "nomad-2": "192.0.2.53"}
WEST_LB = {"nomad-0": "198.51.100.61", "nomad-1": "198.51.100.62", "nomad-2": "198.51.100.63"}
EAST_EGRESS = "192.0.2.0/25"  # where east's servers come from, as west sees them
WEST_EGRESS = "198.51.100.0/25"
FED = {"nomad_server_federation_enabled": True, "nomad_server_namespace": "nomad"}
EAST = {**FED, "nomad_server_region": "east", "nomad_server_federation_regions": ["west"],
        "nomad_server_federation_join": list(WEST_LB.values()), "nomad_server_federation_cidrs": [WEST_EGRESS],
        "nomad_server_federation_serf_addresses": EAST_LB}
WEST = {**FED, "nomad_server_region": "west", "nomad_server_authoritative_region": "east",
        "nomad_server_federation_regions": ["east"], "nomad_server_federation_join": list(EAST_LB.values()),
        "nomad_server_federation_cidrs": [EAST_EGRESS], "nomad_server_federation_serf_addresses": WEST_LB,
        "nomad_server_federation_gossip_key_sha256": "0" * 64, "nomad_server_replication_token_secret_name": "nomad-repl"}

CASES = {
    "defaults": {},
    "autopilot_changed": {"nomad_server_autopilot": {
        "cleanup_dead_servers": True, "last_contact_threshold": "500ms", "max_trailing_logs": 1000,
        "server_stabilization_time": "45s"}},
    "five_replicas": {"nomad_server_replicas": 5},
    "log_level_changed": {"nomad_server_log_level": "DEBUG"},
    "ipv6": {"nomad_server_advertise_address": "2001:db8::40"},
    "ipv6_node_port": {"nomad_server_advertise_address": "2001:DB8:0::41", "nomad_server_edge_service_type": "NodePort"},
    "cpu_two": {"nomad_server_resources": {"requests": {"cpu": "2", "memory": "1Gi"}}},
    "cpu_1500m": {"nomad_server_resources": {"requests": {"cpu": "1500m", "memory": "1Gi"}, "limits": {"cpu": "3"}}},
    "cpu_limit_only": {"nomad_server_resources": {"limits": {"cpu": "3", "memory": "2Gi"}}},
    "cpu_none": {"nomad_server_resources": {"requests": {"memory": "1Gi"}}},
    "schedulers_overridden": {"nomad_server_extra_config": {"server": {"num_schedulers": 4}}},
    "east": EAST,
    "west": WEST,
    "west_node_port": {**WEST, "nomad_server_federation_service_type": "NodePort", "nomad_server_edge_service_type": "NodePort",
                       "nomad_server_federation_serf_addresses": {}},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = render(tmp_path_factory.mktemp("seed_and_federation"), CASES)
    for case_id, objs in out.items():
        assert isinstance(objs, list), "%s: %s" % (case_id, objs)
    return out


def server_hcl(objs):
    return hclload.to_plain(hclload.loads(one(objs, "ConfigMap", "nomad-config")["data"]["server.hcl"]))


def template(objs):
    return one(objs, "StatefulSet")["spec"]["template"]


# -- settings Nomad reads once ----------------------------------------------------------------------------

@pytest.mark.parametrize("case_id", ["autopilot_changed", "five_replicas"])
def test_seed_only_settings_do_not_restart_servers(rendered, case_id):
    """A changed pod template makes the StatefulSet controller (and the role's roll) replace every server; an
    Autopilot change reaches Nomad only through the operator API, so it must leave the template alone."""
    assert server_hcl(rendered[case_id]) != server_hcl(rendered["defaults"])  # the ConfigMap does carry the change
    assert template(rendered[case_id]) == template(rendered["defaults"])


def test_a_setting_read_at_every_start_does_restart_servers(rendered):
    assert template(rendered["log_level_changed"]) != template(rendered["defaults"])


def test_autopilot_block_still_seeds_a_new_cluster(rendered):
    autopilot = server_hcl(rendered["autopilot_changed"])["autopilot"]
    assert autopilot["server_stabilization_time"] == "45s" and autopilot["max_trailing_logs"] == 1000


# -- IPv6 advertise ---------------------------------------------------------------------------------------

def go_split_host_port(value):
    """net.SplitHostPort as normalizeAdvertise applies it: brackets for IPv6, else exactly one colon."""
    if value.startswith("["):
        host, rest = value[1:].split("]", 1)
        assert rest.startswith(":"), value
        return host, int(rest[1:])
    assert value.count(":") == 1, "too many colons in address %s: Nomad reads it as an address without a port" % value
    host, port = value.split(":")
    return host, int(port)


@pytest.mark.parametrize("case_id, address, rpc_port", [("ipv6", "2001:db8::40", 4647), ("ipv6_node_port", "2001:db8::41", 30647)])
def test_ipv6_advertise_is_bracketed(rendered, case_id, address, rpc_port):
    advertise = server_hcl(rendered[case_id])["advertise"]
    for key, port in (("rpc", rpc_port), ("http", 4646)):
        host, got = go_split_host_port(advertise[key])
        assert ipaddress.ip_address(host) == ipaddress.ip_address(address) and got == port, advertise


# -- scheduler workers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case_id, workers", [("defaults", 1), ("cpu_two", 2), ("cpu_1500m", 2), ("cpu_limit_only", 3),
                                              ("cpu_none", None), ("schedulers_overridden", 4)])
def test_num_schedulers_follows_the_cpu_request(rendered, case_id, workers):
    """Nomad starts NumCPU workers (the node's CPUs) and refuses more than NumCPU; ceil(request) is at most the
    node's CPU count because the kube-scheduler placed the pod where allocatable >= request."""
    assert server_hcl(rendered[case_id])["server"].get("num_schedulers") == workers


# -- two federated regions --------------------------------------------------------------------------------

def merged_config(objs, pod, tmp_path, replication=None):
    """The agent's -config files of one server, as the pod loads them, in one directory (merged like
    `nomad agent -config DIR`, command/agent/config.go LoadConfigDir): server.hcl, the gossip key, the replication
    token, and the runtime file the init container writes for this pod."""
    cfg = tmp_path / pod
    cfg.mkdir()
    (cfg / "a-server.hcl").write_text(one(objs, "ConfigMap", "nomad-config")["data"]["server.hcl"], encoding="utf-8")
    (cfg / "b-gossip.hcl").write_text('server {\n  encrypt = "%s"\n}\n' % ("A" * 43 + "="), encoding="utf-8")
    if replication:
        (cfg / "c-replication.hcl").write_text('acl {\n  replication_token = "%s"\n}\n' % replication, encoding="utf-8")
    proc, runtime = run_init(objs, pod, tmp_path / ("init-" + pod))
    assert proc.returncode == 0, proc.stderr
    (cfg / "d-advertise.hcl").write_text(runtime, encoding="utf-8")
    return cfg


def run_init(objs, pod, root, host_ip="10.0.3.7"):
    """The runtime-config init container's script under /bin/sh, with the ConfigMap's serf-addresses mounted."""
    spec = template(objs)["spec"]
    init = next(c for c in spec["initContainers"] if c["name"] == "runtime-config")
    (root / "nomad/config").mkdir(parents=True)
    (root / "nomad/runtime").mkdir(parents=True)
    serf_addresses = one(objs, "ConfigMap", "nomad-config")["data"]["serf-addresses"]
    (root / "nomad/config/serf-addresses").write_text(serf_addresses, encoding="utf-8")
    script = re.sub(r"(?<![\w.])/nomad/", str(root) + "/nomad/", init["args"][0])
    env = {"PATH": os.environ["PATH"], "POD_NAME": pod, "HOST_IP": host_ip}
    proc = subprocess.run(["/bin/sh", "-ec", script], env=env, capture_output=True, text=True, check=False)
    out = root / "nomad/runtime/advertise.hcl"
    return proc, out.read_text(encoding="utf-8") if out.exists() else None


@pytest.mark.parametrize("case_id, replication", [("east", None), ("west", "6f2c9a3e-1b7d-4c55-9a0e-2f1d7c3b8e41")])
def test_federated_configs_pass_nomads_schema(rendered, tmp_path, case_id, replication):
    for pod in ("nomad-0", "nomad-2"):
        errors = check_agent_config(merged_config(rendered[case_id], pod, tmp_path, replication), edition="ce",
                                    nomad_version="2.0.5")
        assert errors == [], errors


def test_authoritative_region_and_replication(rendered):
    """convertServerConfig: an empty authoritative_region means the agent's own region, so the non-authoritative
    region must name the authoritative one; only it replicates (nomad/leader.go), with ACLs on, with a management
    token of the authoritative region read from its own -config file (never the ConfigMap or the arguments)."""
    east, west = server_hcl(rendered["east"]), server_hcl(rendered["west"])
    assert east["region"] != west["region"]
    assert east["server"]["authoritative_region"] == "east" and west["server"]["authoritative_region"] == "east"
    assert east["acl"]["enabled"] is True and west["acl"]["enabled"] is True
    assert "replication_token" not in str(east) + str(west)
    west_pod, east_pod = template(rendered["west"])["spec"], template(rendered["east"])["spec"]
    assert "-config=/nomad/secrets/replication/replication.hcl" in container(west_pod, "nomad")["args"]
    assert [v["secret"]["secretName"] for v in west_pod["volumes"] if v["name"] == "replication"] == ["nomad-repl"]
    assert not [a for a in container(east_pod, "nomad")["args"] if "replication" in a]


def test_each_server_advertises_its_own_reachable_serf_address(rendered, tmp_path):
    """Serf probes every member at its advertised address and servers dial <serf IP>:<advertise.rpc port>: each
    pod advertises its own Service's address, never the pod IP template, and joins the other region."""
    for case_id, lbs, other in (("east", EAST_LB, WEST_LB), ("west", WEST_LB, EAST_LB)):
        conf = server_hcl(rendered[case_id])
        assert "serf" not in conf["advertise"], conf["advertise"]
        assert set(other.values()) <= set(conf["server"]["server_join"]["retry_join"])
        for pod, address in lbs.items():
            proc, runtime = run_init(rendered[case_id], pod, tmp_path / case_id / pod)
            assert proc.returncode == 0, proc.stderr
            assert hclload.to_plain(hclload.loads(runtime)) == {"advertise": {"serf": address + ":4648"}}


def test_node_port_serf_address_is_the_nodes_with_the_servers_own_port(rendered, tmp_path):
    proc, runtime = run_init(rendered["west_node_port"], "nomad-1", tmp_path / "np", host_ip="2001:db8::7")
    assert proc.returncode == 0, proc.stderr
    assert hclload.to_plain(hclload.loads(runtime)) == {"advertise": {"serf": "[2001:db8::7]:30701"}}


def test_init_stops_without_an_address(rendered, tmp_path):
    objs = [dict(o) for o in rendered["west"]]
    cm = one(objs, "ConfigMap", "nomad-config")
    cm["data"] = dict(cm["data"], **{"serf-addresses": "nomad-0 198.51.100.61:4648\nnomad-1 \n"})
    proc, runtime = run_init(objs, "nomad-1", tmp_path / "missing")
    assert proc.returncode != 0 and runtime is None and "no Serf address for nomad-1" in proc.stderr


def test_one_service_per_server_with_rpc_and_serf_tcp_udp(rendered):
    services = [s for s in objects(rendered["west"], "Service") if s["metadata"]["name"].endswith("-federation")]
    assert sorted(s["metadata"]["name"] for s in services) == ["nomad-0-federation", "nomad-1-federation", "nomad-2-federation"]
    for svc in services:
        pod = svc["metadata"]["name"][:-len("-federation")]
        spec = svc["spec"]
        assert spec["selector"]["statefulset.kubernetes.io/pod-name"] == pod
        assert spec["type"] == "LoadBalancer" and spec["loadBalancerIP"] == WEST_LB[pod]
        assert spec["publishNotReadyAddresses"] is True and spec["externalTrafficPolicy"] == "Local"
        assert {(p["port"], p["protocol"]) for p in spec["ports"]} == {(4647, "TCP"), (4648, "TCP"), (4648, "UDP")}


@pytest.mark.parametrize("case_id, source", [("west", "192.0.2.9"), ("east", "198.51.100.9")])
def test_network_policy_admits_the_other_region_on_what_federation_needs(rendered, case_id, source):
    policy = one(rendered[case_id], "NetworkPolicy")
    named = {"%s/%s" % (p["name"], p["protocol"]): p["containerPort"]
             for p in container(template(rendered[case_id])["spec"], "nomad")["ports"]}
    for port, protocol in ((4647, "TCP"), (4648, "TCP"), (4648, "UDP")):
        assert nomad_network_policy_admits(policy, source, port, protocol, named), (port, protocol)
    assert not nomad_network_policy_admits(policy, source, 4646, "TCP", named)  # not the HTTP API
    assert not nomad_network_policy_admits(policy, "203.0.113.9", 4648, "UDP", named)  # nobody else
