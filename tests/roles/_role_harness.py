# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one harness that runs the collection's roles from the unit tests (both roles, every kind of test).

- `run_playbook`: write a generated playbook and inventory into a temp directory and run ansible-playbook on
  them, against localhost, with the collection under test on the path and the current interpreter.
- `run_role_cases`: many cases in ONE ansible-playbook run. Each case is one inventory host (so the cases run
  side by side on `forks`) that includes its own generated tasks file: the role, included with the case's
  variables as task vars (they win over the role's defaults and vars/main.yml), inside block/rescue. Each case
  records what happened in <tmp>/records/<case>.json:
    {"ok": true, ...}  or  {"ok": false, "task": ..., "msg": ..., "items": [...], "exception": ...}
  `task` is the failed task's name, `items` the messages of the failed loop items (assert loops), `exception`
  the Python traceback text if any (a refusal must come from the preflight, never from a crash).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

_FAILURE = ("{{ {'ok': false, 'task': ansible_failed_task.name | default(''),"
            " 'msg': ansible_failed_result.msg | default('') | string,"
            " 'items': ansible_failed_result.results | default([]) | selectattr('failed', 'defined')"
            " | selectattr('failed') | map(attribute='msg') | map('string') | list,"
            " 'exception': ansible_failed_result.exception | default('') | string} | to_json }}")


def run_playbook(tmp: Path, plays: list, inventory, *extra: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run `plays` (a list of play dicts) on `inventory` (YAML text or a dict) from `tmp`."""
    (tmp / "playbook.yml").write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    if not isinstance(inventory, str):
        inventory = yaml.safe_dump(inventory, sort_keys=False)
    (tmp / "inventory.yml").write_text(inventory, encoding="utf-8")
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".cache" / "collections"))
    env.update({
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        # the ansible-playbook of the interpreter running the tests (core-range runs other venvs)
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    })
    return subprocess.run(["ansible-playbook", "-i", "inventory.yml", "playbook.yml", *extra], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def run_role_cases(tmp: Path, cases: dict, *, role: str, tasks_from: str | None = None, success: str = "{'ok': true}",
                   args: tuple = (), forks: int = 8) -> dict:
    """Run `role` once per case ({case_id: role vars}); return {case_id: record} plus "__log__" (the run's tail).

    `success` is a Jinja expression recorded when the role passes (e.g. the objects a render built).
    `args` go to ansible-playbook (e.g. --check, --skip-tags). A case whose record is missing is absent from
    the result: the caller's assertion then shows "__log__".
    """
    (tmp / "cases").mkdir(parents=True, exist_ok=True)
    (tmp / "records").mkdir(parents=True, exist_ok=True)
    include = {"name": role}
    if tasks_from:
        include["tasks_from"] = tasks_from
    hosts = {}
    for case_id, role_vars in cases.items():
        record = str(tmp / "records" / (case_id + ".json"))
        block = {
            "name": "Case " + case_id,
            "block": [
                {"name": "Run the role", "ansible.builtin.include_role": include, "vars": role_vars},
                {"name": "Record success", "ansible.builtin.copy": {
                    "dest": record, "mode": "0644", "content": "{{ " + success + " | to_json }}"}, "check_mode": False},
            ],
            "rescue": [{"name": "Record the failure and which task failed", "ansible.builtin.copy": {
                "dest": record, "mode": "0644", "content": _FAILURE}, "check_mode": False}],
        }
        (tmp / "cases" / (case_id + ".yml")).write_text(yaml.safe_dump([block], sort_keys=False), encoding="utf-8")
        hosts[case_id] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    play = {"name": "Each inventory host is one case", "hosts": "all", "gather_facts": False,
            "tasks": [{"name": "Run this host's case",
                       "ansible.builtin.include_tasks": str(tmp / "cases") + "/{{ inventory_hostname }}.yml"}]}
    proc = run_playbook(tmp, [play], {"all": {"hosts": hosts}}, "-f", str(forks), *args)
    out = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (tmp / "records").glob("*.json")}
    out["__log__"] = proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
