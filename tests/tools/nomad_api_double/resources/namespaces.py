"""/v1/namespaces and /v1/namespace (nomad/namespace_endpoint.go, nomad/structs Namespace.Validate)."""

import copy
import re

from ..common import HTTPFailure, field, route

NAMESPACE_RE = re.compile(r"^[a-zA-Z0-9-]{1,128}$")


class Namespaces:
    """Handlers of /v1/namespaces and /v1/namespace/<name>."""

    def namespaces_list(self):
        token = self.auth("any")
        prefix = self.query.get("prefix", "")
        out = [copy.deepcopy(n) for name, n in sorted(self.state.namespaces.items()) if name.startswith(prefix)
               and self.allowed(token, "namespace", None, name)]
        return 200, out, self.read_headers()

    def namespace_obj(self, name=""):
        st = self.state
        if self.command == "GET":
            self.auth(("namespace", None, name))
            if not name:
                raise HTTPFailure(400, "Missing Namespace Name")
            ns = st.namespaces.get(name)
            if ns is None:
                raise HTTPFailure(404, "Namespace not found")
            return 200, copy.deepcopy(ns), self.read_headers(ns["ModifyIndex"])
        self.auth("management")
        if self.command == "DELETE":
            if name == "default":
                raise HTTPFailure(500, "can not delete default namespace")
            if any(ns == name and not job["Stop"] for (ns, dummy), job in st.jobs.items()):
                raise HTTPFailure(500, "namespace %q has non-terminal jobs in regions: [%s]".replace("%q", '"%s"')
                                  % (name, st.region))
            if name not in st.namespaces:
                raise HTTPFailure(404, "Namespace not found")
            del st.namespaces[name]
            return 200, None, self.write_headers(st.next_index())
        body = self.json_body()
        nname = field(body, "Name") or ""
        if name and nname != name:
            raise HTTPFailure(400, "Namespace name does not match request path")
        if not NAMESPACE_RE.match(nname):
            raise HTTPFailure(500, 'Invalid namespace "%s": invalid name "%s". Must match regex %s'
                              % (nname, nname, NAMESPACE_RE.pattern))
        description = field(body, "Description") or ""
        if len(description) > 256:
            raise HTTPFailure(500, 'Invalid namespace "%s": description longer than 256' % nname)
        idx = st.next_index()
        old = st.namespaces.get(nname)
        ns = self.state._namespace(nname, description, field(body, "Meta") or None, old["CreateIndex"] if old else idx)
        ns["Capabilities"] = field(body, "Capabilities")
        ns["ModifyIndex"] = idx
        st.namespaces[nname] = ns
        return 200, None, self.write_headers(idx)


ROUTES = [
    route("GET", r"/v1/namespaces", Namespaces.namespaces_list),
    route("PUT POST", r"/v1/namespace", Namespaces.namespace_obj),
    route("GET PUT POST DELETE", r"/v1/namespace/([^/]*)", Namespaces.namespace_obj),
]
