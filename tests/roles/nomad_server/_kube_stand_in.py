# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small read-only stand-in of a Kubernetes API server on 127.0.0.1 for the role tests that must show the role
stopped before writing: it answers discovery (/version, /api, /api/v1, /apis) the way kube-apiserver does, GETs of
the objects a test gives it (404 Status otherwise), records every request, and refuses writes with 405. A POST with
?dryRun=All (check mode of kubernetes.core.k8s) is answered like kube-apiserver does: 201 with the object sent, and
nothing stored (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go, dryrun.IsDryRun)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CORE_RESOURCES = [
    {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace"},
    {"name": "secrets", "singularName": "secret", "namespaced": True, "kind": "Secret"},
    {"name": "services", "singularName": "service", "namespaced": True, "kind": "Service"},
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod"},
    {"name": "configmaps", "singularName": "configmap", "namespaced": True, "kind": "ConfigMap"},
    {"name": "serviceaccounts", "singularName": "serviceaccount", "namespaced": True, "kind": "ServiceAccount"},
]
APPS_RESOURCES = [{"name": "statefulsets", "singularName": "statefulset", "namespaced": True, "kind": "StatefulSet"}]
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def api_stand_in(git_version, groups=None, objects=None):
    """groups: {"group/version": [resource dicts]} served besides the core API; objects: {path: body} answered to GET
    (e.g. "/api/v1/namespaces/nomad": a Namespace)."""
    groups = dict(groups or {})
    objects = objects or {}
    groups.setdefault("apps/v1", [dict(r, verbs=VERBS) for r in APPS_RESOURCES])
    minor = git_version.split(".")[1]
    answers = {
        "/version": {"major": "1", "minor": minor, "gitVersion": git_version, "platform": "linux/amd64"},
        "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
        "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1",
                    "resources": [dict(r, verbs=VERBS) for r in CORE_RESOURCES]},
        "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
             "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}} for gv in groups]},
    }
    for gv, resources in groups.items():
        answers["/apis/" + gv] = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            requests.append(("GET", self.path))
            path = self.path.split("?")[0]
            if path in answers:
                self._send(200, answers[path])
            elif path in objects:
                self._send(200, objects[path])
            else:
                self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                 "code": 404, "message": "the server could not find the requested resource"})

        def _write(self):
            requests.append((self.command, self.path))
            if self.command == "POST" and "dryRun=All" in self.path:
                length = int(self.headers.get("Content-Length") or 0)
                self._send(201, json.loads(self.rfile.read(length) or b"{}"))
                return
            self._send(405, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "MethodNotAllowed",
                             "code": 405, "message": "read-only stand-in"})

        do_POST = do_PUT = do_PATCH = do_DELETE = _write  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, requests
