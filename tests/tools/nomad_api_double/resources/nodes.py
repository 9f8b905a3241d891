"""/v1/nodes and /v1/node/<id>: list (filter, pagination), read, drain, eligibility, purge, allocations
(nomad/node_endpoint.go, command/agent/node_endpoint.go)."""

import copy

from ..common import HTTPFailure, bexpr_subset, field, route


def _node_stub(node, with_os, with_resources):
    """nomad/structs/structs.go Node.Stub: Address is the host of HTTPAddr, Drain = DrainStrategy != nil; no
    StatusUpdatedAt, no Events."""
    stub = {k: copy.deepcopy(node[k]) for k in ("ID", "Datacenter", "Name", "NodePool", "NodeClass",
                                                "SchedulingEligibility", "Status", "StatusDescription", "Drivers",
                                                "HostVolumes", "LastDrain", "CreateIndex", "ModifyIndex") if k in node}
    host = (node.get("HTTPAddr") or "").rsplit(":", 1)[0].strip("[]")
    stub["Address"] = host or node["Attributes"].get("unique.network.ip-address", "")
    stub["Version"] = node["Attributes"].get("nomad.version", "")
    stub["Drain"] = node.get("DrainStrategy") is not None
    if with_os:
        stub["Attributes"] = {"os.name": node["Attributes"].get("os.name", "")}
    if with_resources:
        stub["NodeResources"] = {"Cpu": {"CpuShares": 4000}, "Memory": {"MemoryMB": 8192}}
        stub["ReservedResources"] = None
    return stub


def _public_node(node):
    """structs.Node as Node.GetNode answers it: SecretID blanked (Sanitize), no Drain field."""
    out = {k: copy.deepcopy(v) for k, v in node.items() if not k.startswith("_") and k != "Drain"}
    out["SecretID"] = ""
    return out


def public_alloc(alloc):
    return {k: copy.deepcopy(v) for k, v in alloc.items() if not k.startswith("_")}


class Nodes:
    """Handlers of /v1/nodes and /v1/node/<id>[/drain|/eligibility]."""

    def nodes_list(self):
        self.auth(("node", "read"))
        prefix = self.query.get("prefix", "")
        with_os = self.query.get("os") == "true"
        with_res = self.query.get("resources") == "true"
        match = bexpr_subset(self.query.get("filter"))
        nodes = sorted((n for n in self.state.nodes.values() if n["ID"].startswith(prefix)
                        and match(_node_stub(n, True, False))), key=lambda n: n["ID"])
        headers = self.read_headers()
        per_page = int(self.query.get("per_page") or 0)
        next_token = self.query.get("next_token")
        if next_token:
            nodes = [n for n in nodes if n["ID"] >= next_token]
        if per_page and len(nodes) > per_page:
            headers["X-Nomad-NextToken"] = nodes[per_page]["ID"]
            nodes = nodes[:per_page]
        return 200, [_node_stub(n, with_os, with_res) for n in nodes], headers

    def node_get(self, node_id):
        self.auth(("node", "read"))
        node = self.state.nodes.get(node_id)
        if node is None:
            raise HTTPFailure(404, "node not found")
        if not getattr(self, "_bypass_auth", False):  # a read is the double's stand-in for time
            self.state.tick_drain(node)
        return 200, _public_node(node), self.read_headers(node["ModifyIndex"])

    def node_drain(self, node_id):
        token = self.auth(("node", "write")) or {}
        body = self.json_body()
        node = self.state.nodes.get(node_id)
        if node is None:
            raise HTTPFailure(500, "node not found")
        spec = field(body, "DrainSpec")
        if spec is not None:
            idx = self.state.start_drain(node, int(field(spec, "Deadline") or 0), bool(field(spec, "IgnoreSystemJobs")),
                                         field(body, "Meta"), accessor=token.get("AccessorID", ""))
        else:
            idx = self.state.stop_drain(node, bool(field(body, "MarkEligible")))
        return 200, {"NodeModifyIndex": node["ModifyIndex"], "EvalIDs": [], "EvalCreateIndex": 0,
                     "Index": idx}, self.write_headers(idx)

    def node_eligibility(self, node_id):
        self.auth(("node", "write"))
        body = self.json_body()
        node = self.state.nodes.get(field(body, "NodeID") or node_id)
        if node is None:
            raise HTTPFailure(500, "node not found")
        value = field(body, "Eligibility")
        if value not in ("eligible", "ineligible"):
            raise HTTPFailure(500, 'invalid scheduling eligibility "%s"' % value)
        if value == "eligible" and node["DrainStrategy"] is not None:
            raise HTTPFailure(500, "can not set node's scheduling eligibility to eligible while it is draining")
        # nomad/node_endpoint.go UpdateEligibility: the same value again returns before any Raft write (Index
        # 0); NodeModifyIndex is never set in this reply
        idx = self.state.set_eligibility(node, value)
        return 200, {"NodeModifyIndex": 0, "EvalIDs": [], "EvalCreateIndex": 0, "Index": idx}, self.write_headers(idx)

    def node_purge(self, node_id):
        """command/agent/node_endpoint.go nodePurge -> Node.Deregister (node:write): the node is deleted even
        while its agent runs (its next heartbeat gets "node not found" and it registers again); an unknown
        node is a 500 "node not found"."""
        self.auth(("node", "write"))
        if node_id not in self.state.nodes:
            raise HTTPFailure(500, "node not found")
        self.state.delete_node(node_id)
        idx = self.state.index
        return 200, {"EvalIDs": None, "EvalCreateIndex": 0, "NodeModifyIndex": idx, "Index": idx}, \
            self.write_headers(idx)

    def node_allocations(self, node_id):
        """command/agent/node_endpoint.go nodeAllocations -> Node.GetAllocs (node:read and read-job)."""
        self.auth(("node", "read"))
        allocs = sorted((a for a in self.state.allocs.values() if a["NodeID"] == node_id),
                        key=lambda a: a["CreateIndex"])
        return 200, [public_alloc(a) for a in allocs], self.read_headers()


ROUTES = [
    route("GET", r"/v1/nodes", Nodes.nodes_list),
    route("PUT POST", r"/v1/node/([^/]+)/purge", Nodes.node_purge),
    route("GET", r"/v1/node/([^/]+)/allocations", Nodes.node_allocations),
    route("PUT POST", r"/v1/node/([^/]+)/drain", Nodes.node_drain),
    route("PUT POST", r"/v1/node/([^/]+)/eligibility", Nodes.node_eligibility),
    route("GET", r"/v1/node/([^/]+)", Nodes.node_get),
]
