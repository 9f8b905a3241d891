"""DoubleState: everything the Nomad API double holds, guarded by one lock, and the state changes of
nodes, jobs, evaluations, allocations and deployments (handlers call these methods instead of writing the
tables, so a clock or an event stream can hook in one place). The nodes' life over time (registration,
heartbeats, identities, heartbeat expiry, allocations on disconnected nodes, node GC, the scheduler
stand-in's placement) is lifecycle.py's NodeLifecycle, mixed in here; every rule reads the one Clock
(clock.py).

Every change method publishes the events of its change through publish() (events.py, the event broker
behind GET /v1/event/stream), with the Raft message Type Nomad gives the whole transaction
(nomad/state/events.go eventsFromChanges, nomad/structs/event.go). A new change method (a clock making
nodes down, say) publishes by calling the node, allocation or job helpers here, and its events reach the
stream with nothing else to do."""

import copy
import threading
import uuid

from . import events as broker
from .clock import Clock
from .job_spec import job_spec
from .lifecycle import EV_MISSED, EV_REREG_HEARTBEAT, NodeLifecycle

WINDOWS_OS_NAME = "Microsoft Windows Server 2022 Datacenter"  # client/fingerprint/host.go: os.name = Platform

DAY_NS = 24 * 3600 * 10 ** 9  # nomad/structs/node_pool.go DefaultNodePoolNodeIdentityTTL
JOB_TRACKED_VERSIONS = 6  # nomad/structs/structs.go JobDefaultTrackedVersions (server job_tracked_versions)


# nomad/config.go DefaultConfig DefaultSchedulerConfig: what the leader seeds into raft on a new cluster
# (nomad/leader.go getOrCreateSchedulerConfig)
DEFAULT_SCHEDULER_CONFIG = {
    "SchedulerAlgorithm": "binpack",
    "PreemptionConfig": {"SystemSchedulerEnabled": True, "SysBatchSchedulerEnabled": False,
                         "BatchSchedulerEnabled": False, "ServiceSchedulerEnabled": False},
    "MemoryOversubscriptionEnabled": False, "RejectJobRegistration": False, "PauseEvalBroker": False,
    "NodeLimitForFeasibilityChecks": 0,
}
# client/hostvolumemanager/host_volume_plugin.go HostVolumePluginMkdirID/Version: every client fingerprints the
# built-in plugin (client/fingerprint/dynamic_host_volumes.go)
MKDIR_PLUGIN_ATTRIBUTE = ("plugins.host_volume.mkdir.version", "0.0.1")


class DoubleState(NodeLifecycle):
    """All server-side state of the double, guarded by one lock."""

    def __init__(self, acl=False, nodes=4, region="global", enterprise=False):
        self.lock = threading.RLock()
        self.clock = Clock()
        self.region = region
        self.acl_enabled = acl
        # False: the community edition (501 on the Enterprise-only paths, license 204); True: Nomad Enterprise
        self.enterprise = enterprise
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
        self.job_versions = {}  # (namespace, id) -> the job's versions, newest first (JOB_TRACKED_VERSIONS kept)
        self.allocs = {}  # alloc ID -> allocation (placed by the scheduler stand-in, tick_eval)
        self.events = broker.EventBroker()  # the event broker: every change method publishes through publish()
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
        self.scheduler_config = dict(DEFAULT_SCHEDULER_CONFIG, PreemptionConfig=dict(
            DEFAULT_SCHEDULER_CONFIG["PreemptionConfig"]), CreateIndex=6, ModifyIndex=6)
        self.host_volumes = {}  # (namespace, ID) -> dynamic host volume
        self.host_volume_polls = 1  # reads of a pending volume before its node's fingerprint reports it
        self.csi_plugins = {}  # plugin ID -> CSI plugin (seeded with /_double/csi-plugin: plugins are jobs)
        self.csi_volumes = {}  # (namespace, ID) -> CSI volume
        self.csi_provider_deletes = []  # what the controllers were asked to delete (ID, ExternalID, Secrets)
        self.quotas = {}  # name -> quota specification (Enterprise)
        self.sentinel_policies = {}  # name -> Sentinel policy (Enterprise)
        self.service_registrations = {}  # ID -> service registration (seeded with /_double/service-registration)
        self.alloc_checks = {}  # allocation ID -> {check ID: result}, or None: its node cannot be reached
        self.server_version = "2.0.5"  # what every server reports in Autopilot's view (/_double/servers-version)
        self.servers = [("nomad-server-%d" % i, "10.0.0.%d:4647" % (i + 1)) for i in range(3)]
        # Raft server IDs of self.servers by name (the node-id of each server's data_dir).
        self.server_ids = dict((name, str(uuid.UUID(int=i + 1))) for i, (name, dummy) in enumerate(self.servers))
        # Serf's view beyond this region: regions with alive servers (/v1/regions), and the servers of
        # other regions a join can reach, address -> region (what the test says answers at that address;
        # the double runs no gossip). Filled through /_double/wan.
        self.known_regions = {region}
        self.wan_servers = {}
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
    def set_servers(self, servers):
        """The servers Raft knows, [(name, address)], as after servers joined or left (a test's /_double/servers):
        a name seen before keeps its ID, a new one gets the next free ID."""
        used = set(self.server_ids.values())
        for name, dummy in servers:
            if name not in self.server_ids:
                n = 1
                while str(uuid.UUID(int=n)) in used:
                    n += 1
                self.server_ids[name] = str(uuid.UUID(int=n))
                used.add(self.server_ids[name])
        self.servers = list(servers)

    def remove_server(self, server_id):
        """Remove the Raft peer with this ID (nomad/operator_endpoint.go RaftRemovePeerByID -> raft.RemoveServer);
        returns False when no peer has it. The first remaining server leads."""
        for name, addr in self.servers:
            if self.server_ids.get(name) == server_id:
                self.servers = [s for s in self.servers if s[0] != name]
                self.next_index()
                return True
        return False

    def next_index(self):
        self.index += 1
        return self.index

    # -- events: the one hook of every change (nomad/state/events.go eventsFromChanges) -------------------
    def publish(self, index, events):
        """Hand the events of the change at ``index`` to the event broker (one buffer item per index)."""
        self.events.publish(index, events)

    def node_stream_event(self, node, event_type):
        """A Node event of the stream (NodeEvent is the node's own Events list: lifecycle.py node_event)."""
        return broker.make_event("Node", event_type, node["ID"], "", broker.node_payload(node))

    def alloc_event(self, alloc, event_type):
        # nomad/state/events.go: Allocation FilterKeys are the JobID and the DeploymentID
        return broker.make_event("Allocation", event_type, alloc["ID"], alloc["Namespace"], broker.alloc_payload(alloc),
                                 [alloc["JobID"], alloc.get("DeploymentID") or ""])

    def job_event(self, job, event_type, deleted=False):
        payload = {"Job": broker.public(job)}
        if deleted:
            payload["Deleted"] = True  # nomad/structs/event.go JobEvent.Deleted (omitempty), on a purge
        return broker.make_event("Job", event_type, job["ID"], job["Namespace"], payload)

    def eval_event(self, ev, event_type):
        return broker.make_event("Evaluation", event_type, ev["ID"], ev["Namespace"],
                                 {"Evaluation": {k: v for k, v in broker.public(ev).items() if v not in broker.ZERO}},
                                 [ev["JobID"], ev.get("DeploymentID") or ""])

    def deployment_event(self, dep, event_type):
        return broker.make_event("Deployment", event_type, dep["ID"], dep["Namespace"],
                                 {"Deployment": broker.public(dep)}, [dep["JobID"]])

    @staticmethod
    def _namespace(name, description, meta, index):
        return {"Name": name, "Description": description, "Quota": "", "Capabilities": None,
                "NodePoolConfiguration": None, "VaultConfiguration": None, "ConsulConfiguration": None,
                "Meta": meta, "RequiredExtraClaims": None, "OptionalExtraClaims": None,
                "CreateIndex": index, "ModifyIndex": index}

    def fake_node(self, i):
        """The i-th deterministic fake node (add_nodes), not yet in the state, with a simulated agent."""
        pools = ("default", "edge-arm", "edge-x86", "gpu")
        node_id = str(uuid.UUID(int=(0x5EED << 96) + i))
        pool = pools[i % len(pools)]
        windows = i % 5 == 4
        arch = "arm64" if pool == "edge-arm" else "amd64"
        address = "10.%d.%d.%d" % (10 + (i >> 16) % 200, (i >> 8) % 256, i % 256)
        return {
            "ID": node_id, "SecretID": "", "Name": "edge-%05d" % i, "Datacenter": "dc%d" % (1 + i % 2),
            "NodePool": pool, "NodeClass": "gpu" if pool == "gpu" else "", "HTTPAddr": address + ":4646",
            "TLSEnabled": False, "Status": "down" if i % 7 == 6 else "ready", "StatusDescription": "",
            "StatusUpdatedAt": self.clock.now_ns() // 10 ** 9, "SchedulingEligibility": "eligible",
            "DrainStrategy": None, "LastDrain": None, "Events": [], "IdentitySigningKeyID": "",
            "LastMissedHeartbeatIndex": 0, "LastAllocUpdateIndex": 0,
            "Attributes": {"os.name": WINDOWS_OS_NAME if windows else "ubuntu",
                           "kernel.name": "windows" if windows else "linux",
                           "cpu.arch": arch, "nomad.version": "2.0.5", "unique.network.ip-address": address,
                           MKDIR_PLUGIN_ATTRIBUTE[0]: MKDIR_PLUGIN_ATTRIBUTE[1]},
            "Meta": {"rack": "r%d" % (i % 3)},
            "Drivers": {"exec": {"Attributes": None, "Detected": True, "Healthy": True, "HealthDescription": "Healthy",
                                 "UpdateTime": "2026-11-24T10:00:00Z"}},
            "HostVolumes": {}, "CreateIndex": 20 + i, "ModifyIndex": 20 + i,
            "_drain_reads": 0, "_agent": "simulated", "_hb_deadline": None,
        }

    def add_nodes(self, count, start=0):
        """Deterministic fake client nodes: 4 pools x 2 datacenters x linux/windows x amd64/arm64. Their agents
        are simulated: they keep heartbeating (no timer expires) until a test silences one
        (/_double/node-agent); a `down` one is garbage-collected like any down node."""
        for i in range(start, start + count):
            node = self.fake_node(i)
            self.nodes[node["ID"]] = node
            pool = node["NodePool"]
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
        self.publish(idx, [self.node_stream_event(node, "NodeDrain")])  # NodeUpdateDrainRequestType
        if deadline < 0:  # force: allocations stopped at once
            self.finish_drain(node, "complete")
        return idx

    def stop_drain(self, node, mark_eligible):
        """A drain update without a DrainSpec: a running drain is canceled; only MarkEligible makes the node
        eligible (otherwise it stays ineligible). Returns the index of the update."""
        if node["DrainStrategy"] is not None:
            self.finish_drain(node, "canceled", event="Node drain disabled", publish=False)
        if mark_eligible:
            node["SchedulingEligibility"] = "eligible"
        node["StatusUpdatedAt"] = self.clock.now_ns() // 10 ** 9
        idx = self._write_node(node)
        self.publish(idx, [self.node_stream_event(node, "NodeDrain")])  # one UpdateDrain transaction
        return idx

    def finish_drain(self, node, status, event="Node drain complete", publish=True):
        """A drain ends (complete: the drainer's NodesDrainComplete, MarkEligible false; or canceled);
        LastDrain keeps its outcome; a complete drain has migrated the node's allocations. The drainer
        completes a drain in a transaction of its own (nomad/drainer/drainer.go, BatchNodeUpdateDrainRequestType:
        Type NodeDrain)."""
        node["DrainStrategy"] = None
        idx = self._write_node(node)
        self.node_event(node, event, "Drain", index=idx)
        if node["LastDrain"]:
            node["LastDrain"]["Status"] = status
            node["LastDrain"]["UpdatedAt"] = self.clock.rfc3339()
        if publish:
            self.publish(idx, [self.node_stream_event(node, "NodeDrain")])
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
        self.publish(idx, [self.node_stream_event(node, "NodeEligibility")])  # NodeUpdateEligibilityRequestType
        if value == "eligible":
            self.reconcile_jobs()
        return idx

    def update_node_attributes(self, node, attributes):
        """The node's agent came back with changed attributes (e.g. a new nomad.version): it registers again
        (Node.Register, Type NodeRegistration)."""
        node["Attributes"].update(attributes)
        idx = self._write_node(node)
        self.publish(idx, [self.node_stream_event(node, "NodeRegistration")])

    def register_fake_node(self, name, node_pool="default", datacenter="dc1", node_class=""):
        """A new client with a simulated agent registers (nomad/node_endpoint.go Node.Register): status
        initializing; a node pool that does not exist is created (fetchOrCreateNodePoolTxn; its NodePool event
        is of Type NodeRegistration too)."""
        node = self.fake_node(len(self.nodes))
        node.update({"ID": str(uuid.uuid4()), "Name": name, "NodePool": node_pool, "Datacenter": datacenter,
                     "NodeClass": node_class, "Status": "initializing"})
        pool_events = self.create_pool_for_node(node_pool) if node_pool not in self.node_pools else []
        self.upsert_node(node, None, pool_events)
        return node

    def change_node_status(self, node, status):
        """What /_double/node-status stands in for: a node's heartbeats stop (down or disconnected, "Node
        heartbeat missed", as nomad/heartbeat.go invalidateHeartbeat) or come back (ready; "Node reregistered
        by heartbeat" after down, as Node.UpdateStatus). None when the node already has that status."""
        if node["Status"] == status:
            return None
        event = None
        if status in ("down", "disconnected"):
            event = (EV_MISSED, None)
        elif status == "ready" and node["Status"] == "down":
            event = (EV_REREG_HEARTBEAT, None)
        return self.set_node_status(node, status, event)

    # -- allocations (the client's updates: nomad/node_endpoint.go Node.UpdateAlloc) -------------------------
    def set_alloc_client_status(self, allocs, status, description=""):
        """Clients report allocation status (batched): Type AllocationUpdated (AllocClientUpdateRequestType)."""
        if not allocs:
            return None
        idx = self.next_index()
        for alloc in allocs:
            alloc.update({"ClientStatus": status, "ClientDescription": description, "ModifyIndex": idx,
                          "ModifyTime": self.clock.now_ns()})
        self.publish(idx, [self.alloc_event(a, "AllocationUpdated") for a in allocs])
        return idx

    # -- dynamic host volumes (nomad/state/state_store_host_volumes.go) -----------------------------------
    def upsert_host_volume(self, vol, idx):
        """UpsertHostVolume: the volume is written at idx; it is ready at once when its node's fingerprint
        already lists its name (an update), pending otherwise; the node pool is the node's."""
        node = self.nodes[vol["NodeID"]]
        old = self.host_volumes.get((vol["Namespace"], vol["ID"]))
        vol["CreateIndex"] = old["CreateIndex"] if old else idx
        if old:
            vol["CreateTime"] = old["CreateTime"]
        if vol["Name"] in (node.get("HostVolumes") or {}):
            vol["State"] = "ready"
        vol["NodePool"] = node["NodePool"]
        vol["ModifyIndex"] = idx
        vol["_reads"] = 0
        self.host_volumes[(vol["Namespace"], vol["ID"])] = vol

    def tick_host_volume(self, vol):
        """The stand-in for the client's fingerprint: after host_volume_polls reads of a pending volume its
        node reports the volume (node.HostVolumes) and upsertHostVolumeForNode sets it ready, or unavailable
        on a down node."""
        if vol["State"] != "pending":
            return
        vol["_reads"] += 1
        if vol["_reads"] <= self.host_volume_polls:
            return
        node = self.nodes.get(vol["NodeID"])
        if node is None:
            return
        node.setdefault("HostVolumes", {})[vol["Name"]] = {"Path": vol["HostPath"], "ReadOnly": False, "ID": vol["ID"]}
        vol["State"] = "ready" if node["Status"] == "ready" else "unavailable"
        vol["ModifyIndex"] = self.next_index()

    def host_volumes_follow_node(self, node):
        """nomad/state/state_store_host_volumes.go upsertHostVolumeForNode, run when a node's status changes: the
        volumes its fingerprint lists are unavailable on a down node and ready again on a ready one."""
        for vol in self.host_volumes.values():
            if vol["NodeID"] != node["ID"] or vol["Name"] not in (node.get("HostVolumes") or {}):
                continue
            new = "unavailable" if node["Status"] == "down" else ("ready" if node["Status"] == "ready"
                                                                  else vol["State"])
            if new != vol["State"]:
                vol["State"] = new
                vol["ModifyIndex"] = self.next_index()

    def delete_host_volume(self, vol):
        """HostVolume.Delete: the client drops the volume (its fingerprint no longer lists the name)."""
        node = self.nodes.get(vol["NodeID"])
        if node is not None:
            (node.get("HostVolumes") or {}).pop(vol["Name"], None)
        del self.host_volumes[(vol["Namespace"], vol["ID"])]
        return self.next_index()

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
            self.keep_job_version(key, job)
        cur = self.jobs[key]
        ev = None
        if not (cur.get("Periodic") or cur.get("ParameterizedJob")):
            ev = self.new_eval(cur, "job-register", idx)
            if changed and cur["Type"] == "service" and not cur.get("Stop"):
                ev["_deploy"] = cur["Version"]
        # JobRegisterRequestType: the job and its evaluation, in one transaction
        self.publish(idx, [self.job_event(cur, "JobRegistered")] + ([self.eval_event(ev, "JobRegistered")] if ev else []))
        return changed, cur, ev

    def keep_job_version(self, key, job):
        """nomad/state/state_store.go upsertJobVersion: the versions of a job, newest first; past
        JOB_TRACKED_VERSIONS the oldest goes, except that the newest stable version is kept."""
        versions = [v for v in self.job_versions.get(key, []) if v["Version"] != job["Version"]]
        versions = sorted([copy.deepcopy(job)] + versions, key=lambda v: -v["Version"])
        if len(versions) > JOB_TRACKED_VERSIONS:
            limit = JOB_TRACKED_VERSIONS
            stable = next((i for i, v in enumerate(versions) if v.get("Stable")), -1)
            if stable == limit:
                versions[limit - 1], versions[limit] = versions[limit], versions[limit - 1]
            del versions[limit]
        self.job_versions[key] = versions

    def revert_job(self, key, version, enforce_prior_version):
        """nomad/job_endpoint.go Job.Revert: the job at ``version`` registered again as a new version (Stable
        false; nomad/state/state_store.go upsertJobImpl bumps a version that is not newer). The caller has
        checked the refusals. Returns what register_job returns."""
        old = self.jobs[key]
        target = copy.deepcopy(next(v for v in self.job_versions[key] if v["Version"] == version))
        target["Stable"] = False
        idx = self.next_index()
        target.update({"Status": "pending" if target["Type"] != "batch" else "running", "StatusDescription": "",
                       "Version": old["Version"] + 1, "SubmitTime": self.clock.now_ns(), "CreateIndex": old["CreateIndex"],
                       "ModifyIndex": idx, "JobModifyIndex": idx})
        self.jobs[key] = target
        self.keep_job_version(key, target)
        ev = self.new_eval(target, "job-register", idx)
        if target["Type"] == "service" and not target.get("Stop"):
            ev["_deploy"] = target["Version"]
        self.publish(idx, [self.job_event(target, "JobRegistered"), self.eval_event(ev, "JobRegistered")])
        return True, target, ev

    def deregister_job(self, key, job, purge, idx):
        """A job deregistration at index idx: purged from the state, or stopped as a new version; returns
        the deregistration's eval."""
        if purge:
            del self.jobs[key]
            self.job_versions.pop(key, None)
        else:
            job.update({"Stop": True, "Status": "dead", "ModifyIndex": idx, "JobModifyIndex": idx,
                        "Version": job["Version"] + 1})
            self.keep_job_version(key, job)
        ev = self.new_eval(dict(job, Namespace=key[0]), "job-deregister", idx)
        # JobDeregisterRequestType: a purge sends the job with Deleted true (JobEvent), a stop the stopped job
        self.publish(idx, [self.job_event(dict(job, Namespace=key[0]), "JobDeregistered", deleted=purge),
                           self.eval_event(ev, "JobDeregistered")])
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
        plan = []  # the scheduler's plan (ApplyPlanResultsRequestType: Type PlanResult): deployment and allocations
        if version is not None and job is not None and job["Version"] == version:
            dep = {"ID": str(uuid.uuid4()), "Namespace": key[0], "JobID": key[1], "JobVersion": version,
                   "JobModifyIndex": job["JobModifyIndex"], "JobSpecModifyIndex": job["JobModifyIndex"],
                   "JobCreateIndex": job["CreateIndex"], "IsMultiregion": False, "TaskGroups": {},
                   "Status": "running", "StatusDescription": "Deployment is running", "EvalPriority": ev["Priority"],
                   "_reads": 0, "CreateIndex": idx, "ModifyIndex": idx}
            st.deployments[key] = dep
            ev["DeploymentID"] = dep["ID"]
            plan.append(self.deployment_event(dep, "PlanResult"))
        self._plan = (idx, plan)
        try:
            if ev["TriggeredBy"] == "job-register":
                st.reconcile_job(key)
        finally:
            self.end_plan()
        # the evaluation's own update (EvalUpdateRequestType) comes after the plan
        ev_idx = ev["ModifyIndex"] = st.next_index()
        self.publish(ev_idx, [self.eval_event(ev, "EvaluationUpdated")])

    def tick_job_evals(self, key):
        """A read of the job's deployment: time passes for the job's pending evals."""
        for ev in list(self.evals.values()):
            if (ev["Namespace"], ev["JobID"]) == key:
                self.tick_eval(ev)

    def tick_deployment(self, dep):
        """The stand-in for time of a deployment: a running deployment succeeds after deployment_polls reads."""
        dep["_reads"] += 1
        if dep["Status"] == "running" and dep["_reads"] > self.deployment_polls:
            self.set_deployment_status(dep, "successful", "Deployment completed successfully")

    def set_deployment_status(self, dep, status, description):
        """The deployment watcher's status update (nomad/deploymentwatcher: upsertDeploymentStatusUpdate,
        Type DeploymentStatusUpdate). A successful deployment marks its job version stable in the same
        transaction (nomad/state/state_store.go updateDeploymentStatusImpl -> updateJobStabilityImpl), which
        puts a Job event of the same Type beside it."""
        idx = self.next_index()
        dep.update({"Status": status, "StatusDescription": description, "ModifyIndex": idx})
        out = [self.deployment_event(dep, "DeploymentStatusUpdate")]
        key = (dep["Namespace"], dep["JobID"])
        if status == "successful":
            for version in self.job_versions.get(key, []):
                if version["Version"] == dep["JobVersion"]:
                    version["Stable"] = True
            job = self.jobs.get(key)
            if job is not None and job["Version"] == dep["JobVersion"]:
                job.update({"Stable": True, "ModifyIndex": idx})
                out.append(self.job_event(job, "DeploymentStatusUpdate"))
        self.publish(idx, out)
        return idx

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
        # nomad/fsm.go restore: a new state store with a new, empty event broker; open streams end
        self.events.cut()
        self.events = broker.EventBroker(self.events.size, self.events.heartbeat)
