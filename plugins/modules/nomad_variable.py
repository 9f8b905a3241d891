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
  - Item values are treated as secrets - they never appear in results or diffs, not even as a
    hash (a short unsalted hash of a short secret can be brute-forced); the diff names the keys
    that are added, removed or changed.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  path:
    description:
      - Variable path, checked as Nomad checks it (C(nomad/structs/variables.go) C(ValidatePath)) -
        C(^[a-zA-Z0-9-_~/]{1,128}$); V(nomad) alone is reserved; below C(nomad/) only
        C(nomad/jobs[/...]), C(nomad/sentinel[/...]) and exactly one level below
        C(nomad/job-templates) (V(nomad/job-templates/<name>)) are allowed.
      - The path is used as given (no slashes are added or removed).
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
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  diff_mode:
    support: full
    details: Shows which keys are added, removed, changed or unchanged; never a value or a hash of one.
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
  sample: [password, username]
"""

import re

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError,
    NomadConflictError,
    NomadStateError,
)
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule
from ansible.module_utils.six.moves.urllib.parse import quote

# nomad/structs/variables.go validVariablePath
PATH_RE = re.compile(r"^[a-zA-Z0-9\-_~/]{1,128}$")


def path_error(path):
    """Nomad's ValidatePath (nomad/structs/variables.go, v2.0.5) in Python: None or Nomad's message."""
    if not path:
        return "variable requires path"
    if not PATH_RE.match(path):
        return "invalid path %r (allowed: ^[a-zA-Z0-9-_~/]{1,128}$)" % path
    parts = path.split("/")
    if parts[0] != "nomad":
        return None
    if len(parts) == 1:
        return ('"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", '
                '"nomad/job-templates", "nomad/sentinel", or below')
    if parts[1] in ("jobs", "sentinel"):
        return None
    if parts[1] == "job-templates" and len(parts) == 3:
        return None
    if parts[1] == "job-templates":
        return ('"nomad/job-templates" is a reserved directory path, but you may write variables at the level '
                'below it, for example, "nomad/job-templates/template-name"')
    return ('only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the '
            'top-level "nomad" directory')


def key_changes(before, after):
    """The --diff of a variable: per key only whether it is added, removed, changed or unchanged."""
    before, after = before or {}, after or {}
    old, new = {}, {}
    for key in sorted(set(before) | set(after)):
        if key not in after:
            old[key] = "(removed)"
        elif key not in before:
            new[key] = "(added)"
        elif before[key] != after[key]:
            old[key], new[key] = "(old value)", "(new value)"
        else:
            old[key] = new[key] = "(unchanged)"
    return old, new


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
    path = p["path"]
    error = path_error(path)
    if error:
        module.fail_json(msg="path: %s" % error)
    if p["state"] == "present" and not p["items"]:
        module.fail_json(msg="items: at least one item is required")
    items = dict((str(k), "" if v is None else str(v)) for k, v in (p["items"] or {}).items())
    if p["cas"] is not None and p["cas"] < 0:
        module.fail_json(msg="cas: must be 0 or more")

    client = module.client
    api_path = "/v1/var/" + quote(path, safe="/~")
    try:
        resp = client.get_or_none(api_path)
        current = resp.data if resp else None
        before = (current or {}).get("Items") if current else None
        after = items if p["state"] == "present" else None
        result = dict(variable=meta(current), item_keys=sorted((before or {}).keys()))
        cas = p["cas"] if p["cas"] is not None else (current["ModifyIndex"] if current else 0)
        if p["cas"] is not None and cas != (current["ModifyIndex"] if current else 0):
            raise NomadStateError("cas: expected ModifyIndex %d, the variable is at %d"
                                  % (cas, current["ModifyIndex"] if current else 0))

        def write():
            body = {"Namespace": client.namespace or "default", "Path": path, "Items": after}
            var = client.put(api_path, body=body, query={"cas": cas}).data  # cas: safe to retry
            result.update(variable=meta(var), item_keys=sorted(after))

        def delete():
            client.delete(api_path, query={"cas": cas})  # DELETE answers 204 (no body)
            result.update(variable=meta(current), item_keys=[])

        try:
            module.ensure(result, before, after, write=write, delete=delete)
        except NomadConflictError as exc:
            now = exc.current or {}
            if exc.attempts > 1 and after is not None and now.get("Items") == after:
                # the first attempt was applied but its answer was lost: the variable is as wanted
                result.update(variable=meta(now), item_keys=sorted(after))
                module.exit_json(**result)
            raise NomadStateError("check-and-set conflict, the variable changed meanwhile (expected ModifyIndex "
                                  "%d, now %s)" % (cas, now.get("ModifyIndex", "unknown")),
                                  method=exc.method, path=exc.path, status=exc.status)
        if "diff" in result:
            result["diff"]["before"], result["diff"]["after"] = key_changes(before, after)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
