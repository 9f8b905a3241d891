# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edgeops.nomad.nomad_server: every typed input (nested ones included) goes through the
shared validators in tasks/preflight.yml, nomad_server_extra_config is checked against Nomad's key schema and
cannot override what the role manages. A bad value in each typed variable is refused before any change.

One ansible-playbook run of the shared role harness (tests/roles/_role_harness.py), the role in render
mode into a per-case directory: a refused case must leave that directory absent (nothing rendered), its message must start with the variable
(and the path inside it) and say what is allowed; a refusal must come from the preflight assert, never from a
templating error or a Python traceback. A baseline with good non-default values of every typed input must pass.
"""

from __future__ import annotations

import pytest

from _role_harness import run_role_cases

# Valid whatever the other rules of the preflight table say (IP advertise address, TLS from a Secret).
BASE = {
    "nomad_server_kube_version": "1.27",
    "nomad_server_advertise_address": "192.0.2.10",
    "nomad_server_gossip_key_source": "secret",
    "nomad_server_gossip_key_secret_name": "nomad-gossip",
    "nomad_server_tls_source": "secret",
    "nomad_server_tls_secret_name": "nomad-tls",
    "nomad_server_tls_verify_https_client": False,
    "nomad_server_openshift": False,
}

# Good, non-default values of every typed input: the validators must not refuse them.
GOOD = {
    "nomad_server_storage_size": "1.5Ti",
    "nomad_server_backup_storage_size": "20G",
    "nomad_server_resources": {"requests": {"cpu": "250m", "memory": "512Mi", "ephemeral-storage": "1Gi"},
                               "limits": {"cpu": 2, "memory": "4Gi"}},
    "nomad_server_edge_cidrs": ["10.20.0.0/16", "192.168.7.1/32", "2001:db8::/32"],
    "nomad_server_edge_external_traffic_policy": "Local",
    "nomad_server_http_namespaces": ["monitoring", "ops-1"],
    "nomad_server_edge_load_balancer_ip": "192.0.2.10",
    "nomad_server_vault_pki_ttl": "2160h",
    "nomad_server_backup_schedule": "0 */4 * * mon-fri",
    "nomad_server_backup_interval": "30m",
    "nomad_server_servicemonitor_interval": "1m",
    "nomad_server_extra_labels": {"team": "edge", "example.com/cost-center": "ops_42"},
    "nomad_server_node_selector": {"node-role.kubernetes.io/infra": ""},
    "nomad_server_edge_service_annotations": {"metallb.universe.tf/address-pool": "edge pool, any text"},
    "nomad_server_topology_spread_key": "kubernetes.io/hostname",
    "nomad_server_image_pull_secrets": ["quay-pull"],
    "nomad_server_storage_class": "fast-ssd",
    "nomad_server_termination_grace_period": 0,
    "nomad_server_autopilot": {"cleanup_dead_servers": True, "last_contact_threshold": "500ms", "max_trailing_logs": 500,
                               "server_stabilization_time": "30s", "min_quorum": 3},
    "nomad_server_extra_config": {"server": {"job_gc_threshold": "24h", "heartbeat_grace": "1m",
                                             "default_scheduler_config": {"memory_oversubscription_enabled": True}},
                                  "telemetry": {"publish_node_metrics": True}, "ui": {"label": {"text": "edge"}},
                                  "limits": {"http_max_conns_per_client": 400}, "disable_update_check": True},
}

# id -> (vars over BASE, text the refusal must contain: the variable, its path, the value and what is allowed)
CASES = {
    # Kubernetes quantities (the issue: "a memory quantity in words")
    "storage_size_words": ({"nomad_server_storage_size": "ten gigs"},
                           "nomad_server_storage_size: 'ten gigs' is not a Kubernetes quantity: a number with an optional suffix"),
    "storage_size_zero": ({"nomad_server_storage_size": "0"}, "nomad_server_storage_size: '0' must be greater than zero"),
    "storage_size_negative": ({"nomad_server_storage_size": "-10Gi"}, "nomad_server_storage_size: '-10Gi' is negative"),
    "backup_storage_size_gb": ({"nomad_server_backup_storage_size": "20GB"}, "nomad_server_backup_storage_size: '20GB' is not a Kubernetes quantity"),
    "audit_storage_size_words": ({"nomad_server_audit_storage_size": "lots"}, "nomad_server_audit_storage_size: 'lots' is not a Kubernetes quantity"),
    "resources_memory_words": ({"nomad_server_resources": {"requests": {"memory": "two gigabytes"}}},
                               "nomad_server_resources.requests.memory: 'two gigabytes' is not a Kubernetes quantity"),
    "resources_limits_cpu_words": ({"nomad_server_resources": {"limits": {"cpu": "1.5 cores"}}},
                                   "nomad_server_resources.limits.cpu: '1.5 cores' is not a Kubernetes quantity"),
    "resources_misspelt": ({"nomad_server_resources": {"request": {"memory": "1Gi"}}},
                           "nomad_server_resources.request: unknown key (did you mean 'requests'?)"),
    # CIDRs (the issue: "/33, octets above 255")
    "cidr_prefix_33": ({"nomad_server_edge_cidrs": ["10.0.0.0/8", "10.0.0.0/33"]},
                       "nomad_server_edge_cidrs[1]: '10.0.0.0/33' is not a CIDR such as 10.20.0.0/16"),
    "cidr_octet_300": ({"nomad_server_edge_cidrs": ["300.20.0.0/16"]}, "nomad_server_edge_cidrs[0]: '300.20.0.0/16' is not a CIDR"),
    "cidr_without_prefix": ({"nomad_server_edge_cidrs": ["10.0.0.0"]}, "nomad_server_edge_cidrs[0]: '10.0.0.0' is not a CIDR"),
    "http_namespace_upper": ({"nomad_server_http_namespaces": ["Monitoring"]},
                             "nomad_server_http_namespaces[0]: 'Monitoring' is not a DNS label"),
    "node_port_99999": ({"nomad_server_edge_node_port_rpc": 99999},
                        "nomad_server_edge_node_port_rpc: 99999 is not a port number: use an integer from 1 to 65535"),
    # the advertise address is an IP (Python's ipaddress; the former hand-written IPv6 pattern took ':::::')
    "advertise_not_ipv6": ({"nomad_server_advertise_address": ":::::"}, "nomad_server_advertise_address: ':::::' must be the IP address"),
    "advertise_ipv4_octet": ({"nomad_server_advertise_address": "192.0.2.256"}, "nomad_server_advertise_address: '192.0.2.256' must be the IP"),
    "lb_ip_octet": ({"nomad_server_edge_load_balancer_ip": "192.0.2.300"}, "nomad_server_edge_load_balancer_ip: '192.0.2.300' is not an IP address"),
    "route_host_upper": ({"nomad_server_route_host": "Nomad.Example.com"}, "nomad_server_route_host: 'Nomad.Example.com' is not a DNS subdomain"),
    "vault_address_no_scheme": ({"nomad_server_vault_address": "vault:8200"}, "nomad_server_vault_address: 'vault:8200' is not a URL"),
    "pki_ttl_words": ({"nomad_server_vault_pki_ttl": "30 days"}, "nomad_server_vault_pki_ttl: '30 days' is not a Go duration"),
    # cron (the issue: "minute 61"), checked whether backups are on or not
    "cron_minute_61": ({"nomad_server_backup_schedule": "61 * * * *"},
                       "nomad_server_backup_schedule: '61 * * * *': '61' is outside the minute range 0-59"),
    "cron_word": ({"nomad_server_backup_enabled": True, "nomad_server_backup_schedule": "hourly"},
                  "nomad_server_backup_schedule: 'hourly' has 1 field, not 5: use a cron schedule: 5 fields"),
    "cron_dow_7": ({"nomad_server_backup_schedule": "0 0 * * 7"}, "nomad_server_backup_schedule: '0 0 * * 7': '7' is outside the day of week range 0-6"),
    "backup_interval_words": ({"nomad_server_backup_interval": "one hour"}, "nomad_server_backup_interval: 'one hour' is not a Go duration"),
    "servicemonitor_interval_go_style": ({"nomad_server_servicemonitor_interval": "1.5m"},
                                         "nomad_server_servicemonitor_interval: '1.5m' is not a Prometheus duration"),
    # Kubernetes names and labels
    "extra_label_key": ({"nomad_server_extra_labels": {"team name": "edge"}},
                        "nomad_server_extra_labels: key 'team name' is not a Kubernetes label key"),
    "extra_label_value": ({"nomad_server_extra_labels": {"team": "edge team"}},
                          "nomad_server_extra_labels.team: 'edge team' is not a Kubernetes label value"),
    "node_selector_value": ({"nomad_server_node_selector": {"zone": "-a"}}, "nomad_server_node_selector.zone: '-a' is not a Kubernetes label value"),
    "annotation_key": ({"nomad_server_edge_service_annotations": {"lb/pool/name": "x"}},
                       "nomad_server_edge_service_annotations: key 'lb/pool/name' is not a Kubernetes label key"),
    "topology_key": ({"nomad_server_topology_spread_key": "zone name"}, "nomad_server_topology_spread_key: 'zone name' is not a Kubernetes label key"),
    "redundancy_zone_label": ({"nomad_server_redundancy_zone_label": "/zone"}, "nomad_server_redundancy_zone_label: '/zone' is not a Kubernetes label key"),
    "pull_secret_name": ({"nomad_server_image_pull_secrets": ["Quay_Pull"]}, "nomad_server_image_pull_secrets[0]: 'Quay_Pull' is not a DNS subdomain"),
    "storage_class_name": ({"nomad_server_storage_class": "Fast SSD"}, "nomad_server_storage_class: 'Fast SSD' is not a DNS subdomain"),
    "gossip_secret_name": ({"nomad_server_gossip_key_secret_name": "Gossip_Key"}, "nomad_server_gossip_key_secret_name: 'Gossip_Key' is not a DNS subdomain"),
    "tls_secret_name": ({"nomad_server_tls_secret_name": "TLS"}, "nomad_server_tls_secret_name: 'TLS' is not a DNS subdomain"),
    "name_leading_digit": ({"nomad_server_name": "1nomad"}, "nomad_server_name: '1nomad' must be a DNS label (RFC 1035"),
    "grace_period_negative": ({"nomad_server_termination_grace_period": -1}, "nomad_server_termination_grace_period: -1 is not an integer >= 0"),
    # Autopilot against Nomad's schema (the issue: "an Autopilot duration written in words")
    "autopilot_duration_words": ({"nomad_server_autopilot": {"last_contact_threshold": "two hundred milliseconds"}},
                                 "nomad_server_autopilot.last_contact_threshold: 'two hundred milliseconds' is not a Go duration"),
    "autopilot_duration_no_unit": ({"nomad_server_autopilot": {"server_stabilization_time": "10"}},
                                   "nomad_server_autopilot.server_stabilization_time: '10' is not a Go duration"),
    "autopilot_int_words": ({"nomad_server_autopilot": {"max_trailing_logs": "many"}}, "nomad_server_autopilot.max_trailing_logs: 'many' is not an integer"),
    "autopilot_misspelt": ({"nomad_server_autopilot": {"cleanup_dead_server": True}},
                           "nomad_server_autopilot.cleanup_dead_server: is not a Nomad agent setting (did you mean 'cleanup_dead_servers'?)"),
    # extra config against Nomad's schema, stricter than Nomad, and no override of managed keys
    "extra_bootstrap_expect": ({"nomad_server_extra_config": {"server": {"bootstrap_expect": 5}}},
                               "nomad_server_extra_config.server.bootstrap_expect: is set by the role; use nomad_server_replicas instead"),
    "extra_misspelt": ({"nomad_server_extra_config": {"server": {"job_gc_treshold": "4h"}}},
                       "nomad_server_extra_config.server.job_gc_treshold: is not a Nomad agent setting (did you mean 'job_gc_threshold'?)"),
    "extra_unknown_block": ({"nomad_server_extra_config": {"telemetri": {"disable_hostname": True}}},
                            "nomad_server_extra_config.telemetri: is not a Nomad agent setting (did you mean 'telemetry'?)"),
    "extra_deep_unknown": ({"nomad_server_extra_config": {"server": {"default_scheduler_config": {"scheduler_algoritm": "spread"}}}},
                           "nomad_server_extra_config.server.default_scheduler_config.scheduler_algoritm: is not a Nomad agent setting"
                           " (did you mean 'scheduler_algorithm'?)"),
    "extra_wrong_type": ({"nomad_server_extra_config": {"server": {"heartbeat_grace": "ten seconds"}}},
                         "nomad_server_extra_config.server.heartbeat_grace: 'ten seconds' is not a Go duration"),
    "extra_gossip_key": ({"nomad_server_extra_config": {"server": {"encrypt": "abc"}}},
                         "nomad_server_extra_config.server.encrypt: is set by the role; use nomad_server_gossip_key_source"),
    "extra_data_dir": ({"nomad_server_extra_config": {"data_dir": "/tmp"}},
                       "nomad_server_extra_config.data_dir: is set by the role and cannot be overridden: it is /nomad/data"),
    "extra_server_join": ({"nomad_server_extra_config": {"server": {"server_join": {"retry_join": ["x"]}}}},
                          "nomad_server_extra_config.server.server_join: is set by the role and cannot be overridden"),
    "extra_advertise": ({"nomad_server_extra_config": {"advertise": {"rpc": "10.0.0.1:4647"}}},
                        "nomad_server_extra_config.advertise: is set by the role; use nomad_server_advertise_address instead"),
    "extra_tls_file": ({"nomad_server_extra_config": {"tls": {"key_file": "/k"}}},
                       "nomad_server_extra_config.tls.key_file: is set by the role; use nomad_server_tls_source"),
    "extra_acl": ({"nomad_server_extra_config": {"acl": {"enabled": False}}},
                  "nomad_server_extra_config.acl.enabled: is set by the role; use nomad_server_acl_enabled instead"),
    "extra_enterprise_in_ce": ({"nomad_server_extra_config": {"sentinel": {}}},
                               "nomad_server_extra_config.sentinel: is a Nomad Enterprise setting"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nomad_server_typed")
    cases = {"valid_baseline": {}, "valid_typed": GOOD}
    cases.update({case_id: overrides for case_id, (overrides, _text) in CASES.items()})
    out = run_role_cases(tmp, {case_id: {**BASE, **overrides, "nomad_server_render_dir": str(tmp / "render" / case_id)}
                               for case_id, overrides in cases.items()}, role="edgeops.nomad.nomad_server")
    out["__render__"] = tmp / "render"
    return out


@pytest.mark.parametrize("case_id", ["valid_baseline", "valid_typed"])
def test_good_typed_values_pass(results, case_id):
    assert results.get(case_id) == {"ok": True}, results.get(case_id) or results["__log__"]


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_bad_typed_value_is_refused_by_preflight_before_any_change(results, case_id):
    record = results.get(case_id)
    assert record is not None, results["__log__"]
    assert record["ok"] is False, "accepted: %s" % case_id
    # the preflight assert refused it (not a templating error, not a traceback) ...
    assert record["task"].startswith("Check inputs"), record
    assert "Traceback (most recent call last)" not in record["exception"] + record["msg"], record
    # ... naming the variable and the path inside it, and what is allowed ...
    assert CASES[case_id][1] in record["msg"], record["msg"]
    # ... and nothing was rendered
    assert not (results["__render__"] / case_id).exists()


def test_every_failure_message_starts_with_a_variable(results):
    for case_id in CASES:
        for part in results[case_id]["msg"].split(" | "):
            assert part.startswith("nomad_server_"), part
