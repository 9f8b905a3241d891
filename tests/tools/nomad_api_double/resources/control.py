"""/_double/<what>: the test-only control endpoints (never a Nomad path): fault injection, poll counts,
autopilot health, server versions, ACL bootstrap reset, the request log, issued secrets, a read-only
peek without a token, node attribute changes, Nomad's clock, the servers' configuration, simulated agents
that stop heartbeating, and what the servers logged and counted."""

from urllib.parse import parse_qs, urlsplit

from ..common import JSON_NULL, HTTPFailure, format_duration, parse_duration, route
from ..lifecycle import RPCError


class Control:
    """Handler of /_double/<what>."""

    def control(self, what):
        body = self.json_body(required=False) or {}
        st = self.state
        if what == "fault":
            st.faults.append({"path": body["path"], "method": body.get("method"), "status": body.get("status", 500),
                              "body": body.get("body", "injected fault"), "remaining": body.get("count", 1)})
        elif what == "drain-polls":
            st.drain_polls = int(body.get("reads", 2))
        elif what == "autopilot-health":
            st.autopilot_healthy = bool(body.get("healthy", True))
        elif what == "servers-version":  # the servers came back on another version (a roll's outcome)
            st.server_version = str(body["version"])
        elif what == "acl-bootstrap-reset":
            st.acl_reset_index = st.acl_bootstrap_index
        elif what == "requests":
            return 200, list(st.requests), {}
        elif what == "secrets":  # every SecretID the double knows, for leak checks in test output
            return 200, sorted(st.issued_secrets | set(t["SecretID"] for t in st.tokens.values())), {}
        elif what == "peek":  # read-only look at server state without a token (tests verify check mode)
            target = self.query.get("path", "")
            saved = (self.route_path, self.command, self.query)
            self.route_path, self.command = urlsplit(target).path, "GET"
            self.query = dict((k, v[-1]) for k, v in parse_qs(urlsplit(target).query).items())
            self._bypass_auth = True
            try:
                handler, groups = self._route()
                status, data = handler(self, *groups)[:2]
                return 200, {"status": status, "data": None if data is JSON_NULL else data}, {}
            except HTTPFailure as exc:
                return 200, {"status": exc.status, "error": exc.text}, {}
            finally:
                self.route_path, self.command, self.query = saved
                self._bypass_auth = False
        elif what == "clear-requests":
            st.requests = []
        elif what == "clock":  # {"advance": "72h"}: Nomad's clock moves through every transition on the way
            if self.command == "POST" and body.get("advance") is not None:
                try:
                    step = parse_duration(body["advance"])
                except ValueError as exc:
                    raise HTTPFailure(400, str(exc))
                if step < 0:
                    raise HTTPFailure(400, "the clock only moves forward")
                st.advance(step)
            return 200, {"Now": st.clock.now_ns(), "Offset": st.clock.offset_ns, "Time": st.clock.rfc3339()}, {}
        elif what == "server-config":  # the servers' agent config: {"server": {...}, "advertise": {"rpc": ...}}
            if self.command == "POST":
                try:
                    st.set_server_config(body)
                except RPCError as exc:
                    raise HTTPFailure(exc.status, exc.text)
            cfg = dict(st.server_config)
            for key in ("heartbeat_grace", "min_heartbeat_ttl", "node_gc_threshold", "node_gc_interval",
                        "default_identity_ttl", "max_identity_ttl"):
                cfg[key] = format_duration(cfg[key])
            return 200, cfg, {}
        elif what == "node-agent":  # a simulated agent stops (or starts again) heartbeating
            node = next((n for n in st.nodes.values() if body.get("name") in (n["Name"], n["ID"])), None)
            if node is None:
                raise HTTPFailure(404, "node not found")
            st.set_agent_heartbeating(node, bool(body.get("heartbeating", False)))
        elif what == "server-log":  # what the servers logged, and the introduction violation counter
            return 200, {"log": list(st.server_log), "introduction_violation_num": st.intro_violations}, {}
        elif what == "node-attributes":  # a node's agent came back changed (e.g. a new nomad.version)
            node = next((n for n in st.nodes.values() if n["Name"] == body.get("name")), None)
            if node is None:
                raise HTTPFailure(404, "node not found")
            st.update_node_attributes(node, body.get("attributes") or {})
        else:
            raise HTTPFailure(404, "unknown double control %s" % what)
        return 200, {"ok": True}, {}


ROUTES = [
    route("GET POST", r"/_double/([a-z-]+)", Control.control),
]
