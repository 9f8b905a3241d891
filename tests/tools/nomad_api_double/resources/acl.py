"""/v1/acl: bootstrap, policies, tokens and roles (nomad/acl_endpoint.go, command/agent/acl_endpoint.go)."""

import base64
import copy
import hashlib
import json
import re
import time
import uuid

from .. import rules
from ..common import HTTPFailure, field, route, rules_duration
from ..rules import RuleError, multierror

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ACL:
    """Handlers of /v1/acl/bootstrap, /v1/acl/policy*, /v1/acl/token* and /v1/acl/role*."""

    def acl_bootstrap(self):
        st = self.state
        if not st.acl_enabled:
            raise HTTPFailure(400, "ACL support disabled")
        body = self.json_body(required=False) or {}
        secret = field(body, "BootstrapSecret") or ""
        if st.acl_bootstrap_index:
            if st.acl_reset_index != st.acl_bootstrap_index:
                raise HTTPFailure(400, "ACL bootstrap already done (reset index: %d)" % st.acl_bootstrap_index)
        if secret and not UUID_RE.match(secret):
            raise HTTPFailure(400, "invalid acl token")
        idx = st.next_index()
        token = self._new_token({"Name": "Bootstrap Token", "Type": "management", "Global": True}, idx,
                                secret=secret or None)
        st.acl_bootstrap_index = idx
        st.acl_reset_index = 0
        return 200, self._token_out(token), self.write_headers(idx)

    def _new_token(self, spec, idx, secret=None, accessor=None):
        accessor = accessor or str(uuid.uuid4())
        ttl = spec.get("ExpirationTTL", 0) or 0
        token = {"AccessorID": accessor, "SecretID": secret or str(uuid.uuid4()), "Name": spec.get("Name", ""),
                 "Type": spec.get("Type", "client"), "Policies": spec.get("Policies"), "Roles": spec.get("Roles"),
                 "Global": bool(spec.get("Global")), "CreateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "ExpirationTime": None, "ExpirationTTL": ttl, "Hash": "",
                 "CreateIndex": idx, "ModifyIndex": idx, "_expires": 0}
        if ttl:
            token["_expires"] = time.time() + ttl / 1e9
            token["ExpirationTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(token["_expires"]))
        self._hash_token(token)
        self.state.tokens[accessor] = token
        self.state.issued_secrets.add(token["SecretID"])
        return token

    @staticmethod
    def _hash_token(token):
        token["Hash"] = base64.b64encode(hashlib.sha256(json.dumps(
            [token["Name"], token["Type"], token["Policies"], token["Global"], token["Roles"]]).encode()).digest()).decode()

    @staticmethod
    def _token_out(token, stub=False):
        """structs.ACLToken.MarshalJSON: ExpirationTTL is a Go duration string, "" when unset
        (nomad/structs/acl.go); the list stub has neither SecretID nor ExpirationTTL."""
        out = {k: copy.deepcopy(v) for k, v in token.items() if not k.startswith("_")}
        out["ExpirationTTL"] = rules.go_duration(token["ExpirationTTL"]) if token["ExpirationTTL"] else ""
        if stub:
            out.pop("SecretID", None)
            out.pop("ExpirationTTL", None)
        return out

    def acl_policies(self):
        token = self.auth("any")
        prefix = self.query.get("prefix", "")
        visible = [p for p in self.state.policies.values() if p["Name"].startswith(prefix) and (
            token is None or token["Type"] == "management" or p["Name"] in (token["Policies"] or []))]
        return 200, [{k: p[k] for k in ("Name", "Description", "JobACL", "Hash", "CreateIndex", "ModifyIndex")}
                     for p in sorted(visible, key=lambda p: p["Name"])], self.read_headers()

    def acl_policy(self, name):
        if not name:
            raise HTTPFailure(400, "Missing Policy Name")
        if self.command == "GET":
            token = self.auth("any")
            if token and token["Type"] != "management" and name not in (token["Policies"] or []):
                raise HTTPFailure(403, "Permission denied")
            policy = self.state.policies.get(name)
            if policy is None:
                raise HTTPFailure(404, "ACL policy not found")
            return 200, copy.deepcopy(policy), self.read_headers(policy["ModifyIndex"])
        if self.command == "DELETE":
            self._acl_write()
            if name not in self.state.policies:  # nomad/state/state_store.go DeleteACLPolicies (memdb)
                raise HTTPFailure(500, "deleting acl policy failed: not found")
            self.state.policies.pop(name, None)
            return 200, None, self.write_headers(self.state.next_index())
        body = self.json_body()
        pname = field(body, "Name") or ""
        if pname != name:  # command/agent/acl_endpoint.go aclPolicyUpdate
            raise HTTPFailure(400, "ACL policy name does not match request path")
        self._acl_write()
        description = field(body, "Description") or ""
        text = field(body, "Rules") or ""
        errors = rules.policy_errors(pname, description, text, field(body, "JobACL"))
        if errors:  # nomad/acl_endpoint.go UpsertPolicies
            raise RuleError(400, "policy 0 invalid: %s" % multierror(errors))
        idx = self.state.next_index()
        old = self.state.policies.get(name)
        self.state.policies[name] = {"Name": name, "Description": description, "Rules": text,
                                     "JobACL": field(body, "JobACL"),
                                     "Hash": base64.b64encode(hashlib.sha256(text.encode()).digest()).decode(),
                                     "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx}
        return 200, None, self.write_headers(idx)

    def acl_tokens(self):
        self.auth("management")
        prefix = self.query.get("prefix", "")
        out = [self._token_out(t, stub=True) for t in self.state.tokens.values() if t["AccessorID"].startswith(prefix)]
        return 200, sorted(out, key=lambda t: t["CreateIndex"]), self.read_headers()

    def acl_token_self(self):
        token = self.auth("any")
        if token is None:
            raise HTTPFailure(400, "ACL support disabled")
        return 200, self._token_out(token), self.read_headers(token["ModifyIndex"])

    def acl_token(self, accessor=""):
        st = self.state
        if self.command == "GET":
            caller = self.auth("any")
            if not accessor:
                raise HTTPFailure(400, "Missing Token Accessor")
            if caller and caller["Type"] != "management" and caller["AccessorID"] != accessor:
                raise HTTPFailure(403, "Permission denied")
            token = st.tokens.get(accessor)
            if token is None:
                raise HTTPFailure(404, "ACL token not found")
            return 200, self._token_out(token), self.read_headers(token["ModifyIndex"])
        if self.command == "DELETE":
            self._acl_write()
            if accessor not in st.tokens:  # nomad/acl_endpoint.go DeleteTokens
                raise HTTPFailure(400, "Cannot delete nonexistent tokens: %s" % accessor)
            st.tokens.pop(accessor, None)
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        # command/agent/acl_endpoint.go aclTokenUpdate (decode, then the path check), then ACL.UpsertTokens
        ttl = field(body, "ExpirationTTL")
        try:  # structs.ACLToken.UnmarshalJSON: a Go duration string or a number of nanoseconds
            ttl = (rules_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0))
        except ValueError as exc:
            raise HTTPFailure(400, str(exc))
        body_accessor = field(body, "AccessorID") or ""
        if accessor and body_accessor != accessor:
            raise HTTPFailure(400, "ACL token accessor does not match request path")
        self._acl_write()
        spec = {"Name": field(body, "Name") or "", "Type": field(body, "Type") or "", "Policies": field(body, "Policies"),
                "Roles": field(body, "Roles"), "Global": bool(field(body, "Global")), "ExpirationTTL": ttl,
                "ExpirationTime": field(body, "ExpirationTime")}
        existing = None
        if body_accessor:
            existing = st.tokens.get(body_accessor)
            secret = field(body, "SecretID") or ""
            if existing is None and (not UUID_RE.match(body_accessor) or not UUID_RE.match(secret)
                                     or spec["Type"] == "management"):
                raise HTTPFailure(400, "cannot find token %s" % body_accessor)
        errors = rules.token_errors(spec, existing)
        if errors:
            raise RuleError(400, "token 0 invalid: %s" % multierror(errors))
        links = []
        for link in spec["Roles"] or []:  # roles by ID or name, stored as {ID, Name: ""}
            rid, rname = field(link, "ID") or "", field(link, "Name") or ""
            role = st.roles.get(rid) if rid else next((r for r in st.roles.values() if r["Name"] == rname), None)
            if role is None:
                raise HTTPFailure(400, "cannot find role %s" % (rid or rname))
            if role["ID"] not in [lk["ID"] for lk in links]:
                links.append({"ID": role["ID"], "Name": ""})
        spec["Roles"] = links or None
        idx = st.next_index()
        if existing is not None:
            existing.update({"Name": spec["Name"], "Type": spec["Type"], "Policies": spec["Policies"],
                             "Roles": spec["Roles"], "ModifyIndex": idx})
            self._hash_token(existing)
            token = existing
        elif body_accessor:  # an operator-supplied AccessorID/SecretID pair (token import)
            token = self._new_token(spec, idx, secret=field(body, "SecretID"), accessor=body_accessor)
        else:
            token = self._new_token(spec, idx)
        return 200, self._token_out(token), self.write_headers(idx)

    def acl_roles(self):
        self.auth("any")
        prefix = self.query.get("prefix", "")
        out = [copy.deepcopy(r) for r in sorted(self.state.roles.values(), key=lambda r: r["CreateIndex"])
               if r["ID"].startswith(prefix)]
        return 200, out, self.read_headers()

    def acl_role(self, role_id=None, by_name=None):
        """command/agent/acl_endpoint.go ACLRoleSpecificRequest + nomad/acl_endpoint.go UpsertRoles."""
        st = self.state
        if self.command == "GET":
            self.auth("management")
            role = (st.roles.get(role_id) if by_name is None
                    else next((r for r in st.roles.values() if r["Name"] == by_name), None))
            if role is None:
                raise HTTPFailure(404, "ACL role not found")
            return 200, copy.deepcopy(role), self.read_headers(role["ModifyIndex"])
        if by_name is not None:
            raise HTTPFailure(405, "Invalid method")
        if self.command == "DELETE":
            self._acl_write()
            if role_id not in st.roles:  # nomad/state/state_store_acl.go deleteACLRoleByIDTxn
                raise HTTPFailure(500, "ACL role not found")
            del st.roles[role_id]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        if role_id is not None and role_id != (field(body, "ID") or ""):
            raise HTTPFailure(400, "ACL role ID does not match request path")
        self._acl_write()
        role = {"ID": field(body, "ID") or "", "Name": field(body, "Name") or "",
                "Description": field(body, "Description") or "",
                "Policies": [{"Name": field(p, "Name") or ""} for p in field(body, "Policies") or []]}
        errors = rules.role_errors(role)
        if errors:
            raise RuleError(400, "role 0 invalid: %s" % multierror(errors))
        if not role["ID"]:
            if any(r["Name"] == role["Name"] for r in st.roles.values()):
                raise HTTPFailure(400, "role with name %s already exists" % role["Name"])
            role["ID"] = str(uuid.uuid4())
            old = None
        else:
            old = st.roles.get(role["ID"])
            if old is None:
                raise HTTPFailure(400, "cannot find role %s" % role["ID"])
        for link in role["Policies"]:
            if link["Name"] not in st.policies:
                raise HTTPFailure(400, "cannot find policy %s" % link["Name"])
        idx = st.next_index()
        role.update({"Hash": base64.b64encode(hashlib.sha256(json.dumps(
            [role["Name"], role["Description"], role["Policies"]]).encode()).digest()).decode(),
            "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx})
        st.roles[role["ID"]] = role
        return 200, copy.deepcopy(role), self.write_headers(idx)

    def acl_role_by_name(self, name):
        if not name:
            raise HTTPFailure(400, "missing ACL role name")
        return self.acl_role(by_name=name)


ROUTES = [
    route("PUT POST", r"/v1/acl/bootstrap", ACL.acl_bootstrap),
    route("GET", r"/v1/acl/policies", ACL.acl_policies),
    route("GET PUT POST DELETE", r"/v1/acl/policy/?([^/]*)", ACL.acl_policy),
    route("GET", r"/v1/acl/tokens", ACL.acl_tokens),
    route("GET", r"/v1/acl/token/self", ACL.acl_token_self),
    route("PUT POST", r"/v1/acl/token", ACL.acl_token),
    route("GET PUT POST DELETE", r"/v1/acl/token/([^/]*)", ACL.acl_token),
    route("GET", r"/v1/acl/roles", ACL.acl_roles),
    route("PUT POST", r"/v1/acl/role", ACL.acl_role),
    route("GET", r"/v1/acl/role/name/([^/]*)", ACL.acl_role_by_name),
    route("GET PUT POST DELETE", r"/v1/acl/role/([^/]+)", ACL.acl_role),
]
