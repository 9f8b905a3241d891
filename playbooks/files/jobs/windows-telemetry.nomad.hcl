# Edge job: telemetry on Windows edge hosts: a raw binary (raw_exec) next to a Java bridge (java driver).
# raw_exec and java must be enabled on those clients (nomad_client_driver_raw_exec / _java).
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
        source      = "https://artifacts.example.com/opcua-bridge/2.1.0/opcua-bridge.jar"
        destination = "local/"
        options {
          checksum = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
        }
      }

      resources {
        cpu    = 300
        memory = 384
      }
    }
  }
}
