# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""edgeops.nomad.nomad_client: every typed input (nested ones included) goes through the
shared validators in tasks/preflight.yml; nomad_client_extra_config, nomad_client_vault and nomad_client_consul are
checked against Nomad's key schema and the extra config cannot override what the role manages.

One ansible-playbook run of the shared role harness (tests/roles/_role_harness.py) in check mode with the
install/configure/service tags skipped (nothing past preflight could touch the host even if a case were wrongly
accepted). Each case records the failed task and its message:
the refusal must come from the preflight assert (not a templating error, not a traceback), start with the
variable (and the path inside it) and say what is allowed. A baseline with good non-default typed values passes.
"""

from __future__ import annotations

import pytest

from _harness import WINDOWS_AMD64, run_preflight_cases

PREFLIGHT_TASK = "Preflight | Check inputs"
GOOD = {
    "nomad_client_servers": ["nomad-lb.example.test", "10.0.0.10:4647", "[2001:db8::10]:4647", "2001:db8::11", "lb:65535"],
    "nomad_client_host_volumes": [{"name": "data", "path": "/srv/data", "read_only": True, "mode": "0750"}],
    "nomad_client_reserved": {"cpu": 500, "memory": 512, "disk": 1024, "reserved_ports": "22,8000-8100", "cores": "0-1"},
    "nomad_client_drain_on_shutdown": {"deadline": "5m", "force": False, "ignore_system_jobs": True},
    "nomad_client_vault": {"address": "https://vault.example.test:8200", "enabled": True, "jwt_auth_backend_path": "jwt-nomad"},
    "nomad_client_consul": {"address": "127.0.0.1:8500", "grpc_address": "127.0.0.1:8502"},
    "nomad_client_extra_config": {"client": {"options": {"driver.allowlist": "docker,exec"}, "max_dynamic_port": 30000},
                                  "telemetry": {"publish_allocation_metrics": True, "collection_interval": "10s"},
                                  "limits": {"http_max_conns_per_client": 200}},
    "nomad_client_log_file": "/var/log/nomad/nomad.log",
    "nomad_client_retry_interval": "1m30s",
}
WIN = {"__nomad_client_host": WINDOWS_AMD64}

# id -> (role vars over the valid baseline, text the refusal must contain)
CASES = {
    # server addresses (the issue: port 0 or 99999 in nomad_client_servers)
    "servers_port_0": ({"nomad_client_servers": ["lb.example.test:0"]},
                       "nomad_client_servers entries must be host or host:port with a port from 1 to 65535"),
    "servers_port_99999": ({"nomad_client_servers": ["lb.example.test:4647", "lb.example.test:99999"]},
                           "bad: ['lb.example.test:99999']"),
    "servers_port_name": ({"nomad_client_servers": ["lb:rpc"]}, "bad: ['lb:rpc']"),
    "servers_bad_ipv4": ({"nomad_client_servers": ["10.0.0.300:4647"]}, "bad: ['10.0.0.300:4647']"),
    "servers_not_a_string": ({"nomad_client_servers": [4647]}, "nomad_client_servers entries must be host or host:port"),
    # extra config against Nomad's schema (the issue: a misspelt key in nomad_client_extra_config)
    "extra_misspelt": ({"nomad_client_extra_config": {"client": {"gc_max_alloc": 10}}},
                       "nomad_client_extra_config.client.gc_max_alloc: is not a Nomad agent setting (did you mean 'gc_max_allocs'?)"),
    "extra_misspelt_block": ({"nomad_client_extra_config": {"telemetri": {"collection_interval": "1s"}}},
                             "nomad_client_extra_config.telemetri: is not a Nomad agent setting (did you mean 'telemetry'?)"),
    "extra_deep_unknown": ({"nomad_client_extra_config": {"client": {"template": {"function_denylst": ["plugin"]}}}},
                           "nomad_client_extra_config.client.template.function_denylst: is not a Nomad agent setting"),
    "extra_wrong_type": ({"nomad_client_extra_config": {"client": {"max_dynamic_port": "lots"}}},
                         "nomad_client_extra_config.client.max_dynamic_port: 'lots' is not an integer"),
    "extra_node_pool": ({"nomad_client_extra_config": {"client": {"node_pool": "other"}}},
                        "nomad_client_extra_config.client.node_pool: is set by the role; use nomad_client_node_pool instead"),
    "extra_servers": ({"nomad_client_extra_config": {"client": {"server_join": {"retry_join": ["x"]}}}},
                      "nomad_client_extra_config.client.server_join: is set by the role; use nomad_client_servers"),
    "extra_tls_key": ({"nomad_client_extra_config": {"tls": {"key_file": "/k.pem"}}},
                      "nomad_client_extra_config.tls.key_file: is set by the role; use nomad_client_tls_source"),
    "extra_acl": ({"nomad_client_extra_config": {"acl": {"enabled": False}}},
                  "nomad_client_extra_config.acl: is set by the role; use nomad_client_acl_enabled instead"),
    "extra_data_dir": ({"nomad_client_extra_config": {"data_dir": "/tmp/nomad"}},
                       "nomad_client_extra_config.data_dir: is set by the role; use nomad_client_data_dir"),
    "extra_server_block": ({"nomad_client_extra_config": {"server": {"enabled": True}}},
                           "nomad_client_extra_config.server: is set by the role and cannot be overridden: this host is a Nomad client"),
    "extra_newer_than_version": ({"nomad_client_version": "1.10.5", "nomad_client_extra_config": {"client": {"common_plugin_dir": "/opt/p"}}},
                                 "nomad_client_extra_config.client.common_plugin_dir: needs Nomad >= 1.11.0 (the role installs 1.10.5)"),
    # vault / consul blocks against the schema (Nomad itself silently ignores unknown keys there)
    "vault_misspelt": ({"nomad_client_vault": {"adress": "https://vault:8200"}},
                       "nomad_client_vault.adress: is not a Nomad agent setting (did you mean 'address'?)"),
    "vault_bool_word": ({"nomad_client_vault": {"enabled": "yes"}}, "nomad_client_vault.enabled: 'yes' is not a boolean"),
    "consul_misspelt": ({"nomad_client_consul": {"tokn": "x"}}, "nomad_client_consul.tokn: is not a Nomad agent setting (did you mean 'token'?)"),
    "consul_duration_words": ({"nomad_client_consul": {"timeout": "five seconds"}},
                              "nomad_client_consul.timeout: 'five seconds' is not a Go duration"),
    # reserved (the issue: a memory quantity in words)
    "reserved_memory_words": ({"nomad_client_reserved": {"memory": "one gigabyte"}},
                              "nomad_client_reserved.memory: 'one gigabyte' is not an integer >= 0"),
    "reserved_cpu_negative": ({"nomad_client_reserved": {"cpu": -1}}, "nomad_client_reserved.cpu: -1 is not an integer >= 0"),
    "reserved_ports_syntax": ({"nomad_client_reserved": {"reserved_ports": "22;80"}},
                              "nomad_client_reserved.reserved_ports: '22;80' is not a list of ports and ranges"),
    "reserved_ports_range": ({"nomad_client_reserved": {"reserved_ports": "8100-8000"}}, "nomad_client_reserved.reserved_ports: '8100-8000'"),
    "reserved_cores": ({"nomad_client_reserved": {"cores": "3-0"}}, "nomad_client_reserved.cores: '3-0' is not a CPU set"),
    "reserved_unknown_key": ({"nomad_client_reserved": {"memroy": 512}},
                             "nomad_client_reserved.memroy: unknown key (did you mean 'memory'?)"),
    # drain, host volumes, durations, paths
    "drain_force_word": ({"nomad_client_drain_on_shutdown": {"force": "yes"}}, "nomad_client_drain_on_shutdown.force: 'yes' is not a boolean"),
    "drain_deadline_words": ({"nomad_client_drain_on_shutdown": {"deadline": "five minutes"}}, "nomad_client_drain_on_shutdown accepts deadline"),
    "volume_read_only_word": ({"nomad_client_host_volumes": [{"name": "d", "path": "/srv", "read_only": "no"}]},
                              "nomad_client_host_volumes[0].read_only: 'no' is not a boolean"),
    "volume_mode_unquoted": ({"nomad_client_host_volumes": [{"name": "d", "path": "/srv", "mode": 493}]},
                             "nomad_client_host_volumes mode must be an octal string"),
    "volume_windows_path_on_linux": ({"nomad_client_host_volumes": [{"name": "d", "path": "C:\\data"}]},
                                     "nomad_client_host_volumes paths must be absolute (bad: d)"),
    "volume_linux_path_on_windows": ({**WIN, "nomad_client_host_volumes": [{"name": "d", "path": "/srv"}]},
                                     "nomad_client_host_volumes paths must be absolute (bad: d)"),
    "retry_interval_no_unit": ({"nomad_client_retry_interval": "30"}, "nomad_client_retry_interval must be a Go duration"),
    "kill_timeout_days": ({"nomad_client_max_kill_timeout": "1d"}, "nomad_client_max_kill_timeout must be a Go duration"),
    "data_dir_relative": ({"nomad_client_data_dir": "opt/nomad"}, "nomad_client_data_dir: 'opt/nomad' is not an absolute path"),
    "config_dir_relative": ({"nomad_client_config_dir": "nomad.d"}, "nomad_client_config_dir: 'nomad.d' is not an absolute path"),
    "bin_dir_relative": ({"nomad_client_bin_dir": "bin"}, "nomad_client_bin_dir: 'bin' is not an absolute path"),
    "windows_base_dir_relative": ({"nomad_client_windows_base_dir": "ProgramData\\nomad"},
                                  "nomad_client_windows_base_dir: 'ProgramData\\nomad' is not an absolute path"),
    "log_file_relative": ({"nomad_client_log_file": "nomad.log"}, "nomad_client_log_file: 'nomad.log' is not an absolute path"),
    "download_url_ftp": ({"nomad_client_download_base_url": "ftp://mirror/nomad"}, "nomad_client_download_base_url must be an http(s):// or file:// URL"),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    cases = {case_id: overrides for case_id, (overrides, _text) in CASES.items()}
    cases["valid_typed"] = GOOD
    cases["valid_typed_windows"] = {**GOOD, **WIN, "nomad_client_log_file": "C:\\ProgramData\\nomad\\nomad.log",
                                    "nomad_client_host_volumes": [{"name": "d", "path": "D:\\data"}]}
    return run_preflight_cases(tmp_path_factory.mktemp("typed"), cases)


@pytest.mark.parametrize("case_id", ["valid_typed", "valid_typed_windows"])
def test_good_typed_values_pass(outcomes, case_id):
    assert outcomes.get(case_id) == {"ok": True}, outcomes.get(case_id) or outcomes["__log__"]


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_bad_typed_value_is_refused_by_preflight(outcomes, case_id):
    outcome = outcomes.get(case_id)
    assert outcome is not None, outcomes["__log__"]
    assert outcome["ok"] is False, f"{case_id} was accepted"
    assert outcome["task"].startswith(PREFLIGHT_TASK), outcome
    assert "Traceback (most recent call last)" not in outcome["msg"] + outcome["exception"], outcome
    assert CASES[case_id][1] in outcome["msg"], outcome["msg"]
    assert all(part.startswith("nomad_client_") for part in outcome["msg"].split(" | ")), outcome["msg"]
