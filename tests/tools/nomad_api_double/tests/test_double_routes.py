"""The double's dispatch over its resources' routes tables (server.py): every module of resources/ is
found, a path goes to the most specific route whatever the order of the modules, and two resources
cannot define the same handler name."""

import types

import pytest

from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import server
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double.common import route

# Paths that more than one route pattern matches, and the handler Nomad gives them: command/agent/http.go
# registerHandlers registers "/v1/node/pools" beside the prefix "/v1/node/", and Go's net/http ServeMux
# takes the longest matching pattern; ACLTokenSpecificRequest and ACLRoleSpecificRequest take "self" and
# "name/" before an accessor or ID.
AMBIGUOUS = {
    "/v1/node/pools": "NodePools.node_pools",
    "/v1/node/0a1b": "Nodes.node_get",
    "/v1/node/0a1b/purge": "Nodes.node_purge",
    "/v1/node/0a1b/allocations": "Nodes.node_allocations",
    "/v1/acl/token/self": "ACL.acl_token_self",
    "/v1/acl/token/0a1b": "ACL.acl_token",
    "/v1/acl/role/name/ops": "ACL.acl_role_by_name",
    "/v1/acl/role/0a1b": "ACL.acl_role",
    # registerHandlers: "/v1/quota" exact, "/v1/quotas" exact, "/v1/quota-usages" exact, "/v1/quota/" prefix
    "/v1/quota": "Quotas.quota_upsert",
    "/v1/quotas": "Quotas.quotas_list",
    "/v1/quota-usages": "Quotas.quota_usages",
    "/v1/quota/x": "Quotas.quota_specific",
    "/v1/volumes": "Volumes.volumes",
    "/v1/volume/host/create": "HostVolumes.host_volume_specific",
}


def resolve(routes, path):
    return next(handler.__qualname__ for dummy, regex, handler in routes if regex.match(path))


def test_every_resource_module_is_found():
    names = sorted(module.__name__.rsplit(".", 1)[-1] for module in server.MODULES)
    assert names == ["acl", "acl_auth", "agent", "allocations", "client_intro", "client_rpc", "control", "csi",
                     "deployments", "evaluations", "events", "federation", "host_volumes", "jobs", "namespaces",
                     "node_pools", "nodes", "operator", "quotas", "recommendations", "scheduler", "sentinel",
                     "services", "system", "variables", "volumes"]


@pytest.mark.parametrize("order", ["as found", "reversed"])
@pytest.mark.parametrize("path", sorted(AMBIGUOUS))
def test_the_most_specific_route_wins_whatever_the_module_order(order, path):
    modules = list(server.MODULES) if order == "as found" else list(reversed(server.MODULES))
    reversed_entries = [types.SimpleNamespace(ROUTES=list(reversed(m.ROUTES))) for m in modules]
    assert resolve(server.routes_of(modules), path) == AMBIGUOUS[path]
    assert resolve(server.routes_of(reversed_entries), path) == AMBIGUOUS[path]


def test_two_resources_may_not_define_the_same_handler_name():
    class Quotas:
        def node_get(self):  # the name Nodes already uses
            return 200, None, {}

    quotas = types.ModuleType("quotas")
    quotas.Quotas = Quotas
    quotas.ROUTES = [route("GET", r"/v1/quotas", Quotas.node_get)]
    with pytest.raises(TypeError, match="Quotas.node_get is also defined by Nodes"):
        server.handler_classes(list(server.MODULES) + [quotas], server.Plumbing)
