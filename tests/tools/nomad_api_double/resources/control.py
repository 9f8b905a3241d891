"""/_double/<what>: the test-only control endpoints (never a Nomad path): fault injection, poll counts,
autopilot health, server versions, ACL bootstrap reset, the request log, issued secrets, a read-only
peek without a token, node attribute changes."""

from urllib.parse import parse_qs, urlsplit

from ..common import JSON_NULL, HTTPFailure, route


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
