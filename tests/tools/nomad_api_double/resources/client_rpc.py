"""/_double/rpc/<Method>: the client-to-server RPC a Nomad client agent makes, in the double's terms.

In Nomad these are NOT HTTP: Node.Register, Node.UpdateStatus (the heartbeat), Node.UpdateDrain (the
self-drain of drain_on_shutdown), Node.GetNode, Node.GetClientAllocs, Alloc.GetAllocs and Node.UpdateAlloc are
msgpack RPC on port 4647 (command/agent/http.go registers no HTTP route for them). The double carries the
same request and reply structs as JSON over HTTP(S) on a path of its own, so the stand-in agent
(tests/tools/stand_in_nomad) can register and heartbeat: requests are the JSON form of
structs.NodeRegisterRequest, NodeUpdateStatusRequest, NodeUpdateDrainRequest, NodeSpecificRequest,
AllocsGetRequest and AllocUpdateRequest (AuthToken in the body, or X-Nomad-Token); replies the JSON form of
structs.NodeUpdateResponse and friends. An RPC error is answered as text: 403 "Permission denied" for an
authentication refusal, 500 with Nomad's error text otherwise ("node not found", "node secret ID does not
match. Not registering node.", ...), which the client matches by substring as Nomad's does.

The rules themselves are DoubleState methods (lifecycle.py), each citing Nomad's file and function.
"""

import copy

from ..common import HTTPFailure, route
from ..lifecycle import PERMISSION_DENIED, RPCError
from .nodes import _public_node, public_alloc


class ClientRPC:
    """Handler of /_double/rpc/<Method>."""

    def client_rpc(self, method):
        args = self.json_body(required=False) or {}
        token = args.get("AuthToken") or self.token
        handler = {"Node.Register": self._rpc_register, "Node.UpdateStatus": self._rpc_update_status,
                   "Node.UpdateDrain": self._rpc_update_drain, "Node.GetNode": self._rpc_get_node,
                   "Node.GetClientAllocs": self._rpc_client_allocs, "Alloc.GetAllocs": self._rpc_get_allocs,
                   "Node.UpdateAlloc": self._rpc_update_alloc}.get(method)
        if handler is None:
            raise HTTPFailure(404, "rpc: can't find method %s" % method)  # net/rpc's text
        try:
            return 200, handler(args, token), {}
        except RPCError as exc:
            raise HTTPFailure(exc.status, exc.text)

    def _peer_names(self):
        """The names of the caller's TLS certificate, when this listener verifies them (the servers' tls.rpc
        with verify_server_hostname: nomad/server.go, nomad/auth/auth.go verifyTLS)."""
        if not getattr(self.server, "verify_peer_names", False):
            return None
        cert = self.connection.getpeercert() or {}
        names = [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]
        names += [value for rdn in cert.get("subject", ()) for key, value in rdn if key == "commonName"]
        return names

    def _rpc_register(self, args, token):
        return self.state.register_node(args, token, self._peer_names())

    def _rpc_update_status(self, args, token):
        return self.state.update_node_status(args, token, self._peer_names())

    def _node_caller(self, args, token):
        """The node identity or SecretID of the node the request names (auth.AuthorizeSameNode,
        checkNodeDrainAuth for a client's own drain)."""
        ident, auth_err = self.state.authenticate_node(token, self._peer_names())
        if auth_err is not None:
            raise RPCError(PERMISSION_DENIED, 403)
        owner = ident.get("client_id") or (ident.get("claims") or {}).get("nomad_node_id")
        if not owner or owner != args.get("NodeID"):
            raise RPCError(PERMISSION_DENIED, 403)
        return self.state.nodes.get(owner)

    def _rpc_update_drain(self, args, token):
        """nomad/node_endpoint.go UpdateDrain, as the client's DrainSelf (client/drain.go) calls it."""
        if not args.get("NodeID"):
            raise RPCError("missing node ID for drain update")
        node = self._node_caller(args, token)
        if node is None:
            raise RPCError("node not found")
        strategy = args.get("DrainStrategy")
        if strategy:
            spec = strategy.get("DrainSpec") or strategy
            idx = self.state.start_drain(node, int(spec.get("Deadline") or 0), bool(spec.get("IgnoreSystemJobs")),
                                         args.get("Meta"))
        else:
            idx = self.state.stop_drain(node, bool(args.get("MarkEligible")))
        return {"NodeModifyIndex": idx, "EvalIDs": None, "EvalCreateIndex": 0, "Index": idx}

    def _rpc_get_node(self, args, token):
        """Node.GetNode: the node (SecretID blanked) or null; each read is time passing for a drain."""
        node = self._node_caller(args, token)
        if node is not None:
            self.state.tick_drain(node)
        return {"Node": _public_node(node) if node is not None else None, "Index": self.state.index}

    def _rpc_client_allocs(self, args, token):
        """Node.GetClientAllocs: the node's allocation IDs with their AllocModifyIndex."""
        node = self._node_caller(args, token)
        if node is None:
            raise RPCError("node not found")
        return {"Allocs": self.state.client_allocs(node["ID"]), "MigrateTokens": {}, "Index": self.state.index}

    def _rpc_get_allocs(self, args, token):
        """Alloc.GetAllocs: the allocations a client asked for by ID (its own)."""
        ident, auth_err = self.state.authenticate_node(token, self._peer_names())
        if auth_err is not None:
            raise RPCError(PERMISSION_DENIED, 403)
        owner = ident.get("client_id") or (ident.get("claims") or {}).get("nomad_node_id")
        out = [public_alloc(self.state.allocs[a]) for a in args.get("AllocIDs") or []
               if a in self.state.allocs and self.state.allocs[a]["NodeID"] == owner]
        return {"Allocs": out, "Index": self.state.index}

    def _rpc_update_alloc(self, args, token):
        """Node.UpdateAlloc: the client reports its allocations' ClientStatus."""
        updates = copy.deepcopy(args.get("Alloc") or [])
        node_id = updates[0].get("NodeID") if updates else ""
        node = self._node_caller(dict(args, NodeID=node_id), token)
        if node is None:
            raise RPCError("node not found")
        return {"Index": self.state.update_allocs_from_client(node, updates)}


ROUTES = [
    route("PUT POST", r"/_double/rpc/([A-Za-z]+\.[A-Za-z]+)", ClientRPC.client_rpc),
]
