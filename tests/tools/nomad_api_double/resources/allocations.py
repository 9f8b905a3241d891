"""/v1/allocations: the allocation list (command/agent/alloc_endpoint.go AllocsRequest, nomad/alloc_endpoint.go
Alloc.List). The allocations themselves are placed by the scheduler stand-in (state.py place).

/v1/client/allocation/<id>/checks: the results of an allocation's Nomad service checks (command/agent/
alloc_endpoint.go allocChecks, routed to the allocation's client through the servers: ClientAllocations.Checks).
The double runs no checks: the results are seeded with /_double/alloc-checks beside the registrations of
/_double/service-registration."""

import copy

from ..common import HTTPFailure, route

STUB = ("ID", "EvalID", "Name", "Namespace", "NodeID", "NodeName", "JobID", "JobVersion", "TaskGroup", "DesiredStatus",
        "DesiredDescription", "ClientStatus", "ClientDescription", "DeploymentID", "CreateIndex", "ModifyIndex",
        "AllocModifyIndex", "CreateTime", "ModifyTime")


class Allocations:
    """Handlers of /v1/allocations and /v1/client/allocation/<id>/checks."""

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
        return 200, [{k: a.get(k) for k in STUB} for a in allocs], self.read_headers()

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
    route("GET", r"/v1/client/allocation/([^/]+)/checks", Allocations.alloc_checks),
]
