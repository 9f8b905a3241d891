"""/v1/sentinel/policies and /v1/sentinel/policy/<name>: Sentinel policies, Nomad Enterprise only.

Community edition (the double's default): command/agent/http_ce.go registerEnterpriseHandlers maps both paths to
entOnly, 501 "Nomad Enterprise only endpoint" for any method, before any ACL check.

Enterprise (DoubleState(enterprise=True), --enterprise): the server side is not in Nomad's public source. What the
double does rests on the Go api client (api/sentinel.go: SentinelPolicy, SentinelPolicyListStub, the scopes
submit-job, submit-host-volume, submit-csi-volume; Upsert is a PUT of the whole policy) and Nomad's API documentation
(website/content/api-docs/sentinel-policies.mdx before commit f26f6d8: a management token for every call, "only
available when ACLs are enabled", Name, Scope, EnforcementLevel and Policy required, answers carrying Hash). The
server's own validation texts are not public: the double refuses what the documentation calls required or
invalid, with texts that say they are the double's, and answers 400 "ACL support disabled" (the text of Nomad's
ACL endpoints) when ACLs are off."""

import base64
import copy
import hashlib

from ..common import HTTPFailure, field, route

SCOPES = ("submit-job", "submit-host-volume", "submit-csi-volume")  # api/sentinel.go SentinelScope*
LEVELS = ("advisory", "soft-mandatory", "hard-mandatory")
STUB = ("Name", "Description", "Scope", "EnforcementLevel", "Hash", "CreateIndex", "ModifyIndex")


class Sentinel:
    """Handlers of the Sentinel policy paths."""

    def _sentinel_gate(self):
        self.enterprise_only()
        if not self.state.acl_enabled:
            raise HTTPFailure(400, "ACL support disabled")
        self.auth("management")

    def sentinel_policies(self):
        self.enterprise_only()
        if self.command != "GET":
            raise HTTPFailure(405, "Invalid method")
        self._sentinel_gate()
        out = [dict((k, p[k]) for k in STUB) for dummy, p in sorted(self.state.sentinel_policies.items())]
        return 200, out, self.read_headers()

    def sentinel_policy(self, name):
        self.enterprise_only()
        st = self.state
        if self.command not in ("GET", "PUT", "POST", "DELETE"):
            raise HTTPFailure(405, "Invalid method")
        self._sentinel_gate()
        if self.command == "GET":
            policy = st.sentinel_policies.get(name)
            if policy is None:
                raise HTTPFailure(404, "Sentinel policy not found")
            return 200, copy.deepcopy(policy), self.read_headers(policy["ModifyIndex"])
        if self.command == "DELETE":
            st.sentinel_policies.pop(name, None)
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        keys = ("Name", "Description", "Scope", "EnforcementLevel", "Policy")
        policy = dict((key, field(body, key) or "") for key in keys)
        problems = []
        if not name or policy["Name"] != name:
            problems.append("the policy's Name must be the name in the path")
        if policy["Scope"] not in SCOPES:
            problems.append("Scope must be one of %s" % ", ".join(SCOPES))
        if policy["EnforcementLevel"] not in LEVELS:
            problems.append("EnforcementLevel must be one of %s" % ", ".join(LEVELS))
        if not policy["Policy"].strip():
            problems.append("Policy is required")
        if problems:
            raise HTTPFailure(500, "the Nomad API double refuses this Sentinel policy (Nomad Enterprise's own text "
                                   "is not public): %s" % "; ".join(problems))
        policy["Hash"] = base64.b64encode(hashlib.sha256(policy["Policy"].encode()).digest()).decode()
        idx = st.next_index()
        old = st.sentinel_policies.get(name)
        policy.update(CreateIndex=old["CreateIndex"] if old else idx, ModifyIndex=idx)
        st.sentinel_policies[name] = policy
        return 200, None, self.write_headers(idx)


ALL = "GET HEAD PUT POST DELETE PATCH"
ROUTES = [
    route(ALL, r"/v1/sentinel/policies", Sentinel.sentinel_policies),
    route(ALL, r"/v1/sentinel/policy/(.*)", Sentinel.sentinel_policy),
]
