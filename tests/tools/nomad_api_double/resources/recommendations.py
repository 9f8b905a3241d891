"""/v1/recommendation[s], /v1/recommendations/apply, /v1/recommendation/<id>: Dynamic Application Sizing, Nomad
Enterprise only. The community edition answers every method with 501 "Nomad Enterprise only endpoint", before any
ACL check (command/agent/http_ce.go registerEnterpriseHandlers -> entOnly). The double does not model the
Enterprise side of these paths: with enterprise=True it answers 501 with a text that says so."""

from ..common import HTTPFailure, route


class Recommendations:
    """Handler of the recommendation paths."""

    def recommendations(self, dummy=None):
        self.enterprise_only()
        raise HTTPFailure(501, "the Nomad API double does not model recommendations (Nomad Enterprise)")


ALL = "GET HEAD PUT POST DELETE PATCH"
ROUTES = [
    route(ALL, r"/v1/recommendation", Recommendations.recommendations),
    route(ALL, r"/v1/recommendations", Recommendations.recommendations),
    route(ALL, r"/v1/recommendations/apply", Recommendations.recommendations),
    route(ALL, r"/v1/recommendation/(.*)", Recommendations.recommendations),
]
