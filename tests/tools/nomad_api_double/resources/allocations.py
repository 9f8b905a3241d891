"""/v1/allocations and /v1/allocation/<id> (command/agent/alloc_endpoint.go AllocsRequest, nomad/alloc_endpoint.go
Alloc.List, Alloc.GetAlloc). The allocations themselves are placed by the scheduler stand-in (lifecycle.py
reconcile_job).

/v1/client/allocation/<id>/checks: the results of an allocation's Nomad service checks (command/agent/
alloc_endpoint.go allocChecks, routed to the allocation's client through the servers: ClientAllocations.Checks).
The double runs no checks: the results are seeded with /_double/alloc-checks beside the registrations of
/_double/service-registration."""

import copy

from ..common import HTTPFailure, route
from .nodes import public_alloc

STUB_FIELDS = ("ID", "EvalID", "Name", "Namespace", "NodeID", "NodeName", "JobID", "JobType", "JobVersion", "TaskGroup",
               "DesiredStatus", "DesiredDescription", "ClientStatus", "ClientDescription", "TaskStates",
               "DeploymentStatus", "FollowupEvalID", "NextAllocation", "RescheduleTracker", "PreemptedAllocations",
               "PreemptedByAllocation", "CreateIndex", "ModifyIndex", "CreateTime", "ModifyTime")


def alloc_stub(alloc):
    """structs.Allocation.Stub (what /v1/allocations lists)."""
    full = dict(public_alloc(alloc), JobType=alloc["_job_type"], JobVersion=alloc["_job_version"])
    return dict((k, full.get(k)) for k in STUB_FIELDS)


class Allocations:
    """Handlers of /v1/allocations, /v1/allocation/<id> and /v1/client/allocation/<id>/checks."""

    def allocations_list(self):
        """Alloc.List: read-job on the namespace; namespace "*" lists the namespaces the token may read
        (allowedNSes); X-Nomad-Index is the state's index."""
        namespace = self.namespace()
        if namespace == "*":
            token = self.auth("any")
            wanted = [ns for ns in self.state.namespaces if not self.state.acl_enabled or token is None
                      or self.allowed(token, "namespace", "read-job", ns)]
        else:
            self.auth(("namespace", "read-job", namespace))
            wanted = [namespace]
        allocs = sorted((a for a in self.state.allocs.values() if a["Namespace"] in wanted),
                        key=lambda a: a["CreateIndex"])
        return 200, [alloc_stub(a) for a in allocs], self.read_headers()

    def allocation_get(self, alloc_id):
        """Alloc.GetAlloc: 404 "alloc not found"."""
        alloc = self.state.allocs.get(alloc_id)
        self.auth(("namespace", "read-job", alloc["Namespace"] if alloc else self.namespace()))
        if alloc is None:
            raise HTTPFailure(404, "alloc not found")
        return 200, public_alloc(alloc), self.read_headers(alloc["ModifyIndex"])

    def alloc_checks(self, alloc_id):
        """command/agent/alloc_endpoint.go allocChecks -> ClientAllocations.Checks (read-job in the allocation's
        namespace): an unknown allocation or a node that cannot be reached is 404 with the RPC's text
        (Unknown allocation "<id>", No path to node); the answer maps check IDs to api.AllocCheckStatus."""
        st = self.state
        reg = next((r for r in st.service_registrations.values() if r["AllocID"] == alloc_id), None)
        if reg is None or alloc_id not in st.alloc_checks:
            raise HTTPFailure(404, 'Unknown allocation "%s"' % alloc_id)
        self.auth(("namespace", "read-job", reg["Namespace"]))
        checks = st.alloc_checks[alloc_id]
        if checks is None:
            raise HTTPFailure(404, "No path to node")
        return 200, copy.deepcopy(checks), {}


ROUTES = [
    route("GET", r"/v1/allocations", Allocations.allocations_list),
    route("GET", r"/v1/allocation/([^/]+)", Allocations.allocation_get),
    route("GET", r"/v1/client/allocation/([^/]+)/checks", Allocations.alloc_checks),
]
