"""/v1/acl: auth methods and binding rules (nomad/acl_endpoint.go, command/agent/acl_endpoint.go)."""

import base64
import copy
import hashlib
import json
import time
import uuid

from .. import rules
from ..common import HTTPFailure, field, route, rules_duration
from ..rules import RuleError, multierror


class ACLAuth:
    """Handlers of /v1/acl/auth-method* and /v1/acl/binding-rule*."""

    @staticmethod
    def _method_out(method, stub=False):
        """structs.ACLAuthMethod.MarshalJSON: MaxTokenTTL as a Go duration string; the secret redacted."""
        if stub:
            return {k: method[k] for k in ("Name", "Type", "Default", "Hash", "CreateIndex", "ModifyIndex")}
        out = copy.deepcopy(method)
        out["MaxTokenTTL"] = rules.go_duration(method["MaxTokenTTL"]) if method["MaxTokenTTL"] else ""
        if (out.get("Config") or {}).get("OIDCClientSecret"):
            out["Config"]["OIDCClientSecret"] = "redacted"
        return out

    def acl_auth_methods(self):
        self.auth("none")  # nomad/acl_endpoint.go ListAuthMethods: no token needed (login UIs list them)
        out = [self._method_out(m, stub=True) for m in sorted(self.state.auth_methods.values(),
                                                              key=lambda m: m["Name"])]
        return 200, out, self.read_headers()

    def acl_auth_method(self, name=None):
        st = self.state
        if name == "":
            raise HTTPFailure(400, "missing ACL auth-method name")
        if self.command == "GET":
            self.auth("management")
            method = st.auth_methods.get(name)
            if method is None:
                raise HTTPFailure(404, "ACL auth-method not found")
            return 200, self._method_out(method), self.read_headers(method["ModifyIndex"])
        if self.command == "DELETE":
            self._acl_write()
            if name not in st.auth_methods:  # nomad/state/state_store_acl_sso.go
                raise HTTPFailure(500, "ACL auth method not found")
            del st.auth_methods[name]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        if name is not None and name != (field(body, "Name") or ""):
            raise HTTPFailure(400, "ACL auth-method name does not match request path")
        self._acl_write()
        ttl = field(body, "MaxTokenTTL")
        try:
            ttl = rules_duration(ttl) if isinstance(ttl, str) and ttl else int(ttl or 0)
        except ValueError as exc:
            raise HTTPFailure(400, str(exc))
        old = st.auth_methods.get(field(body, "Name") or "")
        method = {"Name": field(body, "Name") or "", "Type": field(body, "Type") or "",
                  "TokenLocality": field(body, "TokenLocality") or "",
                  "TokenNameFormat": field(body, "TokenNameFormat") or "",
                  "MaxTokenTTL": ttl, "Default": bool(field(body, "Default")), "Config": field(body, "Config")}
        if old:  # ACLAuthMethod.Merge: unset fields keep the stored values
            for key in ("Type", "TokenLocality", "TokenNameFormat", "MaxTokenTTL", "Config"):
                if not method[key]:
                    method[key] = old[key]
        method["TokenNameFormat"] = method["TokenNameFormat"] or "${auth_method_type}-${auth_method_name}"
        errors = rules.auth_method_errors(method)
        if errors:
            raise RuleError(400, "auth method 0 invalid: %s" % multierror(errors))
        default = next((m for m in st.auth_methods.values() if m["Default"]), None)
        if method["Default"] and default is not None and default["Name"] != method["Name"]:
            raise HTTPFailure(400, "default method already exists: %s" % default["Name"])
        idx = st.next_index()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        method.update({"CreateTime": old["CreateTime"] if old else now, "ModifyTime": now,
                       "Hash": base64.b64encode(hashlib.sha256(json.dumps(method, sort_keys=True).encode())
                                                .digest()).decode(),
                       "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx})
        st.auth_methods[method["Name"]] = method
        return 200, self._method_out(method), self.write_headers(idx)

    def acl_binding_rules(self):
        self.auth("management")
        out = [{k: r[k] for k in ("ID", "Description", "AuthMethod", "Hash", "CreateIndex", "ModifyIndex")}
               for r in sorted(self.state.binding_rules.values(), key=lambda r: r["CreateIndex"])]
        return 200, out, self.read_headers()

    def acl_binding_rule(self, rule_id=None):
        st = self.state
        if rule_id == "":
            raise HTTPFailure(400, "missing ACL binding rule ID")
        if self.command == "GET":
            self.auth("management")
            rule = st.binding_rules.get(rule_id)
            if rule is None:
                raise HTTPFailure(404, "ACL binding rule not found")
            return 200, copy.deepcopy(rule), self.read_headers(rule["ModifyIndex"])
        if self.command == "DELETE":
            self._acl_write()
            if rule_id not in st.binding_rules:  # nomad/state/state_store_acl_binding_rule.go
                raise HTTPFailure(500, "ACL binding rule not found")
            del st.binding_rules[rule_id]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        rid = field(body, "ID") or rule_id or ""
        if rule_id is not None and rule_id != rid:
            raise HTTPFailure(400, "ACL binding rule ID does not match request path")
        self._acl_write()
        rule = {"ID": rid, "Description": field(body, "Description") or "",
                "AuthMethod": field(body, "AuthMethod") or "", "Selector": field(body, "Selector") or "",
                "BindType": field(body, "BindType") or "", "BindName": field(body, "BindName") or ""}
        old = None
        if rid:
            old = st.binding_rules.get(rid)
            if old is None:
                raise HTTPFailure(400, "cannot find binding rule %s" % rid)
            for key in ("Description", "AuthMethod", "Selector", "BindType", "BindName"):  # ACLBindingRule.Merge
                if not rule[key]:
                    rule[key] = old[key]
            if rule["AuthMethod"] != old["AuthMethod"]:
                raise HTTPFailure(400, "cannot update auth method for binding rule, create a new rule instead")
        errors = rules.binding_rule_errors(rule)
        if errors:
            raise RuleError(400, "binding rule 0 invalid: %s" % multierror(errors))
        if rule["AuthMethod"] not in st.auth_methods:
            raise HTTPFailure(400, "ACL auth method %s not found" % rule["AuthMethod"])
        idx = st.next_index()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        rule["ID"] = rule["ID"] or str(uuid.uuid4())
        rule.update({"CreateTime": old["CreateTime"] if old else now, "ModifyTime": now,
                     "Hash": base64.b64encode(hashlib.sha256(json.dumps(rule, sort_keys=True).encode())
                                              .digest()).decode(),
                     "CreateIndex": old["CreateIndex"] if old else idx, "ModifyIndex": idx})
        st.binding_rules[rule["ID"]] = rule
        return 200, copy.deepcopy(rule), self.write_headers(idx)


ROUTES = [
    route("GET", r"/v1/acl/auth-methods", ACLAuth.acl_auth_methods),
    route("PUT POST", r"/v1/acl/auth-method", ACLAuth.acl_auth_method),
    route("GET PUT POST DELETE", r"/v1/acl/auth-method/(.*)", ACLAuth.acl_auth_method),
    route("GET", r"/v1/acl/binding-rules", ACLAuth.acl_binding_rules),
    route("PUT POST", r"/v1/acl/binding-rule", ACLAuth.acl_binding_rule),
    route("GET PUT POST DELETE", r"/v1/acl/binding-rule/(.*)", ACLAuth.acl_binding_rule),
]
