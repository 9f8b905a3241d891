# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: write every task result (task name, status, host) to $RECORD_TASKS_FILE as JSON."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: record_tasks
type: aggregate
short_description: Record each task result for the tests (test helper, not shipped)
description: Writes [{task, status, host}] to the file named by the RECORD_TASKS_FILE environment variable.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = []

    def _add(self, result, status):
        self.results.append({"task": result._task.get_name(), "status": status, "host": result._host.get_name()})

    def v2_runner_on_ok(self, result, **kwargs):
        self._add(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._add(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._add(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["RECORD_TASKS_FILE"], "w", encoding="utf-8") as handle:
            json.dump(self.results, handle)
