"""/v1/volumes: the list of host or CSI volumes, and CSI registration (command/agent/http.go registerHandlers:
"GET /v1/volumes" -> volumes_endpoint.go ListVolumesRequest, any other method of "/v1/volumes" ->
csi_endpoint.go CSIVolumesRequest)."""

from ..common import HTTPFailure, route


class Volumes:
    """Handler of /v1/volumes."""

    def volumes(self):
        if self.command in ("GET", "HEAD"):
            # ListVolumesRequest: no type -> [] (200); host or csi -> that list; any other type -> 404
            if "type" not in self.query:
                return 200, [], {}
            kind = self.query["type"]
            if kind == "host":
                return self.host_volume_list()
            if kind == "csi":
                return self.csi_volume_list()
            raise HTTPFailure(404, "resource not found")
        if self.command in ("PUT", "POST"):  # CSIVolumesRequest: a registration, whatever ?type says
            return self.csi_volume_register()
        raise HTTPFailure(405, "Invalid method")


ROUTES = [
    route("GET HEAD PUT POST DELETE PATCH", r"/v1/volumes", Volumes.volumes),
]
