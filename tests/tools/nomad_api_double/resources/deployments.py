"""/v1/deployments: the deployment list (command/agent/deployment_endpoint.go DeploymentsRequest,
nomad/deployment_endpoint.go Deployment.List). Deployments are created by the scheduler stand-in
(state.py tick_eval) and change status through state.py set_deployment_status."""

from ..common import route


class Deployments:
    """Handler of /v1/deployments."""

    def deployments_list(self):
        """Deployment.List: read-job on the namespace; X-Nomad-Index is the state's index."""
        namespace = self.namespace()
        if namespace == "*":
            token = self.auth("any")
            wanted = [ns for ns in self.state.namespaces if not self.state.acl_enabled or token is None
                      or self.allowed(token, "namespace", "read-job", ns)]
        else:
            self.auth(("namespace", "read-job", namespace))
            wanted = [namespace]
        deps = sorted((d for d in self.state.deployments.values() if d["Namespace"] in wanted),
                      key=lambda d: d["CreateIndex"])
        return 200, [{k: v for k, v in d.items() if not k.startswith("_")} for d in deps], self.read_headers()


ROUTES = [
    route("GET", r"/v1/deployments", Deployments.deployments_list),
]
