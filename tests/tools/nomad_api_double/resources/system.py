"""/v1/system/gc (command/agent/system_endpoint.go GarbageCollectRequest, nomad/system_endpoint.go)."""

from ..common import route


class System:
    """Handler of /v1/system/gc."""

    def system_gc(self):
        """PUT only (any other method: 405 "Invalid method"); System.GarbageCollect needs a management token
        (403 "Permission denied"); it enqueues the force-gc core job, which runs every GC at a 1ms threshold,
        node GC last (nomad/core_sched.go forceGC). 200 with an empty body. The double runs it at once."""
        self.auth("management")
        self.state.force_gc()
        return 200, None, {}


ROUTES = [
    route("PUT", r"/v1/system/gc", System.system_gc),
]
