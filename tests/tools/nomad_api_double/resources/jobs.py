"""/v1/jobs and /v1/job/<id>: parse, list, register, read, deregister, plan, latest deployment, versions,
revert (nomad/job_endpoint.go, command/agent/job_endpoint.go)."""

import copy

try:
    import hcl2
except ImportError:  # pragma: no cover - the dev venv has python-hcl2
    hcl2 = None

from .. import rules
from ..common import JSON_NULL, HTTPFailure, field, route
from ..job_spec import VariableError, canonicalize, hcl_job_to_api, plan_diff, resolve_variables
from ..rules import DEPRECATED_GROUP_KEYS, RuleError, multierror


class Jobs:
    """Handlers of /v1/jobs, /v1/jobs/parse and /v1/job/<id>[/plan|/deployment]."""

    def jobs_parse(self):
        self.auth(("namespace", "parse-job", self.namespace()))
        body = self.json_body()
        text = field(body, "JobHCL") or ""
        if not text.strip():
            raise HTTPFailure(400, "Job spec is empty")
        try:
            parsed = hcl2.loads(text)
        except Exception as exc:  # noqa: BLE001
            raise HTTPFailure(400, "Failed to parse job: input.hcl: %s" % str(exc).splitlines()[0])
        try:
            parsed = resolve_variables(parsed, field(body, "Variables") or "")
        except VariableError as exc:
            raise HTTPFailure(400, "Failed to parse job: %s" % exc)
        except Exception as exc:  # noqa: BLE001  (a var file python-hcl2 cannot read)
            raise HTTPFailure(400, "Failed to parse job: input.hcl: %s" % str(exc).splitlines()[0])
        jobs = parsed.get("job") or []
        if len(jobs) != 1:
            raise HTTPFailure(400, "Failed to parse job: input.hcl: exactly one job block is required")
        (job_id, spec), = jobs[0].items()
        job = hcl_job_to_api(job_id.strip('"'), spec)
        if field(body, "Canonicalize"):
            canonicalize(job)
        return 200, job, {}

    def _job_key(self, job_id):
        return (self.namespace(), job_id)

    def jobs_list(self):
        if self.command != "GET":
            return self.job_register(None)
        self.auth(("namespace", "list-jobs", self.namespace()))
        ns = self.namespace()
        prefix = self.query.get("prefix", "")
        out = []
        for (jns, jid), job in sorted(self.state.jobs.items()):
            if (ns == "*" or jns == ns) and jid.startswith(prefix):
                out.append({k: job.get(k) for k in ("ID", "ParentID", "Name", "Namespace", "Datacenters", "NodePool",
                                                    "Multiregion", "Type", "Priority", "Periodic", "ParameterizedJob",
                                                    "Stop", "Status", "StatusDescription", "CreateIndex",
                                                    "ModifyIndex", "JobModifyIndex", "SubmitTime")})
        return 200, out, self.read_headers()

    def _api_job(self, body, job_id, plan):
        """command/agent/job_endpoint.go jobUpdate / jobPlan: the HTTP checks, then
        apiJobAndRequestToStructs (namespace precedence, api Canonicalize, ApiTgToStructsTG which
        drops the deprecated group keys), then Job.Validate (500, multierror text)."""
        job = field(body, "Job")
        if not job:
            raise HTTPFailure(400, "Job must be specified")
        jid = field(job, "ID")
        if not jid:
            raise HTTPFailure(400, "Job must have a valid ID" if plan else "Job ID hasn't been provided")
        if job_id is not None and jid != job_id:
            raise HTTPFailure(400, "Job ID does not match" if plan else "Job ID does not match name")
        scaled = [g for g in field(job, "TaskGroups") or [] if field(g, "Scaling") is not None]
        if (field(job, "Type") or "") == "system" and scaled:
            raise HTTPFailure(400, "Task groups with job type system do not support scaling blocks")
        namespace = rules.job_namespace(self.query.get("namespace"), body, job)
        job = canonicalize(copy.deepcopy(job))
        job["Namespace"] = namespace
        for group in job.get("TaskGroups") or []:
            for key in list(group):
                if key.lower() in [k.lower() for k in DEPRECATED_GROUP_KEYS]:
                    del group[key]
            group.update({"MaxClientDisconnect": None, "StopAfterClientDisconnect": None,
                          "PreventRescheduleOnLost": False})
        return job, namespace

    def _validate_job(self, job):
        errors = rules.job_errors(job)
        if errors:  # nomad/job_endpoint.go admissionControllers -> jobValidate.Validate; uncoded -> 500
            raise RuleError(500, multierror(errors))

    def job_register(self, job_id):
        st = self.state
        body = self.json_body()
        job, namespace = self._api_job(body, job_id, plan=False)
        token = self.auth(("namespace", "submit-job", namespace))
        jid = job["ID"]
        self._validate_job(job)
        # nomad/job_endpoint.go doRegister -> registrationsAreAllowed: with the scheduler configuration's
        # RejectJobRegistration only management tokens register (403 by the text, command/agent/http.go wrap)
        if st.scheduler_config and st.scheduler_config["RejectJobRegistration"] and \
                token is not None and token["Type"] != "management":
            raise HTTPFailure(403, "Job registration, dispatch, and scale are disabled by the scheduler configuration")
        if job["NodePool"] not in st.node_pools:
            raise HTTPFailure(500, 'job "%s" is in nonexistent node pool "%s"' % (jid, job["NodePool"]))
        if namespace not in st.namespaces:
            raise HTTPFailure(500, 'job "%s" is in nonexistent namespace "%s"' % (jid, namespace))
        key = (namespace, jid)
        old = st.jobs.get(key)
        if field(body, "EnforceIndex"):
            want = int(field(body, "JobModifyIndex") or 0)
            have = old["JobModifyIndex"] if old else 0
            if want != have:
                raise HTTPFailure(500, "Enforcing job modify index %d: job exists with conflicting job modify index: %d"
                                  % (want, have))
        idx = st.next_index()
        changed, cur, ev = st.register_job(key, job, old, idx)
        return 200, {"EvalID": ev["ID"] if ev else "", "EvalCreateIndex": idx if ev else 0,
                     "JobModifyIndex": cur["JobModifyIndex"] if changed else cur["ModifyIndex"],
                     "Warnings": "", "Index": idx, "LastContact": 0, "KnownLeader": False}, self.write_headers(idx)

    def job_obj(self, job_id):
        st = self.state
        if self.command in ("PUT", "POST"):
            return self.job_register(job_id)
        self.auth(("namespace", "read-job" if self.command == "GET" else "submit-job", self.namespace()))
        key = self._job_key(job_id)
        job = st.jobs.get(key)
        if job is None:
            raise HTTPFailure(404, "job not found")
        if self.command == "GET":
            return 200, copy.deepcopy(job), self.read_headers(job["ModifyIndex"])
        purge = self.query.get("purge", "false")
        if purge not in ("true", "false", ""):
            raise HTTPFailure(500, 'Failed to parse value of "purge" (%s) as a bool: invalid syntax' % purge)
        idx = st.next_index()
        ev = st.deregister_job(key, job, purge == "true", idx)
        return 200, {"EvalID": ev["ID"], "EvalCreateIndex": idx, "JobModifyIndex": idx, "Index": idx}, \
            self.write_headers(idx)

    def job_plan(self, job_id):
        body = self.json_body()
        job, namespace = self._api_job(body, job_id, plan=True)
        self.auth(("namespace", ("submit-job", "plan-job"), namespace))  # nomad/job_endpoint.go Plan
        self._validate_job(job)
        old = self.state.jobs.get((namespace, job_id))
        diff = plan_diff(old, job)
        updates = {}
        for tg in job["TaskGroups"]:
            old_tg = next((g for g in (old or {}).get("TaskGroups", []) if g["Name"] == tg["Name"]), None)
            place = tg.get("Count", 1) if old_tg is None else 0
            same = old_tg is not None and old_tg == tg
            updates[tg["Name"]] = {"Ignore": tg.get("Count", 1) if same else 0, "Place": place,
                                   "DestructiveUpdate": 0 if same or old_tg is None else tg.get("Count", 1),
                                   "Migrate": 0, "Stop": 0, "InPlaceUpdate": 0, "Canary": 0, "Preemptions": 0}
        return 200, {"JobModifyIndex": old["JobModifyIndex"] if old else 0, "CreatedEvals": None,
                     "Diff": diff if field(body, "Diff") else None,
                     "Annotations": {"DesiredTGUpdates": updates, "PreemptedAllocs": None},
                     "FailedTGAllocs": None, "NextPeriodicLaunch": "0001-01-01T00:00:00Z", "Warnings": ""}, {}

    def job_deployment(self, job_id):
        """Job.LatestDeployment: null until the scheduler has processed the registration's eval."""
        self.auth(("namespace", "read-job", self.namespace()))
        key = self._job_key(job_id)
        current = self.state.deployments.get(key)
        if current is not None and not getattr(self, "_bypass_auth", False):
            self.state.tick_deployment(current)
        if not getattr(self, "_bypass_auth", False):
            self.state.tick_job_evals(key)  # time passes for the scheduler too
        if current is None:
            return 200, JSON_NULL, self.read_headers()
        return 200, {k: v for k, v in current.items() if not k.startswith("_")}, self.read_headers(current["ModifyIndex"])

    def job_versions(self, job_id):
        """command/agent/job_endpoint.go jobVersions + nomad/job_endpoint.go GetJobVersions: read-job; the
        versions newest first; with diffs=true each Diffs[i] is Versions[i] compared with the next older
        version (the oldest has none), or with diff_version N when given ("version N not found" otherwise);
        no version at all is 404 "job versions not found"."""
        diffs = _parse_bool("diffs", self.query.get("diffs", ""))
        raw_version = self.query.get("diff_version", "")
        diff_version = None
        if raw_version:
            if not raw_version.isdigit():
                raise HTTPFailure(500, 'Failed to parse value of "diff_version" (%s) as a uint64: strconv.ParseUint: '
                                       'parsing "%s": invalid syntax' % (raw_version, raw_version))
            diff_version = int(raw_version)
        self.auth(("namespace", "read-job", self.namespace()))
        versions = [copy.deepcopy(v) for v in self.state.job_versions.get(self._job_key(job_id), [])]
        if not versions:
            raise HTTPFailure(404, "job versions not found")
        out_diffs = None
        if diffs:
            compare = None
            if diff_version is not None:
                compare = next((v for v in versions if v["Version"] == diff_version), None)
                if compare is None:
                    raise HTTPFailure(500, "version %d not found" % diff_version)
            out_diffs = []
            for i, version in enumerate(versions):
                if compare is None and i == len(versions) - 1:
                    break
                out_diffs.append(plan_diff(compare if compare is not None else versions[i + 1], version))
        index = max(v["ModifyIndex"] for v in versions)
        return 200, {"Versions": versions, "Diffs": out_diffs, "Index": index, "LastContact": 0,
                     "KnownLeader": True, "NextToken": ""}, self.read_headers(index)

    def job_revert(self, job_id):
        """command/agent/job_endpoint.go jobRevert (400 "JobID must be specified", "Job ID does not match"),
        then nomad/job_endpoint.go Job.Revert: submit-job or revert-job; 'job "x" not found'; "can't revert to
        current version"; 'job "x" in namespace "ns" at version N not found'; EnforcePriorVersion:
        "Current job has version N; enforcing version M" (uncoded RPC errors: 500)."""
        body = self.json_body()
        jid = field(body, "JobID")
        if not jid:
            raise HTTPFailure(400, "JobID must be specified")
        if jid != job_id:
            raise HTTPFailure(400, "Job ID does not match")
        namespace = self.namespace()
        self.auth(("namespace", ("submit-job", "revert-job"), namespace))
        key = (namespace, job_id)
        st = self.state
        cur = st.jobs.get(key)
        if cur is None:
            raise HTTPFailure(500, 'job "%s" not found' % job_id)
        version = int(field(body, "JobVersion") or 0)
        if version == cur["Version"]:
            raise HTTPFailure(500, "can't revert to current version")
        if version not in [v["Version"] for v in st.job_versions.get(key, [])]:
            raise HTTPFailure(500, 'job "%s" in namespace "%s" at version %d not found' % (job_id, namespace, version))
        enforce = field(body, "EnforcePriorVersion")
        if enforce is not None and int(enforce) != cur["Version"]:
            raise HTTPFailure(500, "Current job has version %d; enforcing version %d" % (cur["Version"], int(enforce)))
        changed, cur, ev = st.revert_job(key, version, enforce)
        idx = cur["JobModifyIndex"]
        return 200, {"EvalID": ev["ID"], "EvalCreateIndex": idx, "JobModifyIndex": idx, "Warnings": "",
                     "Index": idx, "LastContact": 0, "KnownLeader": False}, self.write_headers(idx)


def _parse_bool(name, text):
    """Go strconv.ParseBool, with jobVersions' error text ("" is false)."""
    if text == "":
        return False
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise HTTPFailure(500, 'Failed to parse value of "%s" (%s) as a bool: strconv.ParseBool: parsing "%s": invalid syntax'
                      % (name, text, text))


ROUTES = [
    route("GET", r"/v1/job/([^/]+)/versions", Jobs.job_versions),
    route("PUT POST", r"/v1/job/([^/]+)/revert", Jobs.job_revert),
    route("PUT POST", r"/v1/jobs/parse", Jobs.jobs_parse),
    route("GET PUT POST", r"/v1/jobs", Jobs.jobs_list),
    route("PUT POST", r"/v1/job/([^/]+)/plan", Jobs.job_plan),
    route("GET", r"/v1/job/([^/]+)/deployment", Jobs.job_deployment),
    route("GET PUT POST DELETE", r"/v1/job/([^/]+)", Jobs.job_obj),
]
