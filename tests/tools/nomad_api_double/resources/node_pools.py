"""/v1/node/pools and /v1/node/pool (nomad/node_pool_endpoint.go, nomad/structs/node_pool.go)."""

import copy
import re

from ..common import HTTPFailure, field, parse_duration, route
from ..rules import RuleError, multierror
from ..state import DAY_NS

POOL_RE = re.compile(r"^[a-zA-Z0-9-_]{1,128}$")


class NodePools:
    """Handlers of /v1/node/pools and /v1/node/pool/<name>."""

    def node_pools(self):
        st = self.state
        if self.command == "GET":
            token = self.auth("any")
            prefix = self.query.get("prefix", "")
            out = [copy.deepcopy(p) for name, p in sorted(st.node_pools.items()) if name.startswith(prefix)
                   and self.allowed(token, "node_pool", "read", name)]
            return 200, out, self.read_headers()
        return self.node_pool(None)

    def node_pool(self, name):
        st = self.state
        cap = {"GET": "read", "DELETE": "delete"}.get(self.command, "write")
        self.auth(("node_pool", cap, name if name is not None else field(self.json_body(required=False), "Name") or ""))
        if self.command == "GET":
            pool = st.node_pools.get(name)
            if pool is None:
                raise HTTPFailure(404, "node pool not found")
            return 200, copy.deepcopy(pool), self.read_headers(pool["ModifyIndex"])
        if self.command == "DELETE":
            if not name:
                raise HTTPFailure(400, "node pool name is empty")
            if name in ("all", "default"):
                raise HTTPFailure(400, 'modifying node pool "%s" is not allowed' % name)
            if name not in st.node_pools:
                raise HTTPFailure(404, "node pool not found")
            if any(n["NodePool"] == name for n in st.nodes.values()):
                raise HTTPFailure(500, 'node pool "%s" has nodes in regions: [%s]' % (name, st.region))
            if any(j["NodePool"] == name and not j["Stop"] for j in st.jobs.values()):
                raise HTTPFailure(500, 'node pool "%s" has non-terminal jobs in regions: [%s]' % (name, st.region))
            del st.node_pools[name]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        pname = field(body, "Name") or ""
        if name is not None and pname != name:  # command/agent/node_pool_endpoint.go nodePoolUpsert
            raise HTTPFailure(400, "Node pool name does not match request path")
        ttl = field(body, "NodeIdentityTTL")
        try:  # structs.NodePool.UnmarshalJSON: a Go duration string or nanoseconds
            ttl_ns = parse_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0)
        except ValueError as exc:
            raise HTTPFailure(400, str(exc))
        # nomad/node_pool_endpoint.go UpsertNodePools: license check (node_pool_endpoint_ce.go
        # validateLicense) before the request is validated; an uncoded error -> 500
        # (Enterprise: licensed, so the configuration is stored)
        sched = field(body, "SchedulerConfiguration")
        if sched is not None and not st.enterprise:
            raise HTTPFailure(500, 'Feature "Node Pools Governance" is unlicensed')
        errors = []  # nomad/structs/node_pool.go NodePool.Validate
        if not POOL_RE.match(pname):
            errors.append('invalid name "%s", must match regex %s' % (pname, POOL_RE.pattern))
        description = field(body, "Description") or ""
        if len(description) > 256:
            errors.append("description longer than 256")
        if errors:
            raise RuleError(400, 'invalid node pool "%s": %s' % (pname, multierror(errors)))
        if pname in ("all", "default"):
            raise HTTPFailure(400, 'modifying node pool "%s" is not allowed' % pname)
        idx = st.next_index()
        old = st.node_pools.get(pname)
        # stored and answered as structs.NodePool: no MarshalJSON, so the msgpack JSON codec writes the
        # time.Duration as integer nanoseconds (the api package reads both forms)
        st.node_pools[pname] = {"Name": pname, "Description": description, "Meta": field(body, "Meta") or None,
                                "NodeIdentityTTL": ttl_ns or DAY_NS, "SchedulerConfiguration": sched,
                                "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx}
        return 200, None, self.write_headers(idx)


ROUTES = [
    route("GET PUT POST", r"/v1/node/pools", NodePools.node_pools),
    route("GET PUT POST DELETE", r"/v1/node/pool/([^/]+)", NodePools.node_pool),
]
