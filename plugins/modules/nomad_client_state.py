#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_client_state
short_description: Compare a Nomad client host with its wanted state in one module run (Linux)
version_added: 0.1.0
description:
  - Compares, in one run on the host, the files a Nomad client needs (binary, agent configuration,
    TLS material, introduction token, systemd unit) by SHA-256, mode and owner, the directories by
    type, mode and owner, and the systemd service (enabled, running, no pending daemon-reload), and
    returns the labels of what differs in RV(differs).
  - With O(gather_facts=true) it also returns the few facts the role needs (system, architecture, OS family,
    distribution, its major version and release), computed the way C(ansible.builtin.setup) computes them
    (gather_subset platform and distribution), so a host needs no C(setup) run of its own.
  - It changes nothing, except the directories when O(fix_directories=true) (created with their parents,
    mode and owner set, as C(ansible.builtin.file) with C(state=directory) would). The role
    C(edgeops.nomad.nomad_client) runs it first and then only the task groups whose label is in
    RV(differs), so an already converged Linux host costs this one module run, fact gathering included.
  - Secrets never reach the host through this module, since the wanted state of a file is its SHA-256,
    computed on the controller.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  files:
    description:
      - Files to compare.
    type: list
    elements: dict
    default: []
    suboptions:
      label:
        description:
          - Name reported in RV(differs) when this file differs (several files may share one label).
        type: str
        required: true
      path:
        description:
          - Absolute path on the host.
        type: path
        required: true
      sha256:
        description:
          - SHA-256 (hex) of the wanted content. An empty value means the wanted content is not known to
            the caller, and the file is reported as differing.
          - Ignored when O(files[].sha256_by_architecture) is set.
        type: str
        default: ''
      sha256_by_architecture:
        description:
          - SHA-256 (hex) of the wanted content by the host's architecture (as the C(architecture) fact names it,
            for example V(x86_64) or V(aarch64)), for a file whose content depends on it (a binary), so that the caller
            does not need to know the architecture before this run. An architecture missing from the dict means
            the wanted content is not known, and the file is reported as differing.
        type: dict
      mode:
        description:
          - Wanted permission bits as an octal string (for example V(0640)). Not compared when not set.
        type: str
      owner:
        description:
          - Wanted owner (user name). Not compared when not set.
        type: str
      group:
        description:
          - Wanted group (group name). Not compared when not set.
        type: str
  directories:
    description:
      - Directories to compare; any difference is reported as the label V(directories).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description:
          - Absolute path on the host.
        type: path
        required: true
      mode:
        description:
          - Wanted permission bits as an octal string (for example V(0700)).
        type: str
      owner:
        description:
          - Wanted owner (user name).
        type: str
      group:
        description:
          - Wanted group (group name).
        type: str
  fix_directories:
    description:
      - Create missing directories of O(directories) (missing parents too, C(0755)) and set their mode and
        owner, instead of reporting them as V(directories) in RV(differs). Reports C(changed) when it did (or,
        in check mode, would).
    type: bool
    default: false
  gather_facts:
    description:
      - Return RV(ansible_facts) (set as the host's facts) with C(system), C(architecture), C(os_family),
        C(distribution), C(distribution_version), C(distribution_major_version), C(distribution_release).
    type: bool
    default: false
  service:
    description:
      - A systemd service that must be enabled and running; a difference is reported as the label
        V(service). A unit file changed on disk but not reloaded by systemd (C(NeedDaemonReload=yes))
        counts as a difference.
    type: dict
    suboptions:
      name:
        description:
          - Unit name (without C(.service)).
        type: str
        required: true
      restart_when_newer:
        description:
          - Files, or directories (their files down to two levels, as C(find -maxdepth 2)), that the service
            reads at start. When one was modified after the service's main process started
            (C(ExecMainStartTimestamp); systemd >= 248 for microseconds, otherwise not checked), a run was
            interrupted after writing it and before restarting the service, and the label
            V(restart_pending) is reported.
        type: list
        elements: path
        default: []
notes:
  - Linux only (C(os.stat), C(pwd), C(grp), C(systemctl)).
  - With O(service), the host must run systemd as its init system. On a host where it does not (a container
    started without systemd, a chroot, an image being built), the module fails and says so. It checks
    C(/run/systemd/system) the way C(sd_booted(3)) does, and fails as well when C(systemctl) is missing or
    C(systemctl show) fails. The agent service cannot be managed on such a host.
  - The module reads files on the host to hash them; it needs the privileges to read them.
seealso:
  - name: edgeops.nomad.nomad_client role
    description: The role that uses this module for its converged-host fast path.
    link: https://github.com/edgeops/edgeops.nomad/blob/main/roles/nomad_client/README.md
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Compares the same way; with O(fix_directories=true) it reports what it would change and changes nothing.
  diff_mode:
    support: full
    details: >-
      With C(--diff), returns the differing items before (as found) and after (as wanted); file
      contents appear as SHA-256 only.
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Compare the host with the wanted state
  edgeops.nomad.nomad_client_state:
    files:
      - label: config
        path: /etc/nomad.d/client.hcl
        sha256: "{{ lookup('ansible.builtin.template', 'client.hcl.j2') | hash('sha256') }}"
        mode: "0640"
        owner: root
        group: root
    directories:
      - {path: /etc/nomad.d, mode: "0750", owner: root, group: root}
      - {path: /opt/nomad/data, mode: "0700", owner: root, group: root}
    fix_directories: true  # create or fix them here instead of reporting them
    service:
      name: nomad
  register: client_state

- name: Write the configuration only when it differs
  ansible.builtin.copy:
    content: "{{ lookup('ansible.builtin.template', 'client.hcl.j2') }}"
    dest: /etc/nomad.d/client.hcl
    mode: "0640"
  when: "'config' in client_state.differs"
"""

RETURN = r"""
ansible_facts:
  description: >-
    With O(gather_facts=true): the facts C(ansible.builtin.setup) gives under these names (gather_subset platform
    and distribution), from the same code (C(platform.system), C(platform.machine), Ansible's distribution
    collector).
  returned: when O(gather_facts=true)
  type: dict
  sample: {system: Linux, architecture: x86_64, os_family: Debian, distribution: Debian, distribution_version: "12.7",
           distribution_major_version: "12", distribution_release: bookworm}
differs:
  description: >-
    Sorted labels of what differs (file labels, V(directories), V(service), V(restart_pending)); empty when
    converged.
  returned: always
  type: list
  elements: str
  sample: [config, service]
converged:
  description: V(true) when nothing differs.
  returned: always
  type: bool
  sample: false
files:
  description: One entry per compared file, in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - {label: config, path: /etc/nomad.d/client.hcl, exists: true, content_ok: false, mode: "0640",
       owner: root, group: root, reasons: [content]}
directories:
  description: One entry per compared directory, in the order given (C(fixed=true) when O(fix_directories) changed it).
  returned: always
  type: list
  elements: dict
  sample:
    - {path: /opt/nomad/data, exists: true, mode: "0755", owner: root, group: root, reasons: [mode], fixed: true}
service:
  description: What systemd reports for the service (empty when O(service) is not set).
  returned: always
  type: dict
  sample: {name: nomad, unit_file_state: enabled, active_state: active, need_daemon_reload: false, reasons: [],
           restart_pending: [/etc/nomad.d/client.hcl], main_pid: "4242", started_monotonic: "81234567"}
"""

import datetime
import grp
import hashlib
import os
import platform
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.facts.system.distribution import Distribution

# systemd states that `systemctl is-enabled` answers with exit code 0 (what ansible.builtin.systemd_service
# treats as enabled), and the active states it treats as running (is_running_service: active, activating).
ENABLED_STATES = ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated", "transient")
RUNNING_STATES = ("active", "activating")
# Exists while systemd runs as the init system (sd_booted(3)).
SYSTEMD_RUN_DIR = "/run/systemd/system"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def compare_meta(found, want, reasons):
    """found: os.stat result; want: dict with optional mode/owner/group. Appends to reasons, returns found as text."""
    have = {"mode": "%04o" % stat.S_IMODE(found.st_mode), "owner": user_name(found.st_uid),
            "group": group_name(found.st_gid)}
    if want.get("mode") and int(want["mode"], 8) != stat.S_IMODE(found.st_mode):
        reasons.append("mode")
    for key in ("owner", "group"):
        if want.get(key) and want[key] != have[key]:
            reasons.append(key)
    return have


# The facts the role reads, by the names ansible.builtin.setup gives them.
DISTRIBUTION_FACTS = ("os_family", "distribution", "distribution_version", "distribution_major_version",
                      "distribution_release")


def gather_facts(module):
    """What setup's platform and distribution subsets give for these names, from the same code.

    ansible.module_utils.facts.system.platform: system = platform.system(), architecture = platform.machine()
    on Linux (its x86_64/i386 and Solaris/AIX adjustments do not apply there); the distribution facts come from
    ansible.module_utils.facts.system.distribution.Distribution, as in setup.
    """
    facts = {"system": platform.system(), "architecture": platform.machine()}
    found = Distribution(module=module).get_distribution_facts()
    facts.update((key, found.get(key, "NA")) for key in DISTRIBUTION_FACTS)
    return facts


def wanted_sha256(item, architecture):
    """The SHA-256 the caller wants for this file on this host ('' when not known)."""
    if item.get("sha256_by_architecture") is not None:
        return str(item["sha256_by_architecture"].get(architecture) or "")
    return item.get("sha256") or ""


def compare_file(item):
    entry = {"label": item["label"], "path": item["path"], "exists": False, "content_ok": False, "reasons": []}
    try:
        found = os.stat(item["path"])
    except OSError:
        entry["reasons"].append("missing")
        return entry, None
    entry["exists"] = True
    if not stat.S_ISREG(found.st_mode):
        entry["reasons"].append("not a regular file")
        return entry, None
    entry.update(compare_meta(found, item, entry["reasons"]))
    have = sha256_of(item["path"])
    entry["content_ok"] = bool(item["sha256"]) and have == item["sha256"].lower()
    if not entry["content_ok"]:
        entry["reasons"].append("content")
    return entry, have


def compare_directory(item):
    entry = {"path": item["path"], "exists": False, "reasons": []}
    try:
        found = os.stat(item["path"])
    except OSError:
        entry["reasons"].append("missing")
        return entry
    entry["exists"] = True
    if not stat.S_ISDIR(found.st_mode):
        entry["reasons"].append("not a directory")
        return entry
    entry.update(compare_meta(found, item, entry["reasons"]))
    return entry


def fix_directory(module, item, entry):
    """Create the directory (and missing parents, 0755) and set mode and owner; return True when something changed."""
    if "not a directory" in entry["reasons"]:
        module.fail_json(msg="%s exists and is not a directory" % item["path"])
    try:
        uid = pwd.getpwnam(item["owner"]).pw_uid if item.get("owner") else -1
        gid = grp.getgrnam(item["group"]).gr_gid if item.get("group") else -1
    except KeyError as err:
        module.fail_json(msg="%s: no such user or group %s" % (item["path"], err))
    if module.check_mode:
        return True
    try:
        if not entry["exists"]:
            parent = os.path.dirname(item["path"].rstrip("/"))
            if parent and not os.path.isdir(parent):
                os.makedirs(parent, 0o755)
            os.mkdir(item["path"], int(item["mode"], 8) if item.get("mode") else 0o755)
        if item.get("mode"):
            os.chmod(item["path"], int(item["mode"], 8))
        if uid != -1 or gid != -1:
            os.chown(item["path"], uid, gid)
    except OSError as err:
        module.fail_json(msg="could not create or set %s: %s" % (item["path"], err))
    return True


def started_at(module, systemctl, name):
    """Start of the service's main process as a UTC timestamp in seconds, or None when systemd does not say."""
    rc, out, dummy = module.run_command([systemctl, "show", name + ".service", "--property=ExecMainStartTimestamp",
                                         "--timestamp=us+utc", "--value"])
    text = out.strip()
    if rc != 0 or not text or text == "n/a":
        return None
    try:  # "Sun 2026-11-29 09:30:01.123456 UTC"
        when = datetime.datetime.strptime(" ".join(text.split()[1:3]), "%Y-%m-%d %H:%M:%S.%f")
    except ValueError:
        return None
    return (when - datetime.datetime(1970, 1, 1)).total_seconds()


def newer_files(paths, since):
    """Files among paths (directories: their files down to two levels) modified after since."""
    found = []
    for path in paths:
        if os.path.isfile(path):
            candidates = [path]
        elif os.path.isdir(path):
            candidates = []
            for entry in os.listdir(path):
                sub = os.path.join(path, entry)
                if os.path.isdir(sub):
                    candidates.extend(os.path.join(sub, x) for x in os.listdir(sub))
                else:
                    candidates.append(sub)
        else:
            continue
        for candidate in candidates:
            try:
                info = os.stat(candidate)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_mtime > since:
                found.append(candidate)
    return sorted(found)


class SystemdUnavailable(Exception):
    """The host cannot tell the state of a systemd service: no systemctl, or systemd is not its init system."""


def compare_service(module, name):
    """The service's state as systemd reports it; raises SystemdUnavailable when systemd cannot be asked."""
    entry = {"name": name, "reasons": [], "restart_pending": []}
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        raise SystemdUnavailable("systemctl is not installed on this host")
    # sd_booted(3): systemd is the running init system if and only if /run/systemd/system exists (a container
    # started without systemd as PID 1, a chroot, an image being built: systemctl is there, systemd is not).
    if not os.path.isdir(SYSTEMD_RUN_DIR):
        raise SystemdUnavailable("systemd is not running as the init system (%s does not exist)" % SYSTEMD_RUN_DIR)
    rc, out, err = module.run_command(
        [systemctl, "show", name + ".service",
         "--property=LoadState,UnitFileState,ActiveState,NeedDaemonReload,MainPID,ExecMainStartTimestampMonotonic"])
    if rc != 0:
        raise SystemdUnavailable("`systemctl show %s.service` failed (exit %s): %s" % (name, rc, err.strip() or out.strip()))
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    entry.update({"load_state": props.get("LoadState", ""), "unit_file_state": props.get("UnitFileState", ""),
                  "active_state": props.get("ActiveState", ""),
                  "need_daemon_reload": props.get("NeedDaemonReload", "no") == "yes",
                  # who runs it since when: a later read that differs means the service was restarted in between
                  "main_pid": props.get("MainPID", ""), "started_monotonic": props.get("ExecMainStartTimestampMonotonic", "")})
    if entry["load_state"] != "loaded":
        entry["reasons"].append("not loaded")
    if entry["unit_file_state"] not in ENABLED_STATES:
        entry["reasons"].append("not enabled")
    if entry["active_state"] not in RUNNING_STATES:
        entry["reasons"].append("not running")
    if entry["need_daemon_reload"]:
        entry["reasons"].append("unit changed on disk, not reloaded")
    paths = module.params["service"]["restart_when_newer"]
    if paths and entry["active_state"] in RUNNING_STATES:
        since = started_at(module, systemctl, name)
        if since is not None:
            entry["restart_pending"] = newer_files(paths, since)
    return entry


def main():
    meta = {"mode": {"type": "str"}, "owner": {"type": "str"}, "group": {"type": "str"}}
    file_spec = dict(meta, label={"type": "str", "required": True}, path={"type": "path", "required": True},
                     sha256={"type": "str", "default": ""}, sha256_by_architecture={"type": "dict"})
    dir_spec = dict(meta, path={"type": "path", "required": True})
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "list", "elements": "dict", "default": [], "options": file_spec},
            "directories": {"type": "list", "elements": "dict", "default": [], "options": dir_spec},
            "fix_directories": {"type": "bool", "default": False},
            "gather_facts": {"type": "bool", "default": False},
            "service": {"type": "dict", "options": {
                "name": {"type": "str", "required": True},
                "restart_when_newer": {"type": "list", "elements": "path", "default": []}}},
        },
        supports_check_mode=True,
    )
    for item in module.params["files"] + module.params["directories"]:
        if item.get("mode"):
            try:
                int(item["mode"], 8)
            except ValueError:
                module.fail_json(msg="mode of %s must be an octal string like 0644 (got %r)" % (item["path"], item["mode"]))

    facts = gather_facts(module) if module.params["gather_facts"] else {}
    architecture = facts.get("architecture") or platform.machine()
    for item in module.params["files"]:
        item["sha256"] = wanted_sha256(item, architecture)

    # The service first: on a host where systemd cannot be asked the module fails before it changes anything.
    service = {}
    if module.params["service"]:
        try:
            service = compare_service(module, module.params["service"]["name"])
        except SystemdUnavailable as err:
            module.fail_json(
                msg="service %s: %s. The Nomad client agent runs as a systemd service: this host needs systemd as its "
                    "init system (PID 1); containers without it, chroots and images being built are not supported"
                    % (module.params["service"]["name"], err))

    differs = set()
    before, after = {}, {}
    files = []
    for item in module.params["files"]:
        entry, have = compare_file(item)
        files.append(entry)
        if entry["reasons"]:
            differs.add(item["label"])
            before[item["path"]] = {"sha256": have, "mode": entry.get("mode"), "owner": entry.get("owner"),
                                    "group": entry.get("group")} if entry["exists"] else None
            after[item["path"]] = {"sha256": item["sha256"] or "(not known here)", "mode": item.get("mode"),
                                   "owner": item.get("owner"), "group": item.get("group")}
    directories = []
    changed = False
    for item in module.params["directories"]:
        entry = compare_directory(item)
        directories.append(entry)
        if entry["reasons"]:
            before[item["path"] + "/"] = {"mode": entry.get("mode"), "owner": entry.get("owner"),
                                          "group": entry.get("group")} if entry["exists"] else None
            after[item["path"] + "/"] = {"mode": item.get("mode"), "owner": item.get("owner"), "group": item.get("group")}
            if module.params["fix_directories"]:
                entry["fixed"] = changed = fix_directory(module, item, entry)
            else:
                differs.add("directories")
    if module.params["service"]:
        if service["reasons"]:
            differs.add("service")
            before["service " + service["name"]] = {"unit_file_state": service.get("unit_file_state"),
                                                    "active_state": service.get("active_state")}
            after["service " + service["name"]] = {"unit_file_state": "enabled", "active_state": "active"}
        if service["restart_pending"]:
            differs.add("restart_pending")

    result = {"changed": changed, "differs": sorted(differs), "converged": not differs, "files": files,
              "directories": directories, "service": service}
    if facts:
        result["ansible_facts"] = facts
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
