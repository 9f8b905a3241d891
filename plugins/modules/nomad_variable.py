#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_variable
short_description: Manage Nomad variables with check-and-set
version_added: 0.1.0
description:
  - Create, replace or delete a Nomad variable (C(GET/PUT/DELETE /v1/var/:path)) in the O(namespace).
  - Every write uses check-and-set (C(?cas=)) with the ModifyIndex read at the start of the task, or
    O(cas) when given, so a concurrent change makes the task fail instead of being overwritten.
  - Item values are treated as secrets - they never appear in results or diffs, only a
    short SHA-256 fingerprint per key does.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  path:
    description:
      - Variable path, matching C(^[a-zA-Z0-9-_~/]{1,128}$). Below C(nomad/) only C(nomad/jobs),
        C(nomad/job-templates) and C(nomad/sentinel) are allowed.
    type: str
    required: true
  items:
    description:
      - The variable's items (string keys and values). Replaces all items. Required with O(state=present).
    type: dict
  state:
    description:
      - Whether the variable should exist.
    type: str
    choices: [present, absent]
    default: present
  cas:
    description:
      - Expected ModifyIndex of the variable (V(0) = it must not exist yet). Overrides the index read
        at the start of the task.
    type: int
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Values are shown as fingerprints, never in clear text.
  platform:
    platforms: all
"""

EXAMPLES = r"""
- name: Registry credentials for the edge jobs
  edgeops.nomad.nomad_variable:
    namespace: edge
    path: nomad/jobs/telemetry
    items:
      registry_user: edge
      registry_password: "{{ vault_registry_password }}"

- name: Create only if nobody created it first
  edgeops.nomad.nomad_variable:
    path: config/site
    items: {site: factory-1}
    cas: 0
"""

RETURN = r"""
variable:
  description: Metadata of the variable (no items) after the change; before it when deleted or in check mode.
  returned: success
  type: dict
  sample: {Namespace: edge, Path: nomad/jobs/telemetry, CreateIndex: 40, ModifyIndex: 41}
item_keys:
  description: Sorted item keys of the variable as it is now.
  returned: success
  type: list
  elements: str
"""

import hashlib
import re

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError,
    NomadConflictError,
)
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

PATH_RE = re.compile(r"^[a-zA-Z0-9\-_~/]{1,128}$")
NOMAD_ALLOWED = re.compile(r"^nomad/(jobs|job-templates|sentinel)(/|$)")


def fingerprints(items):
    if items is None:
        return None
    return dict((k, "sha256:" + hashlib.sha256(v.encode("utf-8")).hexdigest()[:12]) for k, v in sorted(items.items()))


def meta(var):
    return dict((k, v) for k, v in (var or {}).items() if k != "Items")


def main():
    module = NomadModule(
        argument_spec=dict(
            path=dict(type="str", required=True),
            items=dict(type="dict", no_log=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            cas=dict(type="int"),
        ),
        required_if=[("state", "present", ["items"])],
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"].strip("/")
    if not PATH_RE.match(path) or (path.split("/")[0] == "nomad" and not NOMAD_ALLOWED.match(path)):
        module.fail_json(msg="path: %r is not a valid variable path" % p["path"])
    if p["state"] == "present" and not p["items"]:
        module.fail_json(msg="items: at least one item is required")
    items = dict((str(k), "" if v is None else str(v)) for k, v in (p["items"] or {}).items())
    if p["cas"] is not None and p["cas"] < 0:
        module.fail_json(msg="cas: must be 0 or more")

    client = module.client
    api_path = client.path("v1", "var", path)
    try:
        resp = client.get_or_none(api_path)
        current = resp.data if resp else None
        before = (current or {}).get("Items") if current else None
        after = items if p["state"] == "present" else None
        changed = before != after
        result = dict(changed=changed, variable=meta(current), item_keys=sorted((before or {}).keys()))
        cas = p["cas"] if p["cas"] is not None else (current["ModifyIndex"] if current else 0)
        if p["cas"] is not None and cas != (current["ModifyIndex"] if current else 0):
            module.fail_json(msg="cas: expected ModifyIndex %d, the variable is at %d"
                             % (cas, current["ModifyIndex"] if current else 0))
        if changed and not module.check_mode:
            try:
                if after is None:
                    client.delete(api_path, query={"cas": cas}, idempotent=False)
                    result.update(variable=meta(current), item_keys=[])
                else:
                    body = {"Namespace": client.namespace or "default", "Path": path, "Items": after}
                    var = client.put(api_path, body=body, query={"cas": cas}).data
                    result.update(variable=meta(var), item_keys=sorted(after))
            except NomadConflictError as exc:
                now = exc.current or {}
                msg = "Nomad API %s %s: check-and-set conflict, the variable changed meanwhile " \
                      "(expected ModifyIndex %d, now %s)" % (exc.method, exc.path, cas, now.get("ModifyIndex", "unknown"))
                module.fail_json(msg=msg, status=exc.status)
        module.add_diff(result, fingerprints(before), fingerprints(after))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
