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
  - The job's namespace follows Nomad's precedence for register and plan
    (C(command/agent/job_endpoint.go) C(namespaceForJob)) - O(namespace) (sent as the C(namespace)
    query parameter; E(NOMAD_NAMESPACE) when not set), then the job's own C(Namespace), then
    V(default). The module uses that same namespace to read, wait for and stop the job.
  - Warns about the group keys C(max_client_disconnect), C(stop_after_client_disconnect) and
    C(prevent_reschedule_on_lost), deprecated in Nomad 1.8 and ignored since 1.10 (use C(disconnect {})).
  - O(state=reverted) puts a job back to an earlier version (C(POST /v1/job/:id/revert)), by default its
    newest stable version (one whose deployment succeeded). Nomad registers that version's
    specification as a new version. The job is left alone when its current specification already
    equals the target's (Nomad's own diff, C(GET /v1/job/:id/versions?diffs=true&diff_version=N)), so a
    re-run changes nothing. Nomad keeps the last 6 versions of a job (C(job_tracked_versions)).
author:
  - edgeops.nomad maintainers (@edgeops)
options:
  hcl:
    description:
      - Job specification as HCL2 text (one C(job) block). Mutually exclusive with O(job).
    type: str
  hcl_variables:
    description:
      - HCL variable-file content for the job's C(variable) blocks. Treated as a secret (C(no_log)).
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
      - V(present) registers (and restarts a stopped job), V(absent) stops it (and purges with O(purge)),
        V(reverted) reverts it to O(version) (only O(name), or the ID of O(hcl)/O(job), is used).
    type: str
    choices: [present, absent, reverted]
    default: present
  version:
    description:
      - With O(state=reverted), the job version to go back to. If not set, the newest stable version
        (Nomad marks a version C(Stable) when its deployment succeeds); the task fails when there is none.
    type: int
  enforce_prior_version:
    description:
      - With O(state=reverted), revert only while the job's current version is this one, for example the
        version whose deployment failed. When the job has moved on to another version since, nothing is
        reverted and the task reports the job unchanged with a warning. Sent as Nomad's
        C(EnforcePriorVersion), so a change between the module's read and the revert fails the task
        instead of being undone.
    type: int
  purge:
    description:
      - With O(state=absent), remove the job from Nomad entirely instead of only stopping it.
    type: bool
    default: false
  wait:
    description:
      - After registering, follow the evaluation (C(GET /v1/evaluation/:id)) until the scheduler
        has processed it (deployments are created by the scheduler, not by the register call), then
        wait for the deployment of the registered job version until it is C(successful).
      - Fails when the evaluation ends C(failed) or C(canceled), when the deployment ends C(failed)
        or C(cancelled), or after O(wait_timeout). Jobs without a deployment (batch, system, no
        C(update) block) are done when their evaluation is complete.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait), for the evaluation and the deployment together.
    type: int
    default: 300
extends_documentation_fragment:
  - edgeops.nomad.nomad
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Runs Nomad's plan (read only) and reports whether a registration would change the job.
  diff_mode:
    support: full
    details: The diff is Nomad's plan diff, rendered as text.
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

- name: Revert a job whose deployment of version 7 failed to its newest stable version
  edgeops.nomad.nomad_job:
    name: telemetry
    namespace: edge
    state: reverted
    enforce_prior_version: 7
    wait: true
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
  sample: {Diff: {ID: telemetry, Type: Edited, Fields: null, Objects: null, TaskGroups: []}, Annotations: null,
           FailedTGAllocs: null, JobModifyIndex: 41, Warnings: ""}
eval_id:
  description: Evaluation created by the registration or deregistration.
  returned: when changed and not in check mode
  type: str
  sample: 8e1f3c2a-5b7d-4e9f-a1c3-2d4e6f8a0b1c
job_modify_index:
  description: JobModifyIndex after registration.
  returned: when registered
  type: int
  sample: 42
deployment:
  description: Final deployment, with O(wait).
  returned: when wait is true and the job has a deployment
  type: dict
  sample: {ID: 5b7c..., JobID: telemetry, JobVersion: 3, Status: successful, StatusDescription: Deployment completed successfully}
evaluation:
  description: The registration's evaluation once the scheduler processed it, with O(wait).
  returned: when wait is true and the job was registered
  type: dict
  sample: {ID: 8e1f..., Status: complete, DeploymentID: 5b7c..., TriggeredBy: job-register}
reverted_from:
  description: The job's version before the revert.
  returned: when state is reverted
  type: int
  sample: 7
reverted_to:
  description: The version whose specification the job got back (Nomad registers it as version O(version) + 1 or later).
  returned: when state is reverted and a version was chosen
  type: int
  sample: 5
msg:
  description: With O(state=reverted), why nothing was reverted (the job is at the target specification, or moved on from O(enforce_prior_version)).
  returned: when state is reverted and nothing changed
  type: str
  sample: "job telemetry is at version 8, not 7 (enforce_prior_version): not reverted"
namespace:
  description: Namespace the job lives in (Nomad's precedence, see the description).
  returned: success
  type: str
  sample: edge
warnings_nomad:
  description: Warnings text from Nomad's register or plan answer.
  returned: when Nomad sent any
  type: str
  sample: "1 warning: * Group \"web\" has warnings: 1 error occurred: * Task \"web\": kill_timeout is greater than max_kill_timeout"
"""

import time

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError,
    NomadStateError,
    poll,
)
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


def job_namespace(option, job):
    """Nomad's precedence (command/agent/job_endpoint.go namespaceForJob): the namespace query
    parameter, then the request body's Namespace (this module sends none), then job.Namespace."""
    return option or (job or {}).get("Namespace") or "default"


EVAL_DONE = ("complete", "failed", "canceled", "cancelled")  # nomad/structs/eval.go EvalStatus*
_INVERSE = {"Added": "Deleted", "Deleted": "Added"}


def invert_diff(diff):
    """A JobDiff read the other way round (old <-> new): Nomad's versions endpoint diffs the target
    version against the current one, the revert goes from the current one to the target."""
    if isinstance(diff, list):
        return [invert_diff(d) for d in diff]
    if not isinstance(diff, dict):
        return diff
    out = dict((k, invert_diff(v)) for k, v in diff.items())
    if "Type" in out:
        out["Type"] = _INVERSE.get(out["Type"], out["Type"])
    if "Old" in diff or "New" in diff:
        out["Old"], out["New"] = diff.get("New", ""), diff.get("Old", "")
    return out


def revert_target(client, job_path, job_id, version, enforce):
    """Read the job's versions and choose the revert: returns (current version, target version or None
    when nothing is to be done, Nomad's JobDiff from the current spec to the target's, a warning or None).

    GET /v1/job/:id/versions lists the versions newest first (nomad/job_endpoint.go GetJobVersions);
    with diffs=true&diff_version=N each Diffs[i] is Versions[i] compared with version N (old.Diff(new)).
    """
    versions = (client.get(job_path + "/versions").data or {}).get("Versions") or []
    if not versions:
        raise NomadStateError("name: job %r has no versions to revert to" % job_id)
    current = max(versions, key=lambda j: j.get("Version", 0))
    cur = current.get("Version", 0)
    if enforce is not None and cur != enforce:
        return cur, None, None, ("job %s is at version %s, not %s (enforce_prior_version): not reverted"
                                 % (job_id, cur, enforce))
    if version is None:
        stable = [j.get("Version", 0) for j in versions if j.get("Stable")]
        if not stable:
            raise NomadStateError("version: job %r has no stable version to revert to (versions: %s)" % (
                job_id, ", ".join(str(j.get("Version")) for j in versions)))
        target = max(stable)
    else:
        target = version
        if target not in [j.get("Version") for j in versions]:
            raise NomadStateError("version: job %r has no version %s (Nomad keeps: %s)" % (
                job_id, target, ", ".join(str(j.get("Version")) for j in versions)))
    if target == cur:
        return cur, None, None, None
    resp = client.get(job_path + "/versions", query={"diffs": True, "diff_version": target}).data or {}
    listed = resp.get("Versions") or []
    diffs = resp.get("Diffs") or []
    position = next((i for i, j in enumerate(listed) if j.get("Version") == cur), None)
    diff = diffs[position] if position is not None and position < len(diffs) else None
    if diff is not None and diff.get("Type") == "None":
        return cur, None, None, None  # the current specification is the target's already (reverted before)
    return cur, target, invert_diff(diff) if diff else None, None


def revert(module, client, job_path, job_id, result):
    """state=reverted: POST /v1/job/:id/revert {JobID, JobVersion, EnforcePriorVersion} (command/agent/
    job_endpoint.go jobRevert, nomad/job_endpoint.go Job.Revert: the target version is registered again
    as a new version, so the module decides itself whether a revert is needed)."""
    p = module.params
    cur, target, diff, warning = revert_target(client, job_path, job_id, p["version"], p["enforce_prior_version"])
    result.update(reverted_from=cur, changed=target is not None)
    if warning:
        module.warn(warning)
        result["msg"] = warning
    elif target is None:
        result["msg"] = "job %s is at its target specification already (version %s)" % (job_id, cur)
    if target is not None:
        result["reverted_to"] = target
    if module._diff:
        result["diff"] = dict(before={"ID": job_id, "Version": cur},
                              after={"ID": job_id, "Version": cur + 1 if target is not None else cur,
                                     "SpecificationOfVersion": target if target is not None else cur})
        if diff:
            result["diff"]["prepared"] = render_plan(diff)
    if target is None or module.check_mode:
        return
    body = {"JobID": job_id, "JobVersion": target, "EnforcePriorVersion": cur}
    reg = client.post(job_path + "/revert", body=body).data or {}
    result.update(eval_id=reg.get("EvalID"), job_modify_index=reg.get("JobModifyIndex"))
    if reg.get("Warnings"):
        result["warnings_nomad"] = reg["Warnings"]


def wait_evaluation(client, eval_id, timeout, sleep=None):
    """Follow /v1/evaluation/<id> until the scheduler is done with it; return it (status complete)."""
    path = client.path("v1", "evaluation", eval_id)
    ev = poll(lambda: client.get(path).data, lambda e: e.get("Status") in EVAL_DONE, timeout,
              lambda e: "wait_timeout: evaluation %s still %s" % (eval_id, e.get("Status")), sleep=sleep)
    if ev.get("Status") != "complete":
        raise NomadStateError("evaluation %s ended %s: %s" % (eval_id, ev.get("Status"), ev.get("StatusDescription")),
                              details={"evaluation": ev})
    return ev


def wait_deployment(client, job_id, version, timeout, deployment_id=None, sleep=None):
    """Wait for the deployment of ``version`` of the job (the one with ``deployment_id`` when the
    evaluation named it) until it is successful; return it, or None when that version has none."""
    path = client.path("v1", "job", job_id, "deployment")

    def ours(dep):
        if not dep:
            return False
        return dep.get("ID") == deployment_id if deployment_id else dep.get("JobVersion") == version

    def done(dep):
        if not dep:
            return True  # the job has no deployment at all (batch, system, no update block)
        if not ours(dep):
            if dep.get("JobVersion", -1) > version:
                raise NomadStateError("deployment of job %s version %s was superseded by version %s"
                                      % (job_id, version, dep.get("JobVersion")), details={"deployment": dep})
            return not deployment_id  # an older version's deployment: this version has none
        if dep.get("Status") in ("failed", "cancelled"):
            raise NomadStateError("deployment %s of job %s ended %s: %s" % (
                dep.get("ID"), job_id, dep.get("Status"), dep.get("StatusDescription")), details={"deployment": dep})
        return dep.get("Status") == "successful"

    def what(dep):
        return "wait_timeout: deployment of job %s version %s still %s" % (
            job_id, version, dep.get("Status") if ours(dep) else "not started")

    dep = poll(lambda: client.get(path).data, done, timeout, what, sleep=sleep)
    return dep if ours(dep) else None


def main():
    module = NomadModule(
        argument_spec=dict(
            hcl=dict(type="str"),
            hcl_variables=dict(type="str", no_log=True),
            job=dict(type="dict"),
            name=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent", "reverted"]),
            version=dict(type="int"),
            enforce_prior_version=dict(type="int"),
            purge=dict(type="bool", default=False),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=300),
        ),
        mutually_exclusive=[("hcl", "job")],
        required_if=[("state", "present", ("hcl", "job"), True), ("state", "absent", ("name", "hcl", "job"), True),
                     ("state", "reverted", ("name", "hcl", "job"), True)],
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
    for key in ("version", "enforce_prior_version"):
        if p[key] is not None and p["state"] != "reverted":
            module.fail_json(msg="%s: only used with state=reverted" % key)
        if p[key] is not None and p[key] < 0:
            module.fail_json(msg="%s: a job version is 0 or more" % key)

    client = module.client
    result = dict(changed=False)
    try:
        job = load_job(module, client)
        job_id = job["ID"] if job else p["name"]
        if p["name"] and job and p["name"] != job_id:
            module.fail_json(msg="name: %r does not match the job's ID %r" % (p["name"], job_id))
        client.namespace = job_namespace(p["namespace"], job)
        result.update(job_id=job_id, namespace=client.namespace)
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
        if p["state"] == "reverted":
            revert(module, client, job_path, job_id, result)
        else:
            for where in deprecated_keys(job):
                module.warn("%s is deprecated since Nomad 1.8 and ignored since 1.10; use a disconnect block" % where)
            plan = client.post(client.path("v1", "job", job_id, "plan"), body={"Job": job, "Diff": True},
                               idempotent=True).data
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
        # a revert that was not needed waits for nothing: the job may have moved on to a version of someone else
        if p["wait"] and not module.check_mode and (p["state"] != "reverted" or result["changed"]):
            started = time.time()
            deployment_id = None
            if result.get("eval_id"):
                ev = wait_evaluation(client, result["eval_id"], p["wait_timeout"])
                result["evaluation"] = ev
                deployment_id = ev.get("DeploymentID") or None
            current = client.get(job_path).data
            if result.get("eval_id") and not deployment_id:
                result["deployment"] = None  # the scheduler made no deployment for this version
            else:
                left = max(0, p["wait_timeout"] - int(time.time() - started))
                result["deployment"] = wait_deployment(client, job_id, current.get("Version", 0), left,
                                                       deployment_id=deployment_id)
    except NomadAPIError as exc:
        module.fail_api(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
