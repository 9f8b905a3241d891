"""/v1/acl/identity/client-introduction-token (nomad/acl_endpoint.go CreateClientIntroductionToken)."""

import base64
import json
import time
import uuid

from .. import rules
from ..common import HTTPFailure, field, route, rules_duration


class ClientIntroduction:
    """Handler of /v1/acl/identity/client-introduction-token."""

    def client_introduction_token(self):
        """nomad/acl_endpoint.go CreateClientIntroductionToken: node:write; TTL 0 -> the server's
        default, above the server's maximum -> capped (structs ACLCreateClientIntroductionTokenRequest
        .IdentityTTL); answers {"JWT": ...}. The double's JWT is unsigned test data."""
        self.auth(("node", "write"))
        body = self.json_body(required=False) or {}
        ttl = field(body, "TTL")
        try:
            ttl = rules_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0)
        except (TypeError, ValueError) as exc:
            raise HTTPFailure(400, str(exc))
        ttl = rules.INTRO_DEFAULT_TTL if ttl == 0 else min(ttl, rules.INTRO_MAX_TTL)
        now = int(time.time())
        claims = {"aud": ["nomadproject.io"], "iat": now, "nbf": now, "exp": now + ttl // 10 ** 9,
                  "nomad_node_name": field(body, "NodeName") or "", "nomad_node_pool": field(body, "NodePool")
                  or "default", "nomad_region": self.state.region, "jti": str(uuid.uuid4())}

        def b64(data):
            return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")

        jwt = "%s.%s.%s" % (b64({"alg": "none", "typ": "JWT", "kid": "double"}), b64(claims), "double")
        self.state.issued_secrets.add(jwt)
        return 200, {"JWT": jwt}, {}


ROUTES = [
    route("PUT POST", r"/v1/acl/identity/client-introduction-token", ClientIntroduction.client_introduction_token),
]
