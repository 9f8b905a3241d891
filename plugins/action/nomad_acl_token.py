# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the module of the same name and hides the whole result from output when it carries a secret.

The registered variable keeps ``secret_id`` (so a play can store it in Vault or a Secret), but the
callback shows "censored" for that task, even at -vvv. A module cannot do this alone: ansible
removes internal ``_ansible_*`` keys from module results.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    """Execute the module; mark results that contain a secret as no_log."""

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(self._execute_module(task_vars=task_vars))
        if result.get("secret_id") or result.get("jwt"):  # nomad_acl_token/_bootstrap, nomad_client_intro_token
            result["_ansible_no_log"] = True
        return result
