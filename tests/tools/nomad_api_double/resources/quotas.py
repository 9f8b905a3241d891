"""/v1/quotas, /v1/quota, /v1/quota/<name>, /v1/quota/usage/<name>, /v1/quota-usages: quota specifications,
Nomad Enterprise only.

Community edition (the double's default): command/agent/http_ce.go registerEnterpriseHandlers maps every one of
these paths to entOnly, 501 "Nomad Enterprise only endpoint" for any method, before any ACL check.

Enterprise (DoubleState(enterprise=True), --enterprise): the server side is not in Nomad's public source. What the
double does rests on the Go api client (api/quota.go: QuotaSpec, QuotaLimit, QuotaResources, the routes and methods
Quotas() calls) and Nomad's API documentation (website/content/api-docs/quotas.mdx before commit f26f6d8: quota:read
for reads, quota:write for writes, POST /v1/quota[/<name>] to upsert, answers carrying Hash on the specification and
on each limit, unset resource numbers answered as 0). Nomad Enterprise's own validation texts are not public: the
double refuses only a specification without a name, with a text that says it is the double's."""

import base64
import copy
import hashlib
import json

from ..common import HTTPFailure, field, route

INT_FIELDS = ("CPU", "Cores", "MemoryMB", "MemoryMaxMB", "SecretsMB")


def _hash(data):
    return base64.b64encode(hashlib.sha256(json.dumps(data, sort_keys=True).encode()).digest()).decode()


def resources_from(raw, pool=False):
    """api.QuotaResources / api.NodePoolLimit as stored and answered: unset numbers are 0 (the documented
    answers), unset lists and storage null."""
    raw = raw or {}
    out = dict((key, int(field(raw, key) or 0)) for key in INT_FIELDS)
    storage = field(raw, "Storage")
    out["Storage"] = None if storage is None else {"VariablesMB": int(field(storage, "VariablesMB") or 0),
                                                   "HostVolumesMB": int(field(storage, "HostVolumesMB") or 0)}
    devices = field(raw, "Devices")
    out["Devices"] = None if not devices else [
        {"Name": field(d, "Name") or "", "Count": field(d, "Count"), "Constraints": None, "Affinities": None}
        for d in devices]
    out["NUMA"] = field(raw, "NUMA")
    if pool:
        out["NodePool"] = field(raw, "NodePool") or ""
    else:
        pools = field(raw, "NodePools")
        out["NodePools"] = None if not pools else [resources_from(p, pool=True) for p in pools]
    return out


def spec_from(body):
    limits = []
    for raw in field(body, "Limits") or []:
        limit = {"Region": field(raw, "Region") or "", "RegionLimit": resources_from(field(raw, "RegionLimit")),
                 "VariablesLimit": field(raw, "VariablesLimit")}
        limit["Hash"] = _hash(limit)
        limits.append(limit)
    spec = {"Name": field(body, "Name") or "", "Description": field(body, "Description") or "", "Limits": limits}
    spec["Hash"] = _hash(spec)
    return spec


class Quotas:
    """Handlers of the quota paths."""

    def quotas_list(self):
        self.enterprise_only()
        if self.command != "GET":
            raise HTTPFailure(405, "Invalid method")
        self.auth(("quota", "read"))
        prefix = self.query.get("prefix", "")
        out = [copy.deepcopy(q) for name, q in sorted(self.state.quotas.items()) if name.startswith(prefix)]
        return 200, out, self.read_headers()

    def quota_usages(self):
        self.enterprise_only()
        if self.command != "GET":
            raise HTTPFailure(405, "Invalid method")
        self.auth(("quota", "read"))
        out = [{"Name": name, "Used": {}, "CreateIndex": q["CreateIndex"], "ModifyIndex": q["ModifyIndex"]}
               for name, q in sorted(self.state.quotas.items())]
        return 200, out, self.read_headers()

    def quota_upsert(self):
        """PUT/POST /v1/quota (what api Quotas.Register sends) and /v1/quota/<name> (the documented form)."""
        self.enterprise_only()
        if self.command not in ("PUT", "POST"):
            raise HTTPFailure(405, "Invalid method")
        self.auth(("quota", "write"))
        spec = spec_from(self.json_body())
        if not spec["Name"]:
            raise HTTPFailure(500, "the Nomad API double refuses a quota specification without a name "
                                   "(Nomad Enterprise's own text is not public)")
        st = self.state
        idx = st.next_index()
        old = st.quotas.get(spec["Name"])
        spec.update(CreateIndex=old["CreateIndex"] if old else idx, ModifyIndex=idx)
        st.quotas[spec["Name"]] = spec
        return 200, None, self.write_headers(idx)

    def quota_specific(self, suffix):
        self.enterprise_only()
        st = self.state
        if suffix.startswith("usage/") and self.command == "GET":
            self.auth(("quota", "read"))
            quota = st.quotas.get(suffix[len("usage/"):])
            if quota is None:
                raise HTTPFailure(404, "Quota not found")
            return 200, {"Name": quota["Name"], "Used": {}, "CreateIndex": quota["CreateIndex"],
                         "ModifyIndex": quota["ModifyIndex"]}, self.read_headers()
        if self.command in ("PUT", "POST"):
            return self.quota_upsert()
        if self.command == "GET":
            self.auth(("quota", "read"))
            quota = st.quotas.get(suffix)
            if quota is None:  # Terraform's provider matches the 404 (nomad/resource_quota_specification.go)
                raise HTTPFailure(404, "Quota not found")
            return 200, copy.deepcopy(quota), self.read_headers(quota["ModifyIndex"])
        if self.command == "DELETE":
            self.auth(("quota", "write"))
            st.quotas.pop(suffix, None)
            return 200, None, self.write_headers(st.next_index())
        raise HTTPFailure(405, "Invalid method")


ALL = "GET HEAD PUT POST DELETE PATCH"
ROUTES = [
    route(ALL, r"/v1/quotas", Quotas.quotas_list),
    route(ALL, r"/v1/quota-usages", Quotas.quota_usages),
    route(ALL, r"/v1/quota", Quotas.quota_upsert),
    route(ALL, r"/v1/quota/(.*)", Quotas.quota_specific),
]
