# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST DOUBLE: the one action plugin behind every stand-in ansible.windows module (see ../../../../../README.md)."""

from __future__ import annotations

import json
import os

from ansible.plugins.action import ActionBase


def _scenario(host):
    """The scenario of this inventory host (a file may hold {host: scenario} for several hosts)."""
    with open(os.environ["EDGEOPS_WINDOWS_DOUBLE_SCENARIO"], encoding="utf-8") as handle:
        scenarios = json.load(handle)
    return scenarios.get(host, scenarios)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class Recorder(ActionBase):
    """Records the call, then answers from the scenario."""

    MODULE = ""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = _plain(dict(self._task.args))
        host = (task_vars or {}).get("inventory_hostname", "")
        name = self._task.get_name().split(" : ", 1)[-1]  # without the role's prefix
        with open(os.environ["EDGEOPS_WINDOWS_DOUBLE_RECORD"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"host": host, "module": self.MODULE, "task": name, "args": args}) + "\n")
        result.update(self.answer(args, _scenario(host)))
        return result

    def answer(self, args, scenario):
        return {"changed": True}


class ServiceInfo(Recorder):
    MODULE = "win_service_info"

    def answer(self, args, scenario):
        service = scenario.get("service", {})
        if not service.get("exists"):
            return {"changed": False, "exists": False, "services": []}
        return {"changed": False, "exists": True, "services": [{"name": args.get("name", "nomad"), "state": service.get("state", "running")}]}


class PowerShell(Recorder):
    MODULE = "win_powershell"

    def answer(self, args, scenario):
        script = args.get("script", "")
        if "Expand-Archive" in script:  # unpack into staging and compare with the installed binary
            return {"changed": bool(scenario.get("binary_differs")), "output": [], "error": []}
        if "WaitForStatus" in script:  # stop the service and wait
            return {"changed": scenario.get("service", {}).get("state") == "running", "output": [], "error": []}
        return {"changed": True, "output": [], "error": []}


class Service(Recorder):
    MODULE = "win_service"

    def answer(self, args, scenario):
        return {"changed": True, "state": {"started": "running", "restarted": "running"}.get(args.get("state"), args.get("state"))}


class Stat(Recorder):
    MODULE = "win_stat"

    def answer(self, args, scenario):
        exists = args.get("path", "") in scenario.get("existing_files", [])
        return {"changed": False, "stat": {"exists": exists, "path": args.get("path", "")}}
