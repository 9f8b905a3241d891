# Edge job: a sensor gateway on ARM single-board computers (exec driver, no container runtime needed).
# Runs one instance per device in the edge-arm node pool; survives uplink outages of up to 6 hours
# without being replaced, and keeps the original allocation when the device comes back.
#
# The gateway is YOUR build: the task runs the binary its artifact unpacks into local/. Where it is and its
# SHA-256 are variables without defaults, so Nomad refuses to parse the job until they are given
# ("Unset variable"). edgeops.nomad.deploy_jobs passes them from nomad_deploy_jobs_variables, for example
#   nomad_deploy_jobs_variables:
#     sensor-gateway:
#       sensor_gateway_artifact_url: https://artifacts.example.com/sensor-gateway/1.4.2/sensor-gateway_linux_arm64.tar.gz
#       sensor_gateway_artifact_sha256: <sha256sum of that tarball, from your build or release>
variable "sensor_gateway_artifact_url" {
  type        = string
  description = "URL of the sensor-gateway tarball for linux/arm64 (it holds the sensor-gateway binary)"
}

variable "sensor_gateway_artifact_sha256" {
  type        = string
  description = "SHA-256 of that tarball (64 hex digits), from the build or release that published it"

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.sensor_gateway_artifact_sha256))
    error_message = "The sensor-gateway artifact checksum must be 64 lowercase hex digits (sha256sum)."
  }
}

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

      # The binary the artifact below unpacks (a path relative to the task directory), not one on the host.
      config {
        command = "local/sensor-gateway"
        args    = ["--listen", "127.0.0.1:9100", "--bus", "/dev/i2c-1"]
      }

      artifact {
        source      = var.sensor_gateway_artifact_url
        destination = "local/"
        options {
          checksum = "sha256:${var.sensor_gateway_artifact_sha256}"
        }
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
