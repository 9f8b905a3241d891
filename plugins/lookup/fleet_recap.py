# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_recap
short_description: The recap that the edgeops.nomad.fleet_recap callback keeps of this run, or wrote for a past one
version_added: 0.1.0
description:
  - Without a term, the recap of the current run so far, as the
    P(edgeops.nomad.fleet_recap#callback) callback keeps it,
    every host's recap counts up to the task before this one, whether it was unreachable, the first task that
    failed on it. An empty dictionary when the callback is not enabled.
  - With a term, the final recap that the callback wrote at the end of a past run (its C(recap_file) option).
  - Input of the P(edgeops.nomad.fleet_report#filter) filter.
options:
  _terms:
    description: Path of a recap file written by the callback (at most one). None for the current run.
    type: list
    elements: path
    required: false
"""

EXAMPLES = r"""
- name: The current run's recap (the callback must be enabled)
  ansible.builtin.debug:
    msg: "{{ lookup('edgeops.nomad.fleet_recap').hosts | default({}) | length }} hosts recorded"

- name: A past run's recap
  ansible.builtin.set_fact:
    past_recap: "{{ lookup('edgeops.nomad.fleet_recap', '/var/log/ansible/fleet-recap.json') }}"
"""

RETURN = r"""
_raw:
  description: One dictionary (empty when nothing is recorded).
  type: list
  elements: dict
  contains:
    final:
      description: Whether these are Ansible's final counts (written at the end of a run).
      type: bool
    check_mode:
      description: Whether the run was a check (C(--check)) run.
      type: bool
    playbooks:
      description: The playbook files of the run.
      type: list
      elements: str
    hosts:
      description:
        - Per host the recap counts (C(ok), C(changed), C(unreachable), C(failed), C(skipped), C(rescued), C(ignored)),
          C(unreachable_results) (unreachable results, ignored ones included), C(unreachable_msg), C(failed_task)
          and C(failed_msg).
      type: dict
"""

import json
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

# The variable the callback sets in the controller's main process (plugins/callback/fleet_recap.py LIVE_ENV).
LIVE_ENV = "EDGEOPS_FLEET_RECAP_LIVE"


def read_recap(path):
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise AnsibleLookupError("fleet_recap: cannot read the recap %s: %s" % (path, exc))
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), dict):
        raise AnsibleLookupError("fleet_recap: %s is not a recap written by edgeops.nomad.fleet_recap" % path)
    return data


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        terms = [t for t in terms or [] if t]
        if len(terms) > 1:
            raise AnsibleLookupError("fleet_recap: at most one recap file, got %d" % len(terms))
        if terms:
            return [read_recap(terms[0])]
        live = os.environ.get(LIVE_ENV)
        if not live or not os.path.exists(live):
            return [{}]
        return [read_recap(live)]
