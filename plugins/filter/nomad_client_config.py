# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parts of a Nomad client's agent configuration built from the nomad_client role's variables.

* ``nomad_client_plugins``: the ``plugin`` blocks for the role's driver switches, with
  ``nomad_client_driver_config`` merged over them.
* ``nomad_client_driver_denylist``: the ``client.options["driver.denylist"]`` value that keeps the
  drivers switched off from loading.
* ``nomad_client_drivers_configured_off``: settings given for a driver that is switched off.
* ``nomad_client_host_volumes``: ``client.host_volume`` from the role's list of host volumes.
* ``nomad_client_host_volume_directories``: the directories the role creates for them.
* ``nomad_client_tls_file_states``: the wanted TLS files for the one-call compare of a Linux host.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# Role switch (the driver's name in Nomad) -> the name of its plugin block. exec, java and docker are built
# into the nomad binary and load whether or not a plugin block names them
# (helper/pluginutils/catalog/register_cgo.go registers them; client/client.go passes only
# "driver.allowlist"/"driver.denylist" to the driver manager, whose isDriverBlocked,
# client/pluginmanager/drivermanager/manager.go, is the only way to keep one out). podman is an external
# plugin that also loads from plugin_dir without a block. raw_exec is off through its own `enabled`
# setting (drivers/rawexec), so it is not in this table.
BLOCKS = {"exec": "exec", "java": "java", "docker": "docker", "podman": "nomad-driver-podman"}
# Nomad reads the first of these options that is set (client/config/config.go ReadAlternativeDefault).
DENYLIST_KEYS = ("driver.denylist", "driver.blacklist")


def _switches(switches, name):
    if not isinstance(switches, Mapping):
        raise AnsibleFilterError("%s: expected a dict of driver switches, got %s" % (name, type(switches).__name__))
    unknown = sorted(set(switches) - set(BLOCKS) - {"raw_exec"})
    if unknown:
        raise AnsibleFilterError("%s: unknown driver switch(es) %s (known: %s)"
                                 % (name, ", ".join(unknown), ", ".join(sorted(set(BLOCKS) | {"raw_exec"}))))
    return switches


def _merge(base, over):
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def nomad_client_plugins(switches, driver_config=None, linux=True):
    """``plugin`` blocks: raw_exec always (with ``enabled`` from its switch), exec on Linux only,
    java, docker and nomad-driver-podman when switched on; then ``driver_config`` (block name ->
    ``config`` settings) merged recursively over them, adding blocks for other drivers."""
    switches = _switches(switches, "nomad_client_plugins")
    driver_config = driver_config or {}
    if not isinstance(driver_config, Mapping):
        raise AnsibleFilterError("nomad_client_plugins: driver_config must be a dict, got %s" % type(driver_config).__name__)
    plugins = {"raw_exec": {"config": {"enabled": boolean(switches.get("raw_exec", False), strict=False)}}}
    for switch, block in BLOCKS.items():
        if boolean(switches.get(switch, False), strict=False) and (switch != "exec" or linux):
            plugins[block] = {"config": {}}
    for block, config in driver_config.items():
        if not isinstance(config, Mapping):
            raise AnsibleFilterError("nomad_client_plugins: the config of driver %r must be a dict" % (block,))
        plugins[block] = {"config": _merge(plugins.get(block, {}).get("config", {}), config)}
    return plugins


def nomad_client_driver_denylist(switches, options=None):
    """Comma-separated drivers to keep from loading: each switched-off driver of ``BLOCKS`` plus
    those already in ``options``' "driver.denylist" (or its old name "driver.blacklist"). Empty when
    there is none, so the caller renders no option."""
    switches = _switches(switches, "nomad_client_driver_denylist")
    options = options or {}
    if not isinstance(options, Mapping):
        raise AnsibleFilterError("nomad_client_driver_denylist: options must be a dict, got %s" % type(options).__name__)
    denied = [driver for driver in BLOCKS if driver in switches and not boolean(switches[driver], strict=False)]
    for key in DENYLIST_KEYS:
        if key in options:
            denied += [d.strip() for d in str(options[key]).split(",") if d.strip()]
            break
    return ",".join(sorted(set(denied)))


def nomad_client_drivers_configured_off(switches, driver_config=None):
    """Keys of ``driver_config`` that name a driver whose switch is off (by block or driver name), in
    their order: its settings would be rendered for a driver that is denied or disabled."""
    switches = _switches(switches, "nomad_client_drivers_configured_off")
    off = {"raw_exec"} if not boolean(switches.get("raw_exec", False), strict=False) else set()
    for switch in BLOCKS:
        if switch in switches and not boolean(switches[switch], strict=False):
            off |= {switch, BLOCKS[switch]}
    return [key for key in (driver_config or {}) if key in off]


def nomad_client_host_volumes(volumes):
    """``client.host_volume``: volume name -> {path, read_only}; owner and mode are the role's, not Nomad's."""
    if not isinstance(volumes, list):
        raise AnsibleFilterError("nomad_client_host_volumes: expected a list of volumes, got %s" % type(volumes).__name__)
    out = {}
    for volume in volumes:
        if not isinstance(volume, Mapping) or "name" not in volume or "path" not in volume:
            raise AnsibleFilterError("nomad_client_host_volumes: each volume needs a name and a path, got %r" % (volume,))
        out[volume["name"]] = {"path": volume["path"], "read_only": boolean(volume.get("read_only", False), strict=False)}
    return out


def nomad_client_host_volume_directories(volumes):
    """The directories of the host volumes as the role creates them: path, mode (default 0755), owner and
    group (default root); Nomad's keys (name, read_only) are left out."""
    if not isinstance(volumes, list):
        raise AnsibleFilterError("nomad_client_host_volume_directories: expected a list of volumes, got %s" % type(volumes).__name__)
    out = []
    for volume in volumes:
        if not isinstance(volume, Mapping) or "path" not in volume:
            raise AnsibleFilterError("nomad_client_host_volume_directories: each volume needs a path, got %r" % (volume,))
        out.append({"path": volume["path"], "mode": str(volume.get("mode") or "0755"),
                    "owner": volume.get("owner") or "root", "group": volume.get("group") or "root"})
    return out


def nomad_client_tls_file_states(tls_files, material, tls_dir, separator="/"):
    """The wanted state of each TLS file for edgeops.nomad.nomad_client_state: label ``tls``, its path in
    ``tls_dir``, the SHA-256 of the PEM text the role writes (hashed here on the controller, so no key
    material is sent to the host for the compare), its mode, owner and group root."""
    if not isinstance(material, Mapping):
        raise AnsibleFilterError("nomad_client_tls_file_states: the TLS material must be a dict of PEM texts")
    out = []
    for item in tls_files:
        if item["key"] not in material:
            raise AnsibleFilterError("nomad_client_tls_file_states: no TLS material %r" % (item["key"],))
        out.append({"label": "tls", "path": "%s%s%s" % (tls_dir, separator, item["file"]),
                    "sha256": hashlib.sha256(str(material[item["key"]]).encode("utf-8")).hexdigest(),
                    "mode": item["mode"], "owner": "root", "group": "root"})
    return out


class FilterModule:
    def filters(self):
        return {
            "_nomad_client_plugins": nomad_client_plugins,
            "_nomad_client_driver_denylist": nomad_client_driver_denylist,
            "_nomad_client_drivers_configured_off": nomad_client_drivers_configured_off,
            "_nomad_client_host_volumes": nomad_client_host_volumes,
            "_nomad_client_host_volume_directories": nomad_client_host_volume_directories,
            "_nomad_client_tls_file_states": nomad_client_tls_file_states,
        }
