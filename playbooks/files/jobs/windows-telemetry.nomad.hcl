# Edge job: telemetry on Windows edge hosts: a raw binary (raw_exec) next to a Java bridge (java driver).
# raw_exec and java must be enabled on those clients (nomad_client_driver_raw_exec / _java). The exporter is
# installed on the hosts (C:\Program Files\EdgeOps\telemetry); the bridge is YOUR build, downloaded as an
# artifact whose URL and SHA-256 are variables without defaults: Nomad refuses to parse the job until they are
# given ("Unset variable"). edgeops.nomad.deploy_jobs passes them from nomad_deploy_jobs_variables, for example
#   nomad_deploy_jobs_variables:
#     windows-telemetry:
#       opcua_bridge_artifact_url: https://artifacts.example.com/opcua-bridge/2.1.0/opcua-bridge.jar
#       opcua_bridge_artifact_sha256: <sha256sum of that jar, from your build or release>
variable "opcua_bridge_artifact_url" {
  type        = string
  description = "URL of the opcua-bridge.jar the java task runs"
}

variable "opcua_bridge_artifact_sha256" {
  type        = string
  description = "SHA-256 of that jar (64 hex digits), from the build or release that published it"

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.opcua_bridge_artifact_sha256))
    error_message = "The opcua-bridge artifact checksum must be 64 lowercase hex digits (sha256sum)."
  }
}

job "windows-telemetry" {
  type        = "service"
  node_pool   = "edge-windows"
  datacenters = ["*"]

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "windows"
  }

  constraint {
    attribute = "${attr.cpu.arch}"
    value     = "amd64"
  }

  group "telemetry" {
    count = 1

    disconnect {
      lost_after = "2h"
      replace    = true
      reconcile  = "longest_running"
    }

    task "exporter" {
      driver = "raw_exec"

      config {
        command = "C:\\Program Files\\EdgeOps\\telemetry\\exporter.exe"
        args    = ["--config", "${NOMAD_TASK_DIR}\\exporter.toml"]
      }

      template {
        destination = "local/exporter.toml"
        data        = <<-EOT
          listen = "127.0.0.1:9182"
          site   = "{{ env "node.datacenter" }}"
        EOT
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }

    task "opcua-bridge" {
      driver = "java"

      config {
        jar_path    = "local/opcua-bridge.jar"
        jvm_options = ["-Xmx256m", "-Xms64m"]
        args        = ["--endpoint", "opc.tcp://127.0.0.1:4840"]
      }

      artifact {
        source      = var.opcua_bridge_artifact_url
        destination = "local/"
        options {
          checksum = "sha256:${var.opcua_bridge_artifact_sha256}"
        }
      }

      resources {
        cpu    = 300
        memory = 384
      }
    }
  }
}
