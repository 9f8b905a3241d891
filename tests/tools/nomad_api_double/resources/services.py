"""/v1/services and /v1/service/<name>[/<id>]: Nomad-native service registrations. HTTP side
command/agent/service_registration_endpoint.go (ServiceRegistrationListRequest, ServiceRegistrationRequest,
serviceGetRequest, serviceDeleteRequest); RPC nomad/service_registration_endpoint.go (List,
listAllServiceRegistrations, GetService, choose, DeleteByID); acl/acl.go AllowServiceRegistrationReadList (read-job).

Registrations are written by clients for running allocations; the double has no allocations, so tests seed them
with /_double/service-registration."""

import copy
import hashlib
import re
import struct

from ..common import HTTPFailure, route

MALFORMED_CHOOSE = "Parameter for choose must be in form '<number>|<key>'"  # structs.ErrMalformedChooseParameter
FIELDS = ("ID", "ServiceName", "Namespace", "NodeID", "Datacenter", "JobID", "AllocID", "Tags", "Address", "Port",
          "CreateIndex", "ModifyIndex")


def hash_with(reg, key):
    """structs.ServiceRegistration.HashWith: sha256 over the port (8 bytes, big endian), alloc ID, ID, namespace,
    address, service name, tags and the key, as hex."""
    digest = hashlib.sha256(struct.pack(">Q", reg["Port"] & 0xFFFFFFFFFFFFFFFF))
    for part in (reg["AllocID"], reg["ID"], reg["Namespace"], reg["Address"], reg["ServiceName"]):
        digest.update(part.encode())
    for tag in reg["Tags"] or []:
        digest.update(tag.encode())
    digest.update(key.encode())
    return digest.hexdigest()


def choose(regs, parameter):
    """ServiceRegistration.choose: '<n>|<key>', the n registrations with the lowest HashWith(key)."""
    tokens = parameter.split("|", 1)
    if len(tokens) != 2 or not re.match(r"^[+-]?\d+$", tokens[0]) or not tokens[1]:
        raise HTTPFailure(400, "failed to choose services: %s" % MALFORMED_CHOOSE)
    count = min(int(tokens[0]), len(regs))
    ranked = sorted(regs, key=lambda r: hash_with(r, tokens[1]))  # sort.SliceStable by the hash
    return ranked[:count]


class Services:
    """Handlers of /v1/services and /v1/service/<name>[/<id>]."""

    def services_list(self):
        """List: one namespace needs read-job there (403); '*' leaves out the namespaces without it."""
        if self.command != "GET":
            raise HTTPFailure(405, "Invalid method")
        st = self.state
        ns = self.namespace()
        token = self.auth("any")
        if ns != "*" and not self.allowed(token, "namespace", "read-job", ns):
            raise HTTPFailure(403, "Permission denied")
        tags = {}
        for reg in st.service_registrations.values():
            if ns != "*" and reg["Namespace"] != ns:
                continue
            if ns == "*" and not self.allowed(token, "namespace", "read-job", reg["Namespace"]):
                continue
            names = tags.setdefault(reg["Namespace"], {})
            names.setdefault(reg["ServiceName"], set()).update(reg["Tags"] or [])
        out = [{"Namespace": name_ns, "Services": [{"ServiceName": svc, "Tags": sorted(found)}
                                                   for svc, found in sorted(names.items())]}
               for name_ns, names in sorted(tags.items())]
        return 200, out, self.read_headers()

    def service_specific(self, suffix):
        """ServiceRegistrationRequest: <name> (GET, else 405; empty 400 "missing service name"), <name>/<id>
        (DELETE, else 405; empty ID 400 "missing service id"), more segments 400 "invalid URI"."""
        st = self.state
        parts = suffix.split("/")
        if len(parts) == 1:
            if self.command != "GET":
                raise HTTPFailure(405, "Invalid method")
            if not parts[0]:
                raise HTTPFailure(400, "missing service name")
            ns = self.namespace()  # a literal lookup: '*' matches no registration
            self.auth(("namespace", "read-job", ns))
            regs = [copy.deepcopy(dict((k, r[k]) for k in FIELDS))
                    for dummy, r in sorted(st.service_registrations.items())
                    if r["Namespace"] == ns and r["ServiceName"] == parts[0]]
            if self.query.get("choose"):
                regs = choose(regs, self.query["choose"])
            return 200, regs, self.read_headers()
        if len(parts) == 2:
            if self.command != "DELETE":
                raise HTTPFailure(405, "Invalid method")
            if not parts[1]:
                raise HTTPFailure(400, "missing service id")
            ns = self.namespace()
            self.auth(("namespace", ("submit-job", "delete-service-registration"), ns))
            reg = st.service_registrations.get(parts[1])
            if reg is None or reg["Namespace"] != ns:
                raise HTTPFailure(500, "service registration not found")
            del st.service_registrations[parts[1]]
            return 200, None, self.write_headers(st.next_index())
        raise HTTPFailure(400, "invalid URI")


ROUTES = [
    route("GET HEAD PUT POST DELETE PATCH", r"/v1/services", Services.services_list),
    route("GET HEAD PUT POST DELETE PATCH", r"/v1/service/(.*)", Services.service_specific),
]
