"""/v1/vars and /v1/var/<path> (command/agent/variable_endpoint.go, nomad/variables_endpoint.go)."""

import copy
import time

from .. import rules
from ..common import HTTPFailure, field, route


class Variables:
    """Handlers of /v1/vars and /v1/var/<path>."""

    def vars_list(self):
        self.auth("management")
        ns = self.namespace()
        prefix = self.query.get("prefix", "")
        out = [{k: v for k, v in var.items() if k != "Items"} for (vns, path), var in sorted(self.state.variables.items())
               if (ns == "*" or vns == ns) and path.startswith(prefix)]
        return 200, out, self.read_headers()

    def var_obj(self, path):
        st = self.state
        self.auth("management")
        if not path:
            raise HTTPFailure(400, "missing variable path")
        ns = self.namespace()
        key = (ns, path)
        cur = st.variables.get(key)
        if self.command == "GET":
            if cur is None:
                raise HTTPFailure(404, "variable not found")
            return 200, copy.deepcopy(cur), self.read_headers(cur["ModifyIndex"])
        body = None
        if self.command != "DELETE":
            # command/agent/variable_endpoint.go variableUpsert, then nomad/variables_endpoint.go Apply
            # (VariableDecrypted.Validate) before the state store's check-and-set
            body = self.json_body()
            items = field(body, "Items")
            if not items:
                raise HTTPFailure(400, "variable missing required Items object")
            error = rules.variable_path_error(path)
            if error:
                raise HTTPFailure(400, error)
            if sum(len(str(k)) + len(str(v)) for k, v in items.items()) > 64 * 1024:
                raise HTTPFailure(400, "variables are limited to 64KiB in total size")
        cas = self.query.get("cas") or None
        if cas is not None:
            try:
                cas = int(cas)
                if cas < 0:
                    raise ValueError('strconv.ParseUint: parsing "%s": invalid syntax' % cas)
            except ValueError as exc:
                raise HTTPFailure(400, "can not parse cas: %s" % exc)
            have = cur["ModifyIndex"] if cur else 0
            if cas != have:
                conflict = copy.deepcopy(cur) if cur else {"Namespace": ns, "Path": path, "CreateIndex": 0,
                                                           "ModifyIndex": 0, "CreateTime": 0, "ModifyTime": 0}
                if self.command == "DELETE" and conflict.get("Items") is not None:
                    conflict.pop("Items")
                raise HTTPFailure(409, "cas error", body=conflict)
        if self.command == "DELETE":  # variableDelete answers 204 No Content
            st.variables.pop(key, None)
            idx = st.next_index()
            return 204, None, self.write_headers(idx)
        items = field(body, "Items")
        idx = st.next_index()
        now = time.time_ns()
        var = {"Namespace": ns, "Path": path, "CreateIndex": cur["CreateIndex"] if cur else idx, "ModifyIndex": idx,
               "CreateTime": cur["CreateTime"] if cur else now, "ModifyTime": now,
               "Items": dict((str(k), str(v)) for k, v in items.items())}
        st.variables[key] = var
        return 200, copy.deepcopy(var), self.write_headers(idx)


ROUTES = [
    route("GET", r"/v1/vars", Variables.vars_list),
    route("GET PUT POST DELETE", r"/v1/var/(.+)", Variables.var_obj),
]
