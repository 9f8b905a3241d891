# Edge job: a data collector that buffers readings on a host volume so nothing is lost while the
# uplink is down. The host volume "edge-data" is declared on the clients (nomad_client_host_volumes).
job "data-collector" {
  type        = "service"
  node_pool   = "edge-x86"
  datacenters = ["*"]

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  constraint {
    attribute = "${attr.cpu.arch}"
    value     = "amd64"
  }

  group "collector" {
    count = 2

    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }

    volume "edge-data" {
      type      = "host"
      source    = "edge-data"
      read_only = false
    }

    # Keep collecting while disconnected; after 1h a replacement starts elsewhere, and the
    # replacement wins when the original comes back (its buffer has been shipped by then).
    disconnect {
      lost_after = "1h"
      replace    = true
      reconcile  = "keep_replacement"
    }

    task "collector" {
      driver = "exec"

      config {
        command = "/usr/local/bin/edge-collector"
        args    = ["--buffer-dir", "/data/buffer", "--upstream", "https://ingest.example.com"]
      }

      volume_mount {
        volume      = "edge-data"
        destination = "/data"
        read_only   = false
      }

      resources {
        cpu    = 150
        memory = 96
      }
    }
  }
}
