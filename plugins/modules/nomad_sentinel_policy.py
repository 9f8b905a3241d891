#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_sentinel_policy
short_description: Manage Nomad Enterprise Sentinel policies
version_added: 0.1.0
description:
  - Creates, updates or deletes a Sentinel policy (C(GET/PUT/DELETE /v1/sentinel/policy/:name)), the
    governance rules Nomad Enterprise checks when a job, a dynamic host volume or a CSI volume is submitted.
  - B(Nomad Enterprise only.) A community-edition cluster answers every Sentinel path with
    C(501 Nomad Enterprise only endpoint); the module's first read meets that answer and the task fails with
    a message saying so, before anything is written (in check mode too, with any token).
  - Sentinel policies are replicated from the authoritative region of a federation; writes are forwarded there.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description: Policy name.
    type: str
    required: true
  state:
    description: V(present) creates or updates it, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Free text. Left as is when not set.
    type: str
  scope:
    description:
      - What the policy is checked on (C(api/sentinel.go) C(SentinelScope*)). Required to create a policy.
    type: str
    choices: [submit-job, submit-host-volume, submit-csi-volume]
  enforcement_level:
    description:
      - V(advisory) logs a failure, V(soft-mandatory) refuses unless the submitter overrides (C(policy_override),
        capability C(sentinel-override)), V(hard-mandatory) always refuses.
      - Defaults to V(advisory) when the policy is created (as Nomad's CLI does); left as is afterwards when not set.
    type: str
    choices: [advisory, soft-mandatory, hard-mandatory]
  policy:
    description:
      - The policy text (Sentinel language). Required to create a policy. Read a file with
        C(lookup('ansible.builtin.file', 'policies/x.sentinel')).
    type: str
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
notes:
  - Needs a management token, and ACLs enabled on the cluster (Nomad's documentation of the Sentinel API).
"""

EXAMPLES = r"""
- name: Only the docker and exec drivers at the edge
  edgeops.nomad.nomad_sentinel_policy:
    name: edge-drivers
    description: Edge sites run docker and exec only
    scope: submit-job
    enforcement_level: hard-mandatory
    policy: "{{ lookup('ansible.builtin.file', 'sentinel/edge-drivers.sentinel') }}"

- name: Remove it
  edgeops.nomad.nomad_sentinel_policy:
    name: edge-drivers
    state: absent
"""

RETURN = r"""
sentinel_policy:
  description: The policy as Nomad returns it after the change (as read before it in check mode or when deleted).
  returned: success
  type: dict
  sample:
    Name: edge-drivers
    Description: Edge sites run docker and exec only
    Scope: submit-job
    EnforcementLevel: hard-mandatory
    Policy: "main = rule { all job.task_groups as tg { all tg.tasks as t { t.driver in [\"docker\", \"exec\"] } } }"
    CreateIndex: 210
    ModifyIndex: 214
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError, NomadInputError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_edition import enterprise_only
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

FIELDS = ("Name", "Description", "Scope", "EnforcementLevel", "Policy")
OPTIONS = (("description", "Description"), ("scope", "Scope"), ("enforcement_level", "EnforcementLevel"),
           ("policy", "Policy"))


def comparable(policy):
    if policy is None:
        return None
    return dict((key, policy.get(key) or "") for key in FIELDS)


def main():
    module = NomadModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            description=dict(type="str"),
            scope=dict(type="str", choices=["submit-job", "submit-host-volume", "submit-csi-volume"]),
            enforcement_level=dict(type="str", choices=["advisory", "soft-mandatory", "hard-mandatory"]),
            policy=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    client = module.client
    path = client.path("v1", "sentinel", "policy", p["name"])
    result = dict(sentinel_policy={})
    try:
        with enterprise_only("sentinel_policy"):
            resp = client.get_or_none(path, namespaced=False)
        current = resp.data if resp else None
        before = comparable(current)
        result["sentinel_policy"] = current or {}
        after = None
        if p["state"] == "present":
            if current is None:
                missing = [opt for opt in ("scope", "policy") if not p[opt]]
                if missing:
                    raise NomadInputError("%s: required to create Sentinel policy %r" % (", ".join(missing), p["name"]))
                after = dict(Name=p["name"], Description="", EnforcementLevel="advisory")
            else:
                after = dict(before)
            for opt, key in OPTIONS:
                if p[opt] is not None:
                    after[key] = p[opt]

        def write():
            # whole-object upsert keyed by name, as the Go client sends it (api/sentinel.go Upsert): safe to retry
            client.put(path, body=after, namespaced=False, idempotent=True)
            result["sentinel_policy"] = client.get(path, namespaced=False).data

        module.ensure(result, before, after, write=write, delete=lambda: client.delete(path, namespaced=False))
    except NomadAPIError as exc:
        module.fail_api(exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
