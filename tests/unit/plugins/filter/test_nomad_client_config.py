"""The nomad_client role's driver and host-volume parts of the agent configuration.

Nomad v2.0.5 rules encoded here:
- exec, java, docker (and qemu, raw_exec) are built into the nomad binary and registered whether or not
  a plugin block names them (helper/pluginutils/catalog/register_cgo.go); the driver manager skips a
  driver only when it is in the client option "driver.denylist" (or outside "driver.allowlist")
  (client/client.go, client/pluginmanager/drivermanager/manager.go isDriverBlocked). So a switch that is
  off must deny the driver; leaving out its plugin block is not enough.
- Nomad reads the first option set of "driver.denylist", "driver.blacklist"
  (client/config/config.go ReadAlternativeDefault) and splits it on commas, trimming spaces (splitValue).
- raw_exec is off unless its config says enabled (drivers/rawexec), so its block always carries the switch.
"""

import hashlib

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.filter.nomad_client_config import (
    nomad_client_driver_denylist,
    nomad_client_drivers_configured_off,
    nomad_client_host_volume_directories,
    nomad_client_host_volumes,
    nomad_client_plugins,
    nomad_client_tls_file_states,
)

DEFAULTS = {"raw_exec": False, "exec": True, "java": False, "docker": False, "podman": False}


def test_defaults_render_raw_exec_disabled_and_exec():
    assert nomad_client_plugins(DEFAULTS, {}) == {"raw_exec": {"config": {"enabled": False}}, "exec": {"config": {}}}


def test_exec_has_no_block_on_windows():
    assert "exec" not in nomad_client_plugins(DEFAULTS, {}, linux=False)


def test_switched_on_drivers_get_their_blocks_podman_under_its_plugin_name():
    plugins = nomad_client_plugins(dict(DEFAULTS, raw_exec=True, java=True, docker=True, podman=True), {})
    assert plugins["raw_exec"] == {"config": {"enabled": True}}
    assert set(plugins) == {"raw_exec", "exec", "java", "docker", "nomad-driver-podman"}


def test_driver_config_merges_recursively_and_adds_blocks():
    plugins = nomad_client_plugins(dict(DEFAULTS, docker=True, raw_exec="yes"), {
        "docker": {"volumes": {"enabled": True}},
        "raw_exec": {"no_cgroups": True},
        "qemu": {"image_paths": ["/srv/vm"]},
    })
    assert plugins["raw_exec"] == {"config": {"enabled": True, "no_cgroups": True}}
    assert plugins["docker"] == {"config": {"volumes": {"enabled": True}}}
    assert plugins["qemu"] == {"config": {"image_paths": ["/srv/vm"]}}


def test_driver_config_may_override_a_nested_setting():
    first = nomad_client_plugins(DEFAULTS, {"exec": {"a": {"b": 1, "c": 2}}})
    assert first["exec"]["config"] == {"a": {"b": 1, "c": 2}}


def test_switched_off_builtin_drivers_are_denied_by_default():
    assert nomad_client_driver_denylist(DEFAULTS) == "docker,java,podman"


def test_every_switch_off_denies_exec_too():
    off = {k: False for k in DEFAULTS}
    assert nomad_client_driver_denylist(off).split(",") == ["docker", "exec", "java", "podman"]


def test_all_on_denies_nothing():
    assert nomad_client_driver_denylist({k: True for k in DEFAULTS}) == ""


def test_the_users_denylist_is_kept_and_spaces_trimmed_as_nomad_does():
    assert nomad_client_driver_denylist(DEFAULTS, {"driver.denylist": " qemu , docker"}) == "docker,java,podman,qemu"


def test_the_old_option_name_is_read_only_when_the_new_one_is_unset():
    assert nomad_client_driver_denylist(DEFAULTS, {"driver.blacklist": "qemu"}) == "docker,java,podman,qemu"
    both = {"driver.denylist": "", "driver.blacklist": "qemu"}
    assert nomad_client_driver_denylist(DEFAULTS, both) == "docker,java,podman"


def test_settings_for_a_switched_off_driver_are_found_by_block_or_driver_name():
    config = {"docker": {}, "nomad-driver-podman": {}, "podman": {}, "exec": {}, "qemu": {}, "raw_exec": {}}
    assert nomad_client_drivers_configured_off(DEFAULTS, config) == ["docker", "nomad-driver-podman", "podman", "raw_exec"]
    assert nomad_client_drivers_configured_off({k: True for k in DEFAULTS}, config) == []


def test_unknown_switches_are_refused():
    with pytest.raises(AnsibleFilterError, match="unknown driver switch"):
        nomad_client_plugins({"exce": True}, {})


def test_host_volumes_keep_only_nomads_keys():
    volumes = [
        {"name": "data", "path": "/srv/data", "owner": "nomad", "mode": "0750"},
        {"name": "certs", "path": "/etc/certs", "read_only": "yes"},
    ]
    assert nomad_client_host_volumes(volumes) == {
        "data": {"path": "/srv/data", "read_only": False},
        "certs": {"path": "/etc/certs", "read_only": True},
    }


@pytest.mark.parametrize("bad", [{"name": "x"}, "x", None])
def test_host_volumes_without_name_or_path_are_refused(bad):
    with pytest.raises(AnsibleFilterError):
        nomad_client_host_volumes([bad] if bad is not None else None)


def test_host_volume_directories_get_the_roles_defaults_and_lose_nomads_keys():
    volumes = [{"name": "data", "path": "/srv/data", "read_only": True},
               {"name": "logs", "path": "/srv/logs", "mode": "0750", "owner": "nomad", "group": "adm"}]
    assert nomad_client_host_volume_directories(volumes) == [
        {"path": "/srv/data", "mode": "0755", "owner": "root", "group": "root"},
        {"path": "/srv/logs", "mode": "0750", "owner": "nomad", "group": "adm"},
    ]


def test_tls_file_states_hash_exactly_the_text_the_role_writes():
    files = [{"key": "ca", "file": "ca.pem", "mode": "0644"}, {"key": "key", "file": "key.pem", "mode": "0600"}]
    material = {"ca": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "key": "k\u00e9y\n"}
    states = nomad_client_tls_file_states(files, material, "/etc/nomad.d/tls")
    assert states == [
        {"label": "tls", "path": "/etc/nomad.d/tls/ca.pem", "mode": "0644", "owner": "root", "group": "root",
         "sha256": hashlib.sha256(material["ca"].encode()).hexdigest()},
        {"label": "tls", "path": "/etc/nomad.d/tls/key.pem", "mode": "0600", "owner": "root", "group": "root",
         "sha256": hashlib.sha256("k\u00e9y\n".encode("utf-8")).hexdigest()},
    ]
    assert "MIIB" not in repr(states)


def test_tls_file_states_refuse_missing_material():
    with pytest.raises(AnsibleFilterError, match="no TLS material 'cert'"):
        nomad_client_tls_file_states([{"key": "cert", "file": "cert.pem", "mode": "0644"}], {}, "/t")
