# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad inputs to edgeops.nomad.nomad_server fail before anything is applied, with a message naming
the variable (argument specs for types/choices, tasks/preflight.yml for everything else).

All cases run in ONE ansible-playbook run of the shared role harness (tests/roles/_role_harness.py), in
the role's render mode into a temp directory (so a wrongly accepted case could only write files there, never
touch a cluster); the tests check the recorded failures. A valid
baseline case must pass, so the harness itself can fail.
"""

from __future__ import annotations

import pytest

from _role_harness import run_role_cases

VALID = {
    "nomad_server_kube_version": "1.27",
    "nomad_server_advertise_address": "192.0.2.10",
    "nomad_server_gossip_key_source": "secret",
    "nomad_server_gossip_key_secret_name": "nomad-gossip",
    # Render mode has no API server to detect OpenShift from (nomad_server_openshift: auto is refused).
    "nomad_server_openshift": False,
}
ENT = {"nomad_server_edition": "enterprise", "nomad_server_license_source": "secret",
       "nomad_server_license_secret_name": "nomad-license"}

# A non-authoritative region of a federation with east (renders: every server's address given).
FED_WEST = {"nomad_server_region": "west", "nomad_server_federation_enabled": True, "nomad_server_authoritative_region": "east",
            "nomad_server_federation_regions": ["east"], "nomad_server_federation_join": ["192.0.2.61", "192.0.2.62:4648"],
            "nomad_server_federation_cidrs": ["192.0.2.0/26"], "nomad_server_federation_gossip_key_sha256": "a" * 64,
            "nomad_server_federation_serf_addresses": {"nomad-0": "192.0.2.71", "nomad-1": "192.0.2.72", "nomad-2": "192.0.2.73"}}

# id -> (vars over VALID, text the failure must contain: the variable name and the reason)
CASES = {
    "replicas_even": ({"nomad_server_replicas": 4}, "nomad_server_replicas: is 4: use an odd number"),
    "replicas_two": ({"nomad_server_replicas": 2}, "nomad_server_replicas: is 2"),
    "replicas_one_without_dev": ({"nomad_server_replicas": 1}, "only allowed with nomad_server_dev_mode=true"),
    "replicas_nine": ({"nomad_server_replicas": 9}, "nomad_server_replicas: is 9"),
    "replicas_not_int": ({"nomad_server_replicas": "three"}, "nomad_server_replicas"),
    "lb_address_missing": ({"nomad_server_advertise_address": ""}, "nomad_server_advertise_address: must be set"),
    "lb_address_with_port": ({"nomad_server_advertise_address": "192.0.2.10:4647"},
                             "nomad_server_advertise_address: '192.0.2.10:4647' must be the IP address"),
    # Nomad resolves a host name in advertise once inside the pod (command/agent/agent.go).
    "lb_address_host_name": ({"nomad_server_advertise_address": "nomad-rpc.apps.example.test"},
                             "nomad_server_advertise_address: 'nomad-rpc.apps.example.test' must be the IP address"),
    "lb_address_bad_ipv4": ({"nomad_server_advertise_address": "192.0.2.300"}, "nomad_server_advertise_address: '192.0.2.300'"),
    "lb_address_with_scheme": ({"nomad_server_advertise_address": "https://lb.example.test"},
                               "nomad_server_advertise_address: 'https://lb.example.test'"),
    "region_dots": ({"nomad_server_region": "eu.west"}, "nomad_server_region: 'eu.west' must be lower-case"),
    "region_upper": ({"nomad_server_region": "EU"}, "nomad_server_region: 'EU'"),
    "datacenter_space": ({"nomad_server_datacenter": "dc 1"}, "nomad_server_datacenter: 'dc 1' must match"),
    "name_upper": ({"nomad_server_name": "Nomad"}, "nomad_server_name: 'Nomad' must be a DNS label"),
    "name_too_long": ({"nomad_server_name": "n" * 41}, "nomad_server_name"),
    "namespace_underscore": ({"nomad_server_namespace": "team_a"}, "nomad_server_namespace: 'team_a'"),
    "storage_size_words": ({"nomad_server_storage_size": "ten gigs"}, "nomad_server_storage_size: 'ten gigs' is not a Kubernetes quantity"),
    "storage_size_gb": ({"nomad_server_storage_size": "10GB"}, "nomad_server_storage_size: '10GB'"),
    "backup_size_bad": ({"nomad_server_backup_storage_size": "-1Gi"}, "nomad_server_backup_storage_size"),
    "version_old": ({"nomad_server_version": "1.7.7"}, "nomad_server_version: '1.7.7' must be a Nomad version >= 1.8.0"),
    # TLS is the default; plaintext needs the loudly named opt-out.
    "tls_none_without_opt_out": ({"nomad_server_tls_source": "none"}, "nomad_server_tls_source: is 'none': edge RPC"),
    "tls_opt_out_with_tls": ({"nomad_server_insecure_disable_tls": True}, "nomad_server_insecure_disable_tls: is true but"),
    "intro_enforcement_unknown": ({"nomad_server_client_introduction_enforcement": "maybe"},
                                  "nomad_server_client_introduction_enforcement"),
    # externalTrafficPolicy Cluster SNATs edge clients, the ipBlock on the CIDRs never matches.
    "cidrs_with_cluster_policy": ({"nomad_server_edge_cidrs": ["198.51.100.0/24"], "nomad_server_edge_external_traffic_policy": "Cluster"},
                                  "nomad_server_edge_external_traffic_policy: is 'Cluster' with nomad_server_edge_cidrs"),
    # Enterprise needs the Enterprise image (and the reverse).
    "enterprise_with_ce_image": ({**ENT, "nomad_server_image": "docker.io/hashicorp/nomad"},
                                 "nomad_server_image: 'docker.io/hashicorp/nomad' is not the Enterprise image"),
    "ce_with_enterprise_image": ({"nomad_server_image": "mirror.example.test/hashicorp/nomad-enterprise"},
                                 "nomad_server_image: 'mirror.example.test/hashicorp/nomad-enterprise' is the Enterprise image"),
    # Kubernetes >= 1.27 only.
    "kube_version_too_old": ({"nomad_server_kube_version": "1.26"},
                             "nomad_server_kube_version: is '1.26': the minimum supported Kubernetes is 1.27"),
    # OpenShift is detected from the API; a render has no API to ask.
    "reencrypt_without_destination_ca": ({"nomad_server_route_enabled": True, "nomad_server_openshift": True,
                                          "nomad_server_tls_verify_https_client": False},
                                         "nomad_server_route_destination_ca_certificate: must hold the CA"),
    "openshift_auto_in_render": ({"nomad_server_openshift": "auto"}, "nomad_server_openshift: is 'auto'"),
    "openshift_unknown": ({"nomad_server_openshift": "maybe"}, "nomad_server_openshift: is 'maybe'"),
    "zone_spread_unknown": ({"nomad_server_topology_spread_when_unsatisfiable": "Sometimes"},
                            "nomad_server_topology_spread_when_unsatisfiable"),
    "tls_source_unknown": ({"nomad_server_tls_source": "letsencrypt"}, "nomad_server_tls_source"),
    "vault_tls_without_address": ({"nomad_server_tls_source": "vault", "nomad_server_vault_auth_role": "r",
                                   "nomad_server_vault_pki_role": "r"}, "nomad_server_vault_address: must be the Vault URL"),
    "vault_tls_without_pki_role": ({"nomad_server_tls_source": "vault", "nomad_server_vault_address": "https://v:8200",
                                    "nomad_server_vault_auth_role": "r"}, "nomad_server_vault_pki_role: must name"),
    "vault_gossip_without_kv_path": ({"nomad_server_gossip_key_source": "vault", "nomad_server_vault_address": "https://v:8200",
                                      "nomad_server_vault_auth_role": "r"}, "nomad_server_vault_kv_path: must name"),
    "gossip_generate_in_gitops": ({"nomad_server_gossip_key_source": "generate"}, "nomad_server_gossip_key_source: 'generate' cannot be used"),
    "mtls_monitor_without_client_cert": ({"nomad_server_tls_source": "secret", "nomad_server_tls_secret_name": "t",
                                          "nomad_server_servicemonitor_enabled": True},
                                         "nomad_server_tls_verify_https_client: is true with a ServiceMonitor"),
    "route_without_openshift": ({"nomad_server_route_enabled": True, "nomad_server_tls_source": "secret",
                                 "nomad_server_tls_secret_name": "t"}, "nomad_server_route_enabled: a Route needs OpenShift"),
    "route_without_tls": ({"nomad_server_route_enabled": True, "nomad_server_openshift": True, "nomad_server_tls_source": "none",
                           "nomad_server_insecure_disable_tls": True}, "nomad_server_route_enabled: a Route needs"),
    "route_reencrypt_mtls": ({"nomad_server_route_enabled": True, "nomad_server_openshift": True, "nomad_server_tls_source": "secret",
                              "nomad_server_tls_secret_name": "t"}, "nomad_server_route_termination: 'reencrypt' cannot reach"),
    "ce_audit": ({"nomad_server_audit_enabled": True}, "nomad_server_edition: is 'ce': nomad_server_audit_enabled"),
    "ce_redundancy_zones": ({"nomad_server_redundancy_zones": True}, "nomad_server_edition: is 'ce'"),
    "ce_enterprise_autopilot": ({"nomad_server_autopilot": {"enable_custom_upgrades": True}},
                                "nomad_server_autopilot: ['enable_custom_upgrades'] are Enterprise-only"),
    "ce_license": ({"nomad_server_license_secret_name": "lic"}, "nomad_server_license: a license"),
    "ce_s3_backups": ({"nomad_server_backup_enabled": True, "nomad_server_backup_s3_bucket": "b", "nomad_server_backup_s3_region": "r"},
                      "nomad_server_backup_s3_bucket: S3 uploads need the Enterprise snapshot agent"),
    "ent_inline_license_empty": ({**ENT, "nomad_server_license_source": "inline"}, "nomad_server_license"),
    "ent_s3_without_region": ({**ENT, "nomad_server_backup_enabled": True, "nomad_server_backup_s3_bucket": "b"},
                              "nomad_server_backup_s3_region: must be set"),
    "backup_schedule_bad": ({"nomad_server_backup_enabled": True, "nomad_server_backup_schedule": "hourly"},
                            "nomad_server_backup_schedule: 'hourly' has 1 field, not 5"),
    "rpc_conns_too_low": ({"nomad_server_rpc_max_conns_per_client": 10}, "nomad_server_rpc_max_conns_per_client: is 10"),
    "node_port_out_of_range": ({"nomad_server_edge_service_type": "NodePort", "nomad_server_edge_node_port_rpc": 4647},
                               "nomad_server_edge_node_port_rpc: is 4647: NodePorts are 30000-32767"),
    "edge_cidr_bad": ({"nomad_server_edge_cidrs": ["10.0.0.0"]}, "nomad_server_edge_cidrs[0]: '10.0.0.0' is not a CIDR"),
    "http_namespace_bad": ({"nomad_server_http_namespaces": ["Monitoring"]}, "nomad_server_http_namespaces"),
    # Federation: the pieces checked against each other (docs/openshift_control_plane.md "Federation").
    "authoritative_without_federation": ({"nomad_server_authoritative_region": "us", "nomad_server_region": "eu"},
                                         "nomad_server_authoritative_region: is set without nomad_server_federation_enabled"),
    "replication_token_without_federation": ({"nomad_server_replication_token_secret_name": "repl"},
                                             "nomad_server_replication_token_secret_name: is set, but this region is not federated"),
    "federation_same_region": ({**FED_WEST, "nomad_server_federation_regions": ["east", "west"]},
                               "nomad_server_federation_regions: names this region ('west') too"),
    "federation_authoritative_not_a_peer": ({**FED_WEST, "nomad_server_authoritative_region": "north"},
                                            "nomad_server_authoritative_region: 'north' is not one of nomad_server_federation_regions"),
    "federation_without_acls": ({**FED_WEST, "nomad_server_acl_enabled": False},
                                "nomad_server_acl_enabled: is false with federation"),
    "federation_without_join": ({**FED_WEST, "nomad_server_federation_join": []},
                                "nomad_server_federation_join: must list the Serf addresses"),
    "federation_without_cidrs": ({**FED_WEST, "nomad_server_federation_cidrs": []},
                                 "nomad_server_federation_cidrs: must list the other regions' source CIDRs"),
    "federation_without_gossip_digest": ({**FED_WEST, "nomad_server_federation_gossip_key_sha256": ""},
                                         "nomad_server_federation_gossip_key_sha256: must be set on a non-authoritative region"),
    "replication_token_on_authoritative": ({**FED_WEST, "nomad_server_authoritative_region": "",
                                            "nomad_server_replication_token_secret_name": "repl"},
                                           "nomad_server_replication_token_secret_name: is set, but this region is authoritative"),
    "federation_render_without_addresses": ({**FED_WEST, "nomad_server_federation_serf_addresses": {"nomad-0": "192.0.2.71"}},
                                            "nomad_server_federation_serf_addresses: must give every server's load balancer IP"),
    "federation_address_of_no_pod": ({**FED_WEST, "nomad_server_federation_serf_addresses": dict(
        FED_WEST["nomad_server_federation_serf_addresses"], **{"nomad-7": "192.0.2.79"})},
        "nomad_server_federation_serf_addresses: names ['nomad-7'], which are not server pods"),
    "federation_node_port_with_lb_edge": ({**FED_WEST, "nomad_server_federation_service_type": "NodePort"},
                                          "nomad_server_federation_service_type: 'NodePort' advertises each server"),
    "federation_join_bad": ({**FED_WEST, "nomad_server_federation_join": ["192.0.2.61:99999"]},
                            "nomad_server_federation_join[0]"),
    "secret_in_extra_config": ({"nomad_server_extra_config": {"server": {"encrypt": "abc"}}},
                               "nomad_server_extra_config.server.encrypt: is set by the role; use nomad_server_gossip_key_source"),
    "render_absent": ({"nomad_server_state": "absent"}, "nomad_server_render_dir: is set with nomad_server_state 'absent'"),
    "anti_affinity_unknown": ({"nomad_server_anti_affinity": "sometimes"}, "nomad_server_anti_affinity"),
    "edition_unknown": ({"nomad_server_edition": "pro"}, "nomad_server_edition"),
}


# Accepted inputs (the harness must let them through).
VALID_CASES = {
    "valid_baseline": {},
    "valid_enterprise": ENT,
    "valid_without_kube_version": {"nomad_server_kube_version": ""},
    "valid_plaintext_opt_out": {"nomad_server_tls_source": "none", "nomad_server_insecure_disable_tls": True},
    "valid_ipv6_advertise": {"nomad_server_advertise_address": "2001:db8::10"},
    "valid_node_port": {"nomad_server_edge_service_type": "NodePort"},
    "valid_federation_west": FED_WEST,
    "valid_federation_node_port": {**FED_WEST, "nomad_server_federation_service_type": "NodePort",
                                   "nomad_server_edge_service_type": "NodePort", "nomad_server_federation_serf_addresses": {}},
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nomad_server_preflight")
    cases = dict(VALID_CASES)
    cases.update({case_id: overrides for case_id, (overrides, _text) in CASES.items()})
    return run_role_cases(tmp, {case_id: {**VALID, **overrides, "nomad_server_render_dir": str(tmp / "render" / case_id)}
                                for case_id, overrides in cases.items()}, role="edgeops.nomad.nomad_server")


def test_at_least_twenty_bad_inputs():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case_id", sorted(VALID_CASES))
def test_valid_inputs_pass(results, case_id):
    assert results.get(case_id) == {"ok": True}, results.get(case_id) or results["__log__"]


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_bad_input_fails_naming_the_variable(results, case_id):
    record = results.get(case_id)
    assert record is not None, results["__log__"]
    assert record["ok"] is False, "accepted: %s" % case_id
    text = " ".join([record["msg"]] + record["items"])
    assert CASES[case_id][1] in text, text
