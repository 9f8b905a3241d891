"""/v1/acl/identity/client-introduction-token (nomad/acl_endpoint.go CreateClientIntroductionToken)."""

from ..common import HTTPFailure, field, route, rules_duration


class ClientIntroduction:
    """Handler of /v1/acl/identity/client-introduction-token."""

    def client_introduction_token(self):
        """nomad/acl_endpoint.go CreateClientIntroductionToken: node:write; an empty pool is "default" and is not
        checked for existence; TTL 0 -> the server's default_identity_ttl, above its max_identity_ttl -> capped,
        negative -> no exp at all (structs ACLCreateClientIntroductionTokenRequest.IdentityTTL, setExpiry);
        answers {"JWT": ...} with the claims of GenerateNodeIntroductionIdentityClaims. The double's JWT is
        unsigned test data (identity.py)."""
        self.auth(("node", "write"))
        body = self.json_body(required=False) or {}
        ttl = field(body, "TTL")
        try:
            ttl = rules_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0)
        except (TypeError, ValueError) as exc:
            raise HTTPFailure(400, str(exc))
        st = self.state
        jwt = st.issue_intro_token(field(body, "NodePool") or "default", field(body, "NodeName") or "",
                                   st.intro_token_ttl(ttl))
        st.issued_secrets.add(jwt)
        return 200, {"JWT": jwt}, {}


ROUTES = [
    route("PUT POST", r"/v1/acl/identity/client-introduction-token", ClientIntroduction.client_introduction_token),
]
