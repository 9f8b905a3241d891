"""/v1/regions and /v1/agent/join: what a server's Serf pool knows beyond its own region.

Nomad runs one Serf pool for every region (nomad/server.go setupSerf), so any server answers /v1/regions with
every region that has an alive server (nomad/regions_endpoint.go Region.List -> nomad/peers/peers.go
PeerCache.RegionNames), and an agent join (command/agent/agent_endpoint.go AgentJoinRequest -> nomad/server.go
Join -> memberlist Join) makes the other region known. The double runs no gossip: the test declares which
servers of other regions answer at which address (/_double/wan), and a join of such an address makes its region
known here, as a successful push/pull would."""

from urllib.parse import parse_qs, urlsplit

from ..common import HTTPFailure, route


class Federation:
    """Handlers of /v1/regions and /v1/agent/join."""

    def regions_list(self):
        """command/agent/region_endpoint.go RegionListRequest: GET only (405 otherwise), no ACL check, a sorted
        JSON array of region names."""
        return 200, sorted(self.state.known_regions), {}

    def agent_join(self):
        """command/agent/agent_endpoint.go AgentJoinRequest: PUT or POST (405 otherwise); no address is 400
        "missing address to join"; without agent:write Nomad 2.0.x still joins and answers a deprecation warning.
        The answer is always 200 {"num_joined", "error", "warning"}: memberlist's Join
        (hashicorp/memberlist v0.6.0 memberlist.go Join) reports no error once one address answered, otherwise
        a go-multierror text of "failed to join <addr>: <reason>" lines."""
        addresses = parse_qs(urlsplit(self.path).query).get("address", [])
        if not addresses:
            raise HTTPFailure(400, "missing address to join")
        warning = ""
        try:
            self.auth(("agent", "write"))
        except HTTPFailure:
            warning = "anonymous server join is deprecated and will be removed in a future version of Nomad"
        joined, errors = 0, []
        for address in addresses:
            host_port = address if address.rsplit(":", 1)[-1].isdigit() and not address.endswith("]") else \
                "%s:4648" % address
            region = self.state.wan_servers.get(host_port) or self.state.wan_servers.get(address)
            if region is None:
                errors.append("failed to join %s: dial tcp %s: i/o timeout" % (host_port, host_port))
                continue
            self.state.known_regions.add(region)
            joined += 1
        error = ""
        if joined == 0:
            lines = "\n".join("\t* " + e for e in errors)
            error = "%d error%s occurred:\n%s\n\n" % (len(errors), "" if len(errors) == 1 else "s", lines)
        return 200, {"num_joined": joined, "error": error, "warning": warning}, {}


ROUTES = [
    route("GET", r"/v1/regions", Federation.regions_list),
    route("PUT POST", r"/v1/agent/join", Federation.agent_join),
]
