"""/v1/allocations: the allocation list (command/agent/alloc_endpoint.go AllocsRequest, nomad/alloc_endpoint.go
Alloc.List). The allocations themselves are placed by the scheduler stand-in (state.py place)."""

from ..common import route

STUB = ("ID", "EvalID", "Name", "Namespace", "NodeID", "NodeName", "JobID", "JobVersion", "TaskGroup", "DesiredStatus",
        "DesiredDescription", "ClientStatus", "ClientDescription", "DeploymentID", "CreateIndex", "ModifyIndex",
        "AllocModifyIndex", "CreateTime", "ModifyTime")


class Allocations:
    """Handler of /v1/allocations."""

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


ROUTES = [
    route("GET", r"/v1/allocations", Allocations.allocations_list),
]
