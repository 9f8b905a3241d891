job "web" {
  datacenters = ["dc1"]
  type = "service"
  node_pool = "edge"

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  group "cache" {
    count = 2

    disconnect {
      lost_after = "1h"
      replace    = false
      reconcile  = "keep_original"
    }

    volume "data" {
      type      = "host"
      source    = "data"
      read_only = false
    }

    network {
      port "http" {
        to = 8080
      }
    }

    task "redis" {
      driver = "docker"

      config {
        image = "redis:7"
        ports = ["http"]
        args  = ["--appendonly", "yes"]
      }

      env {
        FOO = "bar"
      }

      meta = {
        "team.name" = "edge"
      }

      volume_mount {
        volume      = "data"
        destination = "/data"
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
