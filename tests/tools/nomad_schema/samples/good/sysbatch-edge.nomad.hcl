# A sysbatch job pinned to the edge node pool, Linux hosts only.
job "edge-inventory" {
  type      = "sysbatch"
  node_pool = "edge"

  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "="
    value     = "linux"
  }

  constraint {
    operator = "distinct_hosts"
    value    = "true"
  }

  group "collect" {
    task "uname" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/uname"
        args    = ["-a"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
