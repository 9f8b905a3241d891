# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_recap
type: aggregate
short_description: Records every host's recap and outcome for the fleet report
version_added: 0.1.0
description:
  - Keeps, for every host of the run, the counts of Ansible's PLAY RECAP (ok, changed, unreachable, failed,
    skipped, rescued, ignored) and what a recap does not show, for the fleet report
    (P(edgeops.nomad.fleet_report#filter)). That is whether any of
    the host's results was unreachable (also one that a task ignored with C(ignore_unreachable), which the recap
    counts as C(ok) and C(ignored)), the first task that failed on it and that task's message (at most 300
    characters; results of C(no_log) tasks arrive censored and are kept censored).
  - During the run the counts are kept as the strategy counts them (an include counts once it is loaded, a
    failure inside a block with a C(rescue) section counts as rescued, C(meta) tasks do not count). The run's own
    tasks read them with the
    P(edgeops.nomad.fleet_recap#lookup) lookup, so a last play
    (on C(localhost)) can write the report and C(set_stats) it in the same run (an AAP job's artifacts).
  - At the end of the run Ansible's own final counts replace them and, with O(recap_file), are written to that
    file, for a report made after the run (playbook C(edgeops.nomad.fleet_report)).
  - Prints nothing. Enable it beside the output callback, for example with C(callbacks_enabled = edgeops.nomad.fleet_recap)
    in C(ansible.cfg) or E(ANSIBLE_CALLBACKS_ENABLED=edgeops.nomad.fleet_recap).
requirements:
  - Enabled in the configuration (C(callbacks_enabled)).
options:
  recap_file:
    description:
      - Where to write the run's final recap (JSON, mode 0600, replaced atomically) when the run ends.
      - Not set, no file is written; the run's own tasks still read the recap through the lookup.
    type: path
    ini:
      - section: callback_fleet_recap
        key: recap_file
    env:
      - name: EDGEOPS_FLEET_RECAP_FILE
"""

import datetime
import json
import os
import shutil
import tempfile

from ansible import constants as C
from ansible import context
from ansible.playbook.block import Block
from ansible.playbook.task_include import TaskInclude
from ansible.plugins.callback import CallbackBase

# The run's own tasks find the live recap through this variable: set in the controller's main process, it is
# inherited by every worker process forked after it (lookups run there). Read by plugins/lookup/fleet_recap.py.
LIVE_ENV = "EDGEOPS_FLEET_RECAP_LIVE"
RECAP_FORMAT = 1
COUNTS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
# ansible.executor.stats.AggregateStats names two of them differently (its summarize() maps them).
STATS_NAMES = {"ok": "ok", "changed": "changed", "unreachable": "unreachable", "failed": "failures",
               "skipped": "skipped", "rescued": "rescued", "ignored": "ignored"}
MESSAGE_LIMIT = 300


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _part(result, name):
    """result.task / .host / .result (ansible-core 2.19+) or ._task / ._host / ._result (older)."""
    value = getattr(result, name, None)
    return value if value is not None else getattr(result, "_" + name)


def _message(res):
    msg = res.get("msg") or res.get("reason") or res.get("stderr") or ""
    if not isinstance(msg, str):
        msg = json.dumps(msg, default=str, sort_keys=True)
    msg = " ".join(msg.split())
    return msg if len(msg) <= MESSAGE_LIMIT else msg[:MESSAGE_LIMIT - 3] + "..."


def _same(a, b):
    uuid_a = getattr(a, "_uuid", None)
    return a is b or (uuid_a is not None and uuid_a == getattr(b, "_uuid", None))


def caught_by_rescue(task):
    """True when a failure of this task is caught by a rescue section: an enclosing block (crossing include
    boundaries) has a rescue and the failing part sits in that block's own task list, not in its rescue or
    always sections. The strategy's test (ansible-core lib/ansible/executor/play_iterator.py
    PlayIterator.is_any_block_rescuing) reads the host's iterator state; this reads the same from the task's
    parents, which is all a callback sees."""
    child, parent = task, getattr(task, "_parent", None)
    while parent is not None:
        if isinstance(parent, Block) and parent.rescue and any(_same(child, item) for item in parent.block or []):
            return True
        child, parent = parent, getattr(parent, "_parent", None)
    return False


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "edgeops.nomad.fleet_recap"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.hosts = {}
        self.playbooks = []
        self.started = _now()
        self.dirty = True
        self.live_dir = None
        self.live_path = None

    # -- the record ---------------------------------------------------------------------------------------
    def _host(self, name):
        entry = self.hosts.get(name)
        if entry is None:
            entry = self.hosts[name] = dict((k, 0) for k in COUNTS)
            entry.update(unreachable_results=0, unreachable_msg="", failed_task="", failed_msg="")
        self.dirty = True
        return entry

    def recap(self, final):
        return {
            "format": RECAP_FORMAT,
            "recorded_by": self.CALLBACK_NAME,
            "final": final,
            "playbooks": list(self.playbooks),
            "check_mode": bool(context.CLIARGS.get("check", False)),
            "started": self.started,
            "updated": _now(),
            "hosts": dict((name, dict(entry)) for name, entry in sorted(self.hosts.items())),
        }

    @staticmethod
    def _write(path, data):
        """Atomically: a reader sees the old or the new file, never half of one."""
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".fleet-recap-", dir=directory)
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _publish(self):
        """Rewrite the live recap when it changed: before each task starts, so the workers of that task
        (forked after this) read every result up to the previous task."""
        if not self.dirty:
            return
        if self.live_path is None:
            self.live_dir = tempfile.mkdtemp(prefix="edgeops-fleet-recap-")  # 0700
            self.live_path = os.path.join(self.live_dir, "live.json")
            os.environ[LIVE_ENV] = self.live_path
        self._write(self.live_path, self.recap(final=False))
        self.dirty = False

    # -- what Ansible tells -------------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        self.playbooks.append(os.path.basename(getattr(playbook, "_file_name", "") or ""))
        self._publish()

    def v2_playbook_on_play_start(self, play):
        self._publish()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._publish()

    def v2_playbook_on_handler_task_start(self, task):
        self._publish()

    # The counting follows ansible-core lib/ansible/plugins/strategy/__init__.py
    # StrategyBase._process_pending_results (the same in 2.17 and 2.19): meta tasks are not counted, an
    # include counts "ok" when its file is loaded (v2_playbook_on_include), not when its result arrives.
    @staticmethod
    def _counted(task):
        return task.action not in C._ACTION_META

    def v2_runner_on_ok(self, result):
        task = _part(result, "task")
        if not self._counted(task) or isinstance(task, TaskInclude):
            return
        entry = self._host(_part(result, "host").get_name())
        entry["ok"] += 1
        if result.is_changed():
            entry["changed"] += 1

    def v2_playbook_on_include(self, included_file):
        for host in included_file._hosts:
            self._host(host.get_name())["ok"] += 1

    def v2_runner_on_failed(self, result, ignore_errors=False):
        task = _part(result, "task")
        if not self._counted(task):
            return
        entry = self._host(_part(result, "host").get_name())
        if ignore_errors:
            entry["ok"] += 1
            entry["ignored"] += 1
            if result.is_changed():
                entry["changed"] += 1
            return
        entry["rescued" if caught_by_rescue(task) else "failed"] += 1
        if not entry["failed_task"]:
            entry["failed_task"] = (task.get_name() or task.action)[:MESSAGE_LIMIT]
            entry["failed_msg"] = _message(_part(result, "result"))

    def v2_runner_on_unreachable(self, result):
        task = _part(result, "task")
        entry = self._host(_part(result, "host").get_name())
        entry["unreachable_results"] += 1
        if not entry["unreachable_msg"]:
            entry["unreachable_msg"] = _message(_part(result, "result"))
        if task.ignore_unreachable:
            entry["ok"] += 1
            entry["ignored"] += 1
        else:
            entry["unreachable"] += 1

    def v2_runner_on_skipped(self, result):
        if self._counted(_part(result, "task")):
            self._host(_part(result, "host").get_name())["skipped"] += 1

    def v2_playbook_on_stats(self, stats):
        """The run's end: Ansible's own counts replace the ones kept during the run."""
        for name in sorted(stats.processed):
            summary = stats.summarize(name)
            entry = self._host(name)
            for key in COUNTS:
                entry[key] = int(summary.get(STATS_NAMES[key], 0))
        path = self.get_option("recap_file")
        try:
            if path:
                self._write(path, self.recap(final=True))  # mode 0600 (mkstemp)
        finally:
            if self.live_dir:
                shutil.rmtree(self.live_dir, ignore_errors=True)
                os.environ.pop(LIVE_ENV, None)
                self.live_dir = self.live_path = None
