#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nomad_job
short_description: Register, update, stop or purge Nomad jobs from HCL or JSON
version_added: 0.1.0
description:
  - HCL job files are turned into JSON by the Nomad server (C(POST /v1/jobs/parse), which cannot read
    local files with C(file())); JSON jobs (the C(api.Job) shape) are sent as they are.
  - Every run plans first (C(POST /v1/job/:id/plan) with C(Diff=true)); the job is only registered when
    the plan shows a difference, with the plan's C(JobModifyIndex) as check-index (C(EnforceIndex)),
    so a concurrent change fails instead of being overwritten.
  - In check mode with C(--diff) the plan is shown as the diff.
  - Warns about the group keys C(max_client_disconnect), C(stop_after_client_disconnect) and
    C(prevent_reschedule_on_lost), deprecated in Nomad 1.8 and ignored since 1.10 (use C(disconnect {})).
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  hcl:
    description:
      - Job specification as HCL2 text (one C(job) block). Mutually exclusive with O(job).
    type: str
  hcl_variables:
    description:
      - HCL variable-file content for the job's C(variable) blocks.
    type: str
  job:
    description:
      - Job specification as a dict in Nomad's JSON (api.Job) shape, or a dict with a single C(Job) key holding it.
    type: dict
  name:
    description:
      - Job ID. Needed with O(state=absent) when no O(hcl)/O(job) is given; otherwise taken from the job.
    type: str
  state:
    description:
      - V(present) registers (and restarts a stopped job), V(absent) stops it (and purges with O(purge)).
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=absent), remove the job from Nomad entirely instead of only stopping it.
    type: bool
    default: false
  wait:
    description:
      - After registering a service job, wait until its deployment is C(successful); fail if it
        ends C(failed) or C(cancelled), or after O(wait_timeout).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait).
    type: int
    default: 300
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs Nomad's plan (read only) and reports whether a registration would change the job.
  diff_mode:
    support: full
    details: The diff is Nomad's plan diff, rendered as text.
  platform:
    platforms: all
"""

EXAMPLES = r"""
- name: Run the telemetry job from an HCL file and wait for its deployment
  edgeops.nomad.nomad_job:
    hcl: "{{ lookup('ansible.builtin.file', 'jobs/telemetry.nomad.hcl') }}"
    namespace: edge
    wait: true

- name: Register a job given as JSON
  edgeops.nomad.nomad_job:
    job:
      ID: hello
      Type: batch
      TaskGroups:
        - Name: hello
          Tasks:
            - Name: hello
              Driver: raw_exec
              Config: {command: /bin/true}

- name: Stop and purge a job
  edgeops.nomad.nomad_job:
    name: hello
    state: absent
    purge: true
"""

RETURN = r"""
job_id:
  description: ID of the job.
  returned: success
  type: str
  sample: telemetry
plan:
  description: Nomad's plan answer (Diff, Annotations, FailedTGAllocs, Warnings); absent for O(state=absent).
  returned: when state is present
  type: dict
eval_id:
  description: Evaluation created by the registration or deregistration.
  returned: when changed and not in check mode
  type: str
job_modify_index:
  description: JobModifyIndex after registration.
  returned: when registered
  type: int
deployment:
  description: Final deployment, with O(wait).
  returned: when wait is true and the job has a deployment
  type: dict
warnings_nomad:
  description: Warnings text from Nomad's register or plan answer.
  returned: when Nomad sent any
  type: str
"""

import time

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import NomadAPIError
from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_module import NomadModule

DEPRECATED_GROUP_KEYS = {
    "MaxClientDisconnect": "max_client_disconnect",
    "StopAfterClientDisconnect": "stop_after_client_disconnect",
    "PreventRescheduleOnLost": "prevent_reschedule_on_lost",
}


def render_plan(diff, indent=""):
    """Nomad's JobDiff as short text, in the spirit of `nomad job plan`."""
    marks = {"Added": "+", "Deleted": "-", "Edited": "+/-", "None": ""}
    lines = []

    def fields(items, pad):
        for f in items or []:
            if f.get("Type") == "None":
                continue
            old, new = f.get("Old", ""), f.get("New", "")
            text = "%s%s %s: %r => %r" % (pad, marks.get(f["Type"], "?"), f["Name"], old, new) \
                if f["Type"] == "Edited" else "%s%s %s: %r" % (pad, marks.get(f["Type"], "?"), f["Name"],
                                                               new if f["Type"] == "Added" else old)
            lines.append(text)

    if not diff:
        return ""
    lines.append('%s%s Job: "%s"' % (indent, marks.get(diff.get("Type"), "?"), diff.get("ID")))
    fields(diff.get("Fields"), indent + "  ")
    for group in diff.get("TaskGroups") or []:
        lines.append('%s  %s Task Group: "%s"' % (indent, marks.get(group.get("Type"), "?"), group.get("Name")))
        fields(group.get("Fields"), indent + "    ")
        for task in group.get("Tasks") or []:
            if task.get("Type") == "None":
                continue
            lines.append('%s    %s Task: "%s"' % (indent, marks.get(task.get("Type"), "?"), task.get("Name")))
            fields(task.get("Fields"), indent + "      ")
    return "\n".join(lines) + "\n"


def deprecated_keys(job):
    found = []
    for group in job.get("TaskGroups") or []:
        for key, hcl in sorted(DEPRECATED_GROUP_KEYS.items()):
            if group.get(key) not in (None, 0, False, ""):
                found.append('group "%s": %s' % (group.get("Name"), hcl))
    return found


def load_job(module, client):
    p = module.params
    if p["hcl"] is not None:
        body = {"JobHCL": p["hcl"], "Canonicalize": True}
        if p["hcl_variables"]:
            body["Variables"] = p["hcl_variables"]
        return client.post("/v1/jobs/parse", body=body, idempotent=True).data
    if p["job"] is not None:
        job = p["job"].get("Job", p["job"]) if isinstance(p["job"].get("Job"), dict) else p["job"]
        return dict(job)
    return None


def wait_deployment(module, client, job_id, version):
    """Poll the job's latest deployment until it is for ``version`` and has finished."""
    deadline = time.time() + module.params["wait_timeout"]
    path = client.path("v1", "job", job_id, "deployment")
    while True:
        dep = client.get(path).data
        if not dep:
            return None  # this job has no deployments (batch, system, no update strategy)
        current = dep.get("JobVersion", version) >= version
        if current and dep.get("Status") == "successful":
            return dep
        if current and dep.get("Status") in ("failed", "cancelled"):
            module.fail_json(msg="deployment %s of job %s ended %s: %s" % (dep.get("ID"), job_id, dep.get("Status"),
                                                                           dep.get("StatusDescription")),
                             deployment=dep)
        if time.time() > deadline:
            module.fail_json(msg="wait_timeout: deployment of job %s version %s still %s after %ss"
                             % (job_id, version, dep.get("Status") if current else "not started",
                                module.params["wait_timeout"]), deployment=dep)
        time.sleep(1)


def main():
    module = NomadModule(
        argument_spec=dict(
            hcl=dict(type="str"),
            hcl_variables=dict(type="str"),
            job=dict(type="dict"),
            name=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            purge=dict(type="bool", default=False),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=300),
        ),
        mutually_exclusive=[("hcl", "job")],
        required_if=[("state", "present", ("hcl", "job"), True), ("state", "absent", ("name", "hcl", "job"), True)],
        supports_check_mode=True,
    )
    p = module.params
    if p["hcl"] is not None and not p["hcl"].strip():
        module.fail_json(msg="hcl: the job specification is empty")
    if p["job"] is not None:
        spec = p["job"].get("Job", p["job"]) if isinstance(p["job"].get("Job"), dict) else p["job"]
        if not spec.get("ID"):
            module.fail_json(msg="job: the job has no ID")
        if not spec.get("TaskGroups"):
            module.fail_json(msg="job: the job has no TaskGroups")
    if p["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout: must be 0 or more")

    client = module.client
    result = dict(changed=False)
    try:
        job = load_job(module, client)
        job_id = job["ID"] if job else p["name"]
        if p["name"] and job and p["name"] != job_id:
            module.fail_json(msg="name: %r does not match the job's ID %r" % (p["name"], job_id))
        result["job_id"] = job_id
        job_path = client.path("v1", "job", job_id)
        if p["state"] == "absent":
            resp = client.get_or_none(job_path)
            current = resp.data if resp else None
            changed = current is not None and (p["purge"] or not current.get("Stop"))
            result["changed"] = changed
            if module._diff:
                result["diff"] = dict(before={"ID": job_id, "Stop": current.get("Stop")} if current else {},
                                      after={} if p["purge"] or not current else {"ID": job_id, "Stop": True})
            if changed and not module.check_mode:
                resp = client.delete(job_path, query={"purge": p["purge"]})
                result["eval_id"] = (resp.data or {}).get("EvalID")
            module.exit_json(**result)

        for where in deprecated_keys(job):
            module.warn("%s is deprecated since Nomad 1.8 and ignored since 1.10; use a disconnect block" % where)
        plan = client.post(client.path("v1", "job", job_id, "plan"), body={"Job": job, "Diff": True}, idempotent=True).data
        diff = plan.get("Diff") or {}
        changed = diff.get("Type") not in ("None",)
        result.update(changed=changed, plan=plan)
        if plan.get("Warnings"):
            result["warnings_nomad"] = plan["Warnings"]
        if module._diff:
            result["diff"] = dict(prepared=render_plan(diff) if changed else "")
        if changed and not module.check_mode:
            body = {"Job": job, "EnforceIndex": True, "JobModifyIndex": plan.get("JobModifyIndex", 0)}
            reg = client.post(job_path, body=body).data
            result.update(eval_id=reg.get("EvalID"), job_modify_index=reg.get("JobModifyIndex"))
            if reg.get("Warnings"):
                result["warnings_nomad"] = reg["Warnings"]
        if p["wait"] and not module.check_mode:
            current = client.get(job_path).data
            result["deployment"] = wait_deployment(module, client, job_id, current.get("Version", 0))
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
