"""/v1/evaluation/<id> (command/agent/eval_endpoint.go, nomad/eval_endpoint.go)."""

import copy

from ..common import HTTPFailure, route


class Evaluations:
    """Handler of /v1/evaluation/<id>."""

    def evaluation(self, eval_id):
        """command/agent/eval_endpoint.go evalQuery: 404 "eval not found"; Eval.GetEval needs read-job."""
        if self.route_path.endswith("/allocations"):
            raise HTTPFailure(404, "Invalid URL")
        ev = self.state.evals.get(eval_id)
        self.auth(("namespace", "read-job", ev["Namespace"] if ev else self.namespace()))
        if ev is None:
            raise HTTPFailure(404, "eval not found")
        if not getattr(self, "_bypass_auth", False):
            self.state.tick_eval(ev)
        return 200, {k: copy.deepcopy(v) for k, v in ev.items() if not k.startswith("_")}, \
            self.read_headers(ev["ModifyIndex"])


ROUTES = [
    route("GET", r"/v1/evaluation/([^/]+)(?:/allocations)?", Evaluations.evaluation),
]
