# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad inputs to edgeops.nomad.nomad_client fail in preflight (argument specs or asserts) with a message
naming the variable, before any host change.

All cases run in ONE ansible-playbook run of the shared role harness (tests/roles/_role_harness.py), in
check mode with the install/configure/service tags skipped, so nothing past preflight/set_vars can run even if a
case were wrongly accepted; the tests below check the recorded failures.
"""

from __future__ import annotations

import pytest

from _harness import LINUX_AMD64, NO_TLS_FILES, WINDOWS_AMD64, run_preflight_cases

WIN = {"__nomad_client_host": WINDOWS_AMD64}


def host(**facts):
    return {"__nomad_client_host": {**LINUX_AMD64, **facts}}


# id -> (role vars over the valid baseline, text the failure message must contain)
CASES = {
    "version_not_semver": ({"nomad_client_version": "2.0"}, "nomad_client_version must look like X.Y.Z"),
    "version_word": ({"nomad_client_version": "latest"}, "nomad_client_version must look like X.Y.Z"),
    "version_too_old": ({"nomad_client_version": "1.7.7"}, "nomad_client_version 1.7.7 is not supported"),
    "node_pool_bad_chars": ({"nomad_client_node_pool": "edge pool!"}, "nomad_client_node_pool must match"),
    "node_pool_too_long": ({"nomad_client_node_pool": "p" * 129}, "nomad_client_node_pool must match"),
    "node_pool_empty": ({"nomad_client_node_pool": ""}, "nomad_client_node_pool must match"),
    "node_pool_all": ({"nomad_client_node_pool": "all"}, "nomad_client_node_pool must match"),
    "host_volume_relative_path": (
        {"nomad_client_host_volumes": [{"name": "data", "path": "srv/data"}]},
        "nomad_client_host_volumes paths must be absolute (bad: data)",
    ),
    "host_volume_missing_path": ({"nomad_client_host_volumes": [{"name": "data"}]}, "nomad_client_host_volumes"),
    "host_volume_bad_mode": (
        {"nomad_client_host_volumes": [{"name": "data", "path": "/srv/data", "mode": "rwx"}]},
        "nomad_client_host_volumes mode must be an octal string",
    ),
    "host_volume_duplicate_name": (
        {"nomad_client_host_volumes": [{"name": "d", "path": "/srv/a"}, {"name": "d", "path": "/srv/b"}]},
        "nomad_client_host_volumes names must be unique",
    ),
    "driver_config_for_a_switched_off_driver": (
        {"nomad_client_driver_config": {"docker": {"allow_privileged": False}, "qemu": {}}},
        "nomad_client_driver_config configures docker, which the matching nomad_client_driver_* switch keeps from loading",
    ),
    "servers_empty": ({"nomad_client_servers": []}, "nomad_client_servers needs at least one server address"),
    "servers_with_scheme": ({"nomad_client_servers": ["https://lb:4647"]}, "nomad_client_servers entries must be host"),
    "retry_max_negative": ({"nomad_client_retry_max": -1}, "nomad_client_retry_max must be >= 0"),
    "tls_files_partial": ({"nomad_client_tls_key_file": ""}, "set all three or none"),
    # TLS is on by default: no material and no explicit opt-out is refused.
    "tls_default_without_files": (NO_TLS_FILES, "nomad_client_tls_ca_file with nomad_client_tls_cert_file and nomad_client_tls_key_file is required"),
    "tls_enabled_removed": ({"nomad_client_tls_enabled": False}, "nomad_client_tls_enabled was removed"),
    "tls_vault_without_path": ({"nomad_client_tls_source": "vault"}, "nomad_client_tls_vault_path is required with nomad_client_tls_source=vault"),
    "drain_deadline_not_duration": ({"nomad_client_drain_on_shutdown": {"deadline": "5 minutes"}}, "nomad_client_drain_on_shutdown accepts"),
    "arch_armv7l": (host(architecture="armv7l"), "needs a 64-bit OS"),
    "arch_i686": (host(architecture="i686"), "needs a 64-bit OS"),
    # a family is supported by a vars file of its own (roles/nomad_client/vars/Debian.yml says how); Suse has none
    "os_family_unsupported": (host(os_family="Suse", distribution="SLES"),
                              "os_family=Suse architecture=x86_64 (supported: the OS families with a vars file in the "
                              "role, Debian, RedHat, Windows;"),
    "system_darwin": (host(system="Darwin", os_family="Darwin"), "unsupported OS or architecture"),
    "arch_unknown": (host(architecture="riscv64"), "unsupported OS or architecture"),
    "windows_arm64": ({"__nomad_client_host": {**WINDOWS_AMD64, "architecture": "aarch64"}}, "unsupported OS or architecture"),
    "install_method_unknown": ({"nomad_client_install_method": "curl"}, "nomad_client_install_method"),
    "install_package_on_windows": ({**WIN, "nomad_client_install_method": "package"}, "nomad_client_install_method must be archive on Windows"),
    # HashiCorp's package owns /etc/nomad.d: its nomad.hcl (a one-node server) would be merged with the role's file
    # (command/agent/config.go LoadConfigDir, ServerConfig.Merge), and its postinst chowns the directory to nomad.
    "package_config_in_the_packages_dir": (
        {"nomad_client_install_method": "package", "nomad_client_config_dir": "/etc/nomad.d"},
        "nomad_client_config_dir is /etc/nomad.d, inside /etc/nomad.d, which the nomad package owns",
    ),
    "package_config_under_the_packages_dir": (
        {"nomad_client_install_method": "package", "nomad_client_config_dir": "/etc/nomad.d/client/"},
        "nomad_client_config_dir is /etc/nomad.d/client/, inside /etc/nomad.d",
    ),
    "gpg_key_missing": ({"nomad_client_gpg_key": ""}, "nomad_client_gpg_key holds no ASCII-armoured public key"),
    "gpg_fingerprint_malformed": ({"nomad_client_gpg_fingerprint": "72D7468F"}, "nomad_client_gpg_fingerprint must be a 40-hex-digit"),
    "download_url_not_http": ({"nomad_client_download_base_url": "ftp://mirror/nomad"}, "nomad_client_download_base_url must be"),
    "intro_token_needs_1_11": (
        {"nomad_client_version": "1.10.5", "nomad_client_intro_token": "t"},
        "nomad_client_intro_token needs Nomad >= 1.11.0",
    ),
    "intro_token_environment_on_windows": (
        {**WIN, "nomad_client_intro_token": "t", "nomad_client_intro_token_method": "environment"},
        "nomad_client_intro_token_method must be file on Windows",
    ),
    "vault_needs_1_10": ({"nomad_client_version": "1.9.7", "nomad_client_vault": {"enabled": True}}, "nomad_client_vault"),
    "gc_threshold_over_100": ({"nomad_client_gc_disk_usage_threshold": 150}, "nomad_client_gc_disk_usage_threshold"),
    "gc_max_allocs_zero": ({"nomad_client_gc_max_allocs": 0}, "nomad_client_gc_max_allocs"),
    "max_kill_timeout_not_duration": ({"nomad_client_max_kill_timeout": "30 seconds"}, "nomad_client_max_kill_timeout must be a Go duration"),
    "retry_interval_not_duration": ({"nomad_client_retry_interval": "soon"}, "nomad_client_retry_interval must be a Go duration"),
    "log_level_unknown": ({"nomad_client_log_level": "LOUD"}, "nomad_client_log_level"),
    "meta_bad_key": ({"nomad_client_meta": {"bad key": "x"}}, "nomad_client_meta keys"),
    "meta_not_a_dict": ({"nomad_client_meta": ["site", "a"]}, "nomad_client_meta"),
    "reserved_negative_cpu": ({"nomad_client_reserved": {"cpu": -1}}, "nomad_client_reserved"),
    "reserved_unknown_key": ({"nomad_client_reserved": {"gpu": 1}}, "nomad_client_reserved"),
    "node_class_bad_chars": ({"nomad_client_node_class": "a b"}, "nomad_client_node_class"),
    "region_empty": ({"nomad_client_region": ""}, "nomad_client_region"),
}
# Several bad inputs at once: preflight is one table of rules and reports every violation in one failure
# each message starting with the variable to fix.
MANY = {
    "nomad_client_version": "2.0",
    "nomad_client_node_pool": "all",
    "nomad_client_retry_max": -1,
    "nomad_client_gc_max_allocs": 0,
    "nomad_client_host_volumes": [{"name": "data", "path": "srv/data"}],
    **NO_TLS_FILES,
}
MANY_EXPECTED = [
    "nomad_client_version must look like X.Y.Z",
    "nomad_client_node_pool must match",
    "nomad_client_retry_max must be >= 0",
    "nomad_client_gc_max_allocs must be > 0",
    "nomad_client_host_volumes paths must be absolute",
    "nomad_client_tls_ca_file with nomad_client_tls_cert_file and nomad_client_tls_key_file is required",
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    cases = {case_id: overrides for case_id, (overrides, _expected) in CASES.items()}
    cases.update(valid_baseline={}, valid_windows=WIN, many_at_once=MANY,
                 valid_package={"nomad_client_install_method": "package"},
                 valid_package_own_dir={"nomad_client_install_method": "package", "nomad_client_config_dir": "/etc/nomad.d-client"},
                 valid_archive_in_etc_nomad_d={"nomad_client_config_dir": "/etc/nomad.d"},
                 valid_redhat=host(os_family="RedHat", distribution="Rocky"))
    return run_preflight_cases(tmp_path_factory.mktemp("preflight"), cases)


def refusal(outcomes, case_id):
    record = outcomes.get(case_id)
    assert record is not None, outcomes["__log__"]
    assert record["ok"] is False, f"{case_id} was accepted"
    return record["msg"]


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_bad_input_is_rejected_naming_the_variable(outcomes, case_id):
    message = refusal(outcomes, case_id)
    assert CASES[case_id][1] in message, message


@pytest.mark.parametrize("case_id", ["valid_baseline", "valid_windows", "valid_package", "valid_package_own_dir",
                                     "valid_archive_in_etc_nomad_d", "valid_redhat"])
def test_valid_input_passes_preflight(outcomes, case_id):
    assert outcomes.get(case_id) == {"ok": True}, outcomes.get(case_id) or outcomes["__log__"]


def test_every_violation_is_reported_at_once(outcomes):
    message = refusal(outcomes, "many_at_once")
    missing = [text for text in MANY_EXPECTED if text not in message]
    assert not missing, message
    # one " | "-separated entry per failed rule, each starting with the variable name
    entries = message.split(" | ")
    assert len(entries) == len(MANY_EXPECTED), entries
    assert all(entry.startswith("nomad_client_") for entry in entries), entries
