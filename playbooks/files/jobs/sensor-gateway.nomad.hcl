# Edge job (example: replace artifact URLs and checksums with yours): a sensor gateway on ARM single-board computers (exec driver, no container runtime needed).
# Runs one instance per device in the edge-arm node pool; survives uplink outages of up to 6 hours
# without being replaced, and keeps the original allocation when the device comes back.
job "sensor-gateway" {
  type        = "system"
  node_pool   = "edge-arm"
  datacenters = ["*"]

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  constraint {
    attribute = "${attr.cpu.arch}"
    value     = "arm64"
  }

  group "gateway" {
    # Edge uplinks drop for hours: keep the allocation, do not start a replacement elsewhere.
    disconnect {
      lost_after = "6h"
      replace    = false
      reconcile  = "keep_original"
    }

    restart {
      attempts = 10
      interval = "30m"
      delay    = "15s"
      mode     = "delay"
    }

    task "gateway" {
      driver = "exec"

      config {
        command = "/usr/local/bin/sensor-gateway"
        args    = ["--listen", "127.0.0.1:9100", "--bus", "/dev/i2c-1"]
      }

      artifact {
        source      = "https://artifacts.example.com/sensor-gateway/1.4.2/sensor-gateway_linux_arm64.tar.gz"
        destination = "local/"
        options {
          checksum = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
        }
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
