"""Node identities and client introduction tokens as the double issues and verifies them.

Nomad signs both with its keyring (nomad/encrypter.go SignClaims) and verifies them in
nomad/auth/auth.go AuthenticateNodeIdentityGenerator -> encrypter VerifyClaim. The double's JWTs are
unsigned test data (alg "none"); instead of a signature, the double remembers every JWT it issued (its
jti) and the key ID it named: a JWT it did not issue, or whose key it does not know, fails like a bad
signature. Expiry is go-jose v3's check with its default leeway of one minute (jwt.DefaultLeeway, used by
VerifyClaim through Claims.Validate): such a JWT fails with ErrExpired, which Register tolerates and
UpdateStatus does not.
"""

import base64
import binascii
import json
import uuid

NS = 10 ** 9
LEEWAY_NS = 60 * NS  # go-jose v3 jwt.DefaultLeeway
AUDIENCE = ["nomadproject.io"]


class IdentityError(Exception):
    """The JWT did not verify: `expired` (go-jose ErrExpired, wrapped "invalid claims: ...") or not."""

    def __init__(self, text, expired=False):
        super().__init__(text)
        self.expired = expired


def _b64(data):
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())


def encode(claims, key_id):
    return "%s.%s.double" % (_b64({"alg": "none", "typ": "JWT", "kid": key_id}), _b64(claims))


def decode(jwt):
    """(header, claims) of a JWT, or IdentityError when it is not one."""
    parts = jwt.split(".")
    if len(parts) != 3:
        raise IdentityError("failed to parse JWT: go-jose/go-jose: compact JWS format must have three parts")
    try:
        return _unb64(parts[0]), _unb64(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise IdentityError("failed to parse JWT: illegal base64 data")


def node_claims(node, region, ttl_ns, now_ns):
    """nomad/structs/identity.go GenerateNodeIdentityClaims: the node's identity for its pool's TTL."""
    claims = {"nomad_node_id": node["ID"], "nomad_node_pool": node["NodePool"],
              "nomad_node_datacenter": node["Datacenter"], "aud": AUDIENCE,
              "sub": "node:%s:%s:%s:default" % (region, node["NodePool"], node["ID"]),
              "jti": str(uuid.uuid4())}
    if node.get("NodeClass"):
        claims["nomad_node_class"] = node["NodeClass"]  # omitempty
    return _timed(claims, ttl_ns, now_ns)


def intro_claims(region, pool, name, ttl_ns, now_ns):
    """nomad/structs/identity.go GenerateNodeIntroductionIdentityClaims: pool and name always present (the
    name may be ""), no region claim (the region is only inside sub)."""
    claims = {"nomad_node_pool": pool, "nomad_node_name": name, "aud": AUDIENCE,
              "sub": "node-introduction:%s:%s:%s:default" % (region, pool, name), "jti": str(uuid.uuid4())}
    return _timed(claims, ttl_ns, now_ns)


def _timed(claims, ttl_ns, now_ns):
    now = now_ns // NS
    claims.update({"iat": now, "nbf": now})
    if ttl_ns > 0:  # setExpiry: no TTL (or a negative one) writes no exp, the JWT never expires
        claims["exp"] = now + ttl_ns // NS
    return claims


def kind(claims):
    """'node' (IsNode), 'intro' (IsNodeIntroduction) or None."""
    if claims.get("nomad_node_id"):
        return "node"
    if str(claims.get("sub", "")).startswith("node-introduction:"):
        return "intro"
    return None


def verify(jwt, known_keys, issued, now_ns):
    """encrypter VerifyClaim: known key and JWT, then go-jose's time checks with a one-minute leeway."""
    header, claims = decode(jwt)
    if header.get("kid") not in known_keys or claims.get("jti") not in issued:
        raise IdentityError("failed to verify token: invalid signature")
    if claims.get("aud") != AUDIENCE:
        raise IdentityError("invalid claims: go-jose/go-jose/jwt: validation failed, invalid audience claim (aud)")
    now = now_ns // NS
    leeway = LEEWAY_NS // NS
    if "nbf" in claims and now + leeway < claims["nbf"]:
        raise IdentityError("invalid claims: go-jose/go-jose/jwt: validation failed, token not valid yet (nbf)")
    if "exp" in claims and now - leeway > claims["exp"]:
        raise IdentityError("invalid claims: go-jose/go-jose/jwt: validation failed, token is expired (exp)",
                            expired=True)
    return claims


def is_expiring(claims, now_ns, ttl_ns):
    """nomad/structs/identity.go IsExpiring: less than a third of the TTL left (no exp: never)."""
    if "exp" not in claims:
        return False
    return claims["exp"] * NS < now_ns + ttl_ns // 3
