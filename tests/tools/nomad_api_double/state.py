"""DoubleState: everything the Nomad API double holds, guarded by one lock, and the state changes of
nodes, jobs, evaluations and deployments (handlers call these methods instead of writing the tables, so
a clock or an event stream can hook in one place). The nodes' life over time (registration, heartbeats,
identities, heartbeat expiry, allocations on disconnected nodes, node GC) is lifecycle.py's NodeLifecycle,
mixed in here; every rule reads the one Clock (clock.py)."""

import threading
import uuid

from .clock import Clock
from .job_spec import job_spec
from .lifecycle import NodeLifecycle

WINDOWS_OS_NAME = "Microsoft Windows Server 2022 Datacenter"  # client/fingerprint/host.go: os.name = Platform

DAY_NS = 24 * 3600 * 10 ** 9  # nomad/structs/node_pool.go DefaultNodePoolNodeIdentityTTL


class DoubleState(NodeLifecycle):
    """All server-side state of the double, guarded by one lock."""

    def __init__(self, acl=False, nodes=4, region="global"):
        self.lock = threading.RLock()
        self.clock = Clock()
        self.region = region
        self.acl_enabled = acl
        self.index = 100
        self.acl_bootstrap_index = 0  # raft index of the bootstrap; 0 = never bootstrapped
        self.acl_reset_index = 0  # operator wrote this into acl-bootstrap-reset
        self.tokens = {}  # AccessorID -> token
        self.policies = {}
        self.namespaces = {}
        self.node_pools = {}
        self.nodes = {}
        self.jobs = {}  # (namespace, id) -> job
        self.deployments = {}  # (namespace, id) -> latest deployment
        self.evals = {}  # eval ID -> evaluation (the scheduler's work item)
        self.roles = {}  # ID -> ACL role
        self.auth_methods = {}  # name -> ACL auth method
        self.binding_rules = {}  # ID -> ACL binding rule
        self.agent_server = True  # the double answers as a server agent (client off), like the pods
        self.agent_client = False
        self.has_leader = True
        self.variables = {}  # (namespace, path) -> variable
        self.autopilot = {"CleanupDeadServers": True, "LastContactThreshold": "200ms", "MaxTrailingLogs": 250,
                          "MinQuorum": 0, "ServerStabilizationTime": "10s", "EnableRedundancyZones": False,
                          "DisableUpgradeMigration": False, "EnableCustomUpgrades": False,
                          "CreateIndex": 5, "ModifyIndex": 5}
        self.autopilot_healthy = True
        self.server_version = "2.0.5"  # what every server reports in Autopilot's view (/_double/servers-version)
        self.servers = [("nomad-server-%d" % i, "10.0.0.%d:4647" % (i + 1)) for i in range(3)]
        self.drain_polls = 2  # reads of a draining node before its drain completes
        self.deployment_polls = 1
        self.eval_polls = 1  # reads (of the eval or of the job's deployment) before an eval completes
        self.faults = []
        self.requests = []
        self.issued_secrets = set()  # every SecretID ever handed out, for leak checks
        for name, desc in (("all", "Node pool with all nodes in the cluster."),
                           ("default", "Default node pool.")):
            self.node_pools[name] = {"Name": name, "Description": desc, "Meta": None, "NodeIdentityTTL": DAY_NS,
                                     "SchedulerConfiguration": None, "CreateIndex": 1, "ModifyIndex": 1}
        self.namespaces["default"] = self._namespace("default", "Default shared namespace", None, 1)
        self._init_lifecycle()
        self.add_nodes(nodes)

    # -- helpers ---------------------------------------------------------------
    def next_index(self):
        self.index += 1
        return self.index

    @staticmethod
    def _namespace(name, description, meta, index):
        return {"Name": name, "Description": description, "Quota": "", "Capabilities": None,
                "NodePoolConfiguration": None, "VaultConfiguration": None, "ConsulConfiguration": None,
                "Meta": meta, "RequiredExtraClaims": None, "OptionalExtraClaims": None,
                "CreateIndex": index, "ModifyIndex": index}

    def add_nodes(self, count, start=0):
        """Deterministic fake client nodes: 4 pools x 2 datacenters x linux/windows x amd64/arm64. Their agents
        are simulated: they keep heartbeating (no timer expires) until a test silences one
        (/_double/node-agent); a `down` one is garbage-collected like any down node."""
        now_s = self.clock.now_ns() // 10 ** 9
        pools = ("default", "edge-arm", "edge-x86", "gpu")
        for i in range(start, start + count):
            node_id = str(uuid.UUID(int=(0x5EED << 96) + i))
            pool = pools[i % len(pools)]
            windows = i % 5 == 4
            arch = "arm64" if pool == "edge-arm" else "amd64"
            address = "10.%d.%d.%d" % (10 + (i >> 16) % 200, (i >> 8) % 256, i % 256)
            self.nodes[node_id] = {
                "ID": node_id, "SecretID": "", "Name": "edge-%05d" % i, "Datacenter": "dc%d" % (1 + i % 2),
                "NodePool": pool, "NodeClass": "gpu" if pool == "gpu" else "", "HTTPAddr": address + ":4646",
                "TLSEnabled": False, "Status": "down" if i % 7 == 6 else "ready", "StatusDescription": "",
                "StatusUpdatedAt": now_s, "SchedulingEligibility": "eligible", "DrainStrategy": None,
                "LastDrain": None, "Events": [], "IdentitySigningKeyID": "", "LastMissedHeartbeatIndex": 0,
                "LastAllocUpdateIndex": 0,
                "Attributes": {"os.name": WINDOWS_OS_NAME if windows else "ubuntu",
                               "kernel.name": "windows" if windows else "linux",
                               "cpu.arch": arch, "nomad.version": "2.0.5", "unique.network.ip-address": address},
                "Meta": {"rack": "r%d" % (i % 3)},
                "Drivers": {"exec": {"Attributes": None, "Detected": True, "Healthy": True, "HealthDescription": "Healthy",
                                     "UpdateTime": "2026-11-24T10:00:00Z"}},
                "HostVolumes": {}, "CreateIndex": 20 + i, "ModifyIndex": 20 + i,
                "_drain_reads": 0, "_agent": "simulated", "_hb_deadline": None,
            }
            if pool not in self.node_pools:  # a missing pool is created when a node registers in it
                self.node_pools[pool] = {"Name": pool, "Description": "", "Meta": None, "NodeIdentityTTL": DAY_NS,
                                         "SchedulerConfiguration": None, "CreateIndex": 10, "ModifyIndex": 10}

    # -- nodes: drain and eligibility (nomad/node_endpoint.go UpdateDrain, UpdateEligibility) ------------
    def start_drain(self, node, deadline, ignore_system_jobs, meta, accessor=""):
        """A drain starts or is updated (updateNodeDrainImpl): the node turns ineligible; ForceDeadline =
        now + deadline when the deadline is positive; an update keeps StartedAt; a negative deadline (force)
        stops its allocations at once. Returns the index of the drain update."""
        now = self.clock.now_ns()
        stamp = self.clock.rfc3339(now)
        old = node.get("DrainStrategy")
        node["DrainStrategy"] = {"Deadline": deadline, "IgnoreSystemJobs": ignore_system_jobs,
                                 "ForceDeadline": self.clock.rfc3339(now + deadline) if deadline > 0
                                 else "0001-01-01T00:00:00Z",
                                 "StartedAt": old["StartedAt"] if old else stamp}
        node["SchedulingEligibility"] = "ineligible"
        node["_drain_reads"] = 0
        node["LastDrain"] = {"StartedAt": node["DrainStrategy"]["StartedAt"], "UpdatedAt": stamp,
                             "Status": "draining", "AccessorID": accessor, "Meta": meta}
        node["StatusUpdatedAt"] = now // 10 ** 9
        idx = self._write_node(node)
        self.node_event(node, "Node drain strategy updated" if old else "Node drain strategy set", "Drain", index=idx)
        if deadline < 0:  # force: allocations stopped at once
            self.finish_drain(node, "complete")
        return idx

    def stop_drain(self, node, mark_eligible):
        """A drain update without a DrainSpec: a running drain is canceled; only MarkEligible makes the node
        eligible (otherwise it stays ineligible). Returns the index of the update."""
        if node["DrainStrategy"] is not None:
            self.finish_drain(node, "canceled", event="Node drain disabled")
        if mark_eligible:
            node["SchedulingEligibility"] = "eligible"
        node["StatusUpdatedAt"] = self.clock.now_ns() // 10 ** 9
        return self._write_node(node)

    def finish_drain(self, node, status, event="Node drain complete"):
        """A drain ends (complete: the drainer's NodesDrainComplete, MarkEligible false; or canceled);
        LastDrain keeps its outcome; a complete drain has migrated the node's allocations."""
        node["DrainStrategy"] = None
        idx = self._write_node(node)
        self.node_event(node, event, "Drain", index=idx)
        if node["LastDrain"]:
            node["LastDrain"]["Status"] = status
            node["LastDrain"]["UpdatedAt"] = self.clock.rfc3339()
        if status == "complete":
            self.migrate_allocs(node)

    def tick_drain(self, node):
        """The stand-in for time of a drain: a draining node's drain completes after drain_polls reads."""
        if node["DrainStrategy"] is not None:
            node["_drain_reads"] += 1
            if node["_drain_reads"] >= self.drain_polls:
                self.finish_drain(node, "complete")

    def set_eligibility(self, node, value):
        """updateNodeEligibilityImpl: the node's scheduling eligibility; the same value again is a no-op
        (no Raft write, index 0). Returns the index of the update."""
        if node["SchedulingEligibility"] == value:
            return 0
        node["SchedulingEligibility"] = value
        node["StatusUpdatedAt"] = self.clock.now_ns() // 10 ** 9
        idx = self._write_node(node)
        self.node_event(node, "Node marked as %s for scheduling" % value, index=idx)
        if value == "eligible":
            self.reconcile_jobs()
        return idx

    def update_node_attributes(self, node, attributes):
        """The node's agent came back with changed attributes (e.g. a new nomad.version)."""
        node["Attributes"].update(attributes)
        node["ModifyIndex"] = self.next_index()

    # -- jobs, evaluations, deployments (nomad/job_endpoint.go Register, Deregister; the scheduler) --------
    def register_job(self, key, job, old, idx):
        """A job registration at index idx: a changed spec is stored as a new version; every registration
        of a job that is neither periodic nor parameterized creates a pending eval, which will create a
        deployment for a changed, running service job. Returns (changed, the stored job, the eval or None)."""
        changed = old is None or job_spec(old) != job_spec(job)
        if changed:
            job.update({"Status": "pending" if job["Type"] != "batch" else "running", "StatusDescription": "",
                        "Version": (old["Version"] + 1) if old else 0, "SubmitTime": self.clock.now_ns(),
                        "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx, "JobModifyIndex": idx,
                        "Stable": False})
            self.jobs[key] = job
        cur = self.jobs[key]
        ev = None
        if not (cur.get("Periodic") or cur.get("ParameterizedJob")):
            ev = self.new_eval(cur, "job-register", idx)
            if changed and cur["Type"] == "service" and not cur.get("Stop"):
                ev["_deploy"] = cur["Version"]
        return changed, cur, ev

    def deregister_job(self, key, job, purge, idx):
        """A job deregistration at index idx: purged from the state, or stopped as a new version; returns
        the deregistration's eval."""
        if purge:
            del self.jobs[key]
        else:
            job.update({"Stop": True, "Status": "dead", "ModifyIndex": idx, "JobModifyIndex": idx,
                        "Version": job["Version"] + 1})
        ev = self.new_eval(dict(job, Namespace=key[0]), "job-deregister", idx)
        for alloc in self.allocs.values():  # the scheduler stops a deregistered job's allocations
            if (alloc["Namespace"], alloc["JobID"]) == key and alloc["DesiredStatus"] == "run":
                self._stop(alloc, "alloc not needed due to job update", "complete")
        return ev

    def new_eval(self, job, trigger, idx):
        """nomad/job_endpoint.go doRegister: a pending evaluation; the scheduler (here: reads of the
        eval or of the job's deployment, see tick_eval) completes it and only then creates the
        deployment (CE: multiregionCreateDeployment returns nil)."""
        now = self.clock.now_ns()
        ev = {"ID": str(uuid.uuid4()), "Namespace": job["Namespace"], "Priority": job.get("Priority", 50),
              "Type": job.get("Type", "service"), "TriggeredBy": trigger, "JobID": job["ID"],
              "JobModifyIndex": job.get("JobModifyIndex", idx), "NodeID": "", "NodeModifyIndex": 0,
              "DeploymentID": "", "Status": "pending", "StatusDescription": "", "Wait": 0, "WaitUntil": None,
              "NextEval": "", "PreviousEval": "", "BlockedEval": "", "RelatedEvals": None, "FailedTGAllocs": None,
              "ClassEligibility": None, "QuotaLimitReached": "", "EscapedComputedClass": False,
              "AnnotatePlan": False, "QueuedAllocations": None, "LeaderACL": "", "SnapshotIndex": 0,
              "CreateIndex": idx, "ModifyIndex": idx, "CreateTime": now, "ModifyTime": now,
              "_reads": 0, "_deploy": None}
        self.evals[ev["ID"]] = ev
        return ev

    def tick_eval(self, ev):
        """The stand-in for the scheduler: a pending eval completes after eval_polls reads (of the eval or of
        its job's deployment), then creates the deployment of the job version it registered."""
        st = self
        if ev["Status"] != "pending":
            return
        ev["_reads"] += 1
        if ev["_reads"] <= st.eval_polls:
            return
        idx = st.next_index()
        ev.update({"Status": "complete", "ModifyIndex": idx, "ModifyTime": self.clock.now_ns()})
        version = ev["_deploy"]
        key = (ev["Namespace"], ev["JobID"])
        job = st.jobs.get(key)
        if version is not None and job is not None and job["Version"] == version:
            dep = {"ID": str(uuid.uuid4()), "Namespace": key[0], "JobID": key[1], "JobVersion": version,
                   "JobModifyIndex": job["JobModifyIndex"], "JobSpecModifyIndex": job["JobModifyIndex"],
                   "JobCreateIndex": job["CreateIndex"], "IsMultiregion": False, "TaskGroups": {},
                   "Status": "running", "StatusDescription": "Deployment is running", "EvalPriority": ev["Priority"],
                   "_reads": 0, "CreateIndex": idx, "ModifyIndex": idx}
            st.deployments[key] = dep
            ev["DeploymentID"] = dep["ID"]
        if ev["TriggeredBy"] == "job-register":
            st.reconcile_job(key)  # the scheduler places the job's allocations

    def tick_job_evals(self, key):
        """A read of the job's deployment: time passes for the job's pending evals."""
        for ev in list(self.evals.values()):
            if (ev["Namespace"], ev["JobID"]) == key:
                self.tick_eval(ev)

    def tick_deployment(self, dep):
        """The stand-in for time of a deployment: a running deployment succeeds after deployment_polls reads."""
        dep["_reads"] += 1
        if dep["Status"] == "running" and dep["_reads"] > self.deployment_polls:
            dep["Status"] = "successful"
            dep["StatusDescription"] = "Deployment completed successfully"

    def snapshot_tables(self):
        keep = ("index", "acl_bootstrap_index", "tokens", "policies", "namespaces", "node_pools", "nodes", "variables",
                "autopilot", "roles", "auth_methods", "binding_rules", "allocs")
        tables = dict((k, getattr(self, k)) for k in keep)
        tables["jobs"] = [[k[0], k[1], v] for k, v in self.jobs.items()]
        tables["variables"] = [[k[0], k[1], v] for k, v in self.variables.items()]
        return tables

    def restore_tables(self, tables):
        for key in ("index", "acl_bootstrap_index", "tokens", "policies", "namespaces", "node_pools", "nodes", "autopilot",
                    "roles", "auth_methods", "binding_rules", "allocs"):
            setattr(self, key, tables.get(key, {}))
        self._changed()
        self.jobs = dict(((ns, jid), job) for ns, jid, job in tables["jobs"])
        self.variables = dict(((ns, p), var) for ns, p, var in tables["variables"])
