"""/v1/status and /v1/agent: leader, peers, agent self and health (the double answers as a server agent)."""

import json
from urllib.parse import parse_qs, urlsplit

from ..common import HTTPFailure, route


class Agent:
    """Handlers of /v1/status/* and /v1/agent/*."""

    def status_leader(self):
        self.auth("none")
        return 200, self.state.servers[0][1], {}

    def status_peers(self):
        self.auth("none")
        return 200, [addr for dummy, addr in self.state.servers], {}

    def agent_health(self):
        """command/agent/agent_endpoint.go HealthRequest: ?type= (repeatable) restricts the check and
        reports a role the agent does not run as failed; any failed role -> 500 with the JSON as text."""
        st = self.state
        types = [v for k, values in parse_qs(urlsplit(self.path).query, keep_blank_values=True).items()
                 if k == "type" for v in values]
        health = {}
        want_client = want_server = not types
        for kind in types:
            if kind == "client":
                want_client = True
                health["client"] = {"ok": False, "message": "client not enabled"}
            elif kind == "server":
                want_server = True
                health["server"] = {"ok": False, "message": "server not enabled"}
        if want_client and st.agent_client:
            health["client"] = {"ok": True, "message": "ok"}
        if want_server and st.agent_server:
            health["server"] = {"ok": st.has_leader, "message": "ok" if st.has_leader else "no leader"}
        health = dict((k, health[k]) for k in ("client", "server") if k in health)  # Go struct order
        if all(part["ok"] for part in health.values()):
            return 200, health, {}
        raise HTTPFailure(500, json.dumps(health, separators=(",", ":")))

    def agent_self(self):
        self.auth(("agent", "read"))
        return 200, {"config": {"Region": self.state.region, "Datacenter": "dc1", "NodeName": "nomad-server-0",
                                "Version": {"Version": "2.0.5", "VersionPrerelease": "", "VersionMetadata": "",
                                            "Revision": "double"},
                                "ACL": {"Enabled": self.state.acl_enabled, "ReplicationToken": "<redacted>"}},
                     "member": {"Name": "nomad-server-0.global", "Addr": "10.0.0.1", "Port": 4648, "Status": "alive",
                                "Tags": {"role": "nomad", "region": self.state.region}},
                     "stats": {"nomad": {"leader": "true"}}}, {}


ROUTES = [
    route("GET", r"/v1/status/leader", Agent.status_leader),
    route("GET", r"/v1/status/peers", Agent.status_peers),
    route("GET", r"/v1/agent/health", Agent.agent_health),
    route("GET", r"/v1/agent/self", Agent.agent_self),
]
