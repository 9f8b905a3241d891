#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_job_info
short_description: Read Nomad jobs
version_added: 0.1.0
description:
  - With O(name), reads one job (C(GET /v1/job/:id)); otherwise lists jobs (C(GET /v1/jobs)) in the
    O(namespace) (V(*) for all), optionally by ID O(prefix). Never changes anything.
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  name:
    description: Job ID to read. A missing job gives an empty list, not an error.
    type: str
  prefix:
    description: Only jobs whose ID starts with this.
    type: str
extends_documentation_fragment:
  - edgeops.nomad.nomad.read_only
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: All jobs in all namespaces
  edgeops.nomad.nomad_job_info:
    namespace: "*"
  register: all_jobs

- name: One job
  edgeops.nomad.nomad_job_info:
    name: telemetry
    namespace: edge
  register: telemetry
"""

RETURN = r"""
jobs:
  description: Full job with O(name) (a list of one, or empty), otherwise job list stubs.
  returned: always
  type: list
  elements: dict
  sample: [{ID: telemetry, Name: telemetry, Namespace: edge, Type: service, Status: running, Version: 3}]
"""

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule


def main():
    module = NomadModule(
        argument_spec=dict(name=dict(type="str"), prefix=dict(type="str")),
        mutually_exclusive=[("name", "prefix")],
        supports_check_mode=True,
    )
    p = module.params
    client = module.client
    try:
        if p["name"]:
            resp = client.get_or_none(client.path("v1", "job", p["name"]))
            jobs = [resp.data] if resp else []
        else:
            jobs = client.get("/v1/jobs", query={"prefix": p["prefix"]}).data or []
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(changed=False, jobs=jobs)


if __name__ == "__main__":
    main()
