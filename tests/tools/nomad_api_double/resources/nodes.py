"""/v1/nodes and /v1/node/<id>: list (filter, pagination), read, drain, eligibility
(nomad/node_endpoint.go, command/agent/node_endpoint.go)."""

import copy

from ..common import HTTPFailure, bexpr_subset, field, route


def _node_stub(node, with_os, with_resources):
    stub = {k: node[k] for k in ("Address", "ID", "Datacenter", "Name", "NodePool", "NodeClass", "Version", "Drain",
                                 "SchedulingEligibility", "Status", "StatusDescription", "Drivers", "HostVolumes",
                                 "LastDrain", "CreateIndex", "ModifyIndex") if k in node}
    stub["Address"] = node["Attributes"]["unique.network.ip-address"]
    stub["Version"] = node["Attributes"].get("nomad.version", "")
    if with_os:
        stub["Attributes"] = {"os.name": node["Attributes"].get("os.name", "")}
    if with_resources:
        stub["NodeResources"] = {"Cpu": {"CpuShares": 4000}, "Memory": {"MemoryMB": 8192}}
        stub["ReservedResources"] = None
    return stub


def _public_node(node):
    return {k: copy.deepcopy(v) for k, v in node.items() if not k.startswith("_")}


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
        self.auth(("node", "write"))
        body = self.json_body()
        node = self.state.nodes.get(node_id)
        if node is None:
            raise HTTPFailure(500, "node not found")
        spec = field(body, "DrainSpec")
        if spec is not None:
            idx = self.state.start_drain(node, int(field(spec, "Deadline") or 0), bool(field(spec, "IgnoreSystemJobs")),
                                         field(body, "Meta"))
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
        idx = self.state.set_eligibility(node, value)
        return 200, {"NodeModifyIndex": idx, "EvalIDs": [], "EvalCreateIndex": 0}, self.write_headers(idx)


ROUTES = [
    route("GET", r"/v1/nodes", Nodes.nodes_list),
    route("PUT POST", r"/v1/node/([^/]+)/drain", Nodes.node_drain),
    route("PUT POST", r"/v1/node/([^/]+)/eligibility", Nodes.node_eligibility),
    route("GET", r"/v1/node/([^/]+)", Nodes.node_get),
]
