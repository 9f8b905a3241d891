#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_snapshot
short_description: Save or restore Nomad server state snapshots
version_added: 0.1.0
description:
  - V(save) downloads a snapshot (C(GET /v1/operator/snapshot)) to O(path) on the host running the
    module, mode C(0600) (it holds the keyring since Nomad 1.9), checking Nomad's C(Digest) header.
    An existing O(path) is kept unless O(force=true), so a re-run changes nothing.
  - V(restore) uploads O(path) (C(PUT /v1/operator/snapshot)) and replaces the cluster's state.
    It is guarded - it needs O(confirm_restore=true), and the archive's checksums are verified
    locally before anything is sent. A restore always reports a change.
  - Both need a management token.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  operation:
    description:
      - What to do.
    type: str
    choices: [save, restore]
    default: save
  path:
    description:
      - Snapshot file on the host that runs the module.
    type: path
    required: true
  force:
    description:
      - With V(save), overwrite an existing file.
    type: bool
    default: false
  stale:
    description:
      - With V(save), let any server answer, not only the leader (useful without a leader).
    type: bool
    default: false
  confirm_restore:
    description:
      - Must be V(true) for V(restore), to acknowledge that the cluster's state is replaced.
    type: bool
    default: false
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Nightly snapshot
  edgeops.nomad.nomad_snapshot:
    path: /var/backups/nomad/{{ ansible_date_time.date }}.snap
  delegate_to: localhost

- name: Restore into a freshly built cluster
  edgeops.nomad.nomad_snapshot:
    operation: restore
    path: /var/backups/nomad/2026-11-24.snap
    confirm_restore: true
"""

RETURN = r"""
path:
  description: Snapshot file.
  returned: success
  type: str
  sample: /var/backups/nomad/nomad-2026-11-29.snap
size:
  description: Size in bytes of the snapshot written or uploaded.
  returned: when a snapshot was written or uploaded
  type: int
  sample: 284672
sha256:
  description: SHA-256 (hex) of the snapshot file.
  returned: when a snapshot was written or uploaded
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
index:
  description: Raft index of the saved snapshot (C(X-Nomad-Index)).
  returned: when saved
  type: int
  sample: 1873
"""

import base64
import gzip
import hashlib
import io
import os
import tarfile
import tempfile

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError, NomadStateError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def verify_archive(data):
    """Raise ValueError unless ``data`` is a gzip'd tar whose SHA256SUMS match its members."""
    try:
        with tarfile.open(fileobj=gzip.GzipFile(fileobj=io.BytesIO(data)), mode="r") as tar:
            files = dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile())
    except (OSError, EOFError, tarfile.TarError) as exc:
        raise ValueError("not a Nomad snapshot archive: %s" % exc)
    if "SHA256SUMS" not in files or "state.bin" not in files:
        raise ValueError("not a Nomad snapshot archive: SHA256SUMS or state.bin missing")
    for line in files["SHA256SUMS"].decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        digest, name = line.split(None, 1)
        name = name.strip().lstrip("*")
        if name not in files or hashlib.sha256(files[name]).hexdigest() != digest:
            raise ValueError("checksum mismatch for %s" % name)


def save(module, client):
    """Download a snapshot to ``path`` (0600, atomically); return the result. Raises NomadStateError
    when the download does not match Nomad's Digest header."""
    p = module.params
    if os.path.exists(p["path"]) and not p["force"]:
        return dict(changed=False, path=p["path"])
    if module.check_mode:
        return dict(changed=True, path=p["path"])
    resp = client.get("/v1/operator/snapshot", query={"stale": True} if p["stale"] else None,
                      raw_response=True, namespaced=False)
    data = resp.data
    digest = (resp.header("Digest") or "")
    if digest.startswith("sha-256="):
        if base64.b64encode(hashlib.sha256(data).digest()).decode() != digest[len("sha-256="):]:
            raise NomadStateError("snapshot download is corrupt: Digest header does not match the body",
                                  method="GET", path="/v1/operator/snapshot")
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(p["path"])), prefix=".nomad-snapshot-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.rename(tmp, p["path"])
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dict(changed=True, path=p["path"], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                index=resp.index)


def restore(module, client, data):
    if not module.check_mode:
        client.request("PUT", "/v1/operator/snapshot", raw_body=data, namespaced=False)
    return dict(changed=True, path=module.params["path"], size=len(data), sha256=hashlib.sha256(data).hexdigest())


def main():
    module = NomadModule(
        argument_spec=dict(
            operation=dict(type="str", default="save", choices=["save", "restore"]),
            path=dict(type="path", required=True),
            force=dict(type="bool", default=False),
            stale=dict(type="bool", default=False),
            confirm_restore=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    data = None
    if p["operation"] == "save":
        directory = os.path.dirname(os.path.abspath(p["path"]))
        if not os.path.isdir(directory):
            module.fail_json(msg="path: directory %s does not exist" % directory)
    else:
        if not p["confirm_restore"]:
            module.fail_json(msg="confirm_restore: set it to true to replace the cluster's state with %s" % p["path"])
        if not os.path.isfile(p["path"]):
            module.fail_json(msg="path: %s does not exist" % p["path"])
        with open(p["path"], "rb") as handle:
            data = handle.read()
        try:
            verify_archive(data)
        except ValueError as exc:
            module.fail_json(msg="path: %s" % exc)
    client = module.client
    try:
        result = save(module, client) if p["operation"] == "save" else restore(module, client, data)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
