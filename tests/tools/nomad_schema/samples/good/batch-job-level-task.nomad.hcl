variable "image" {
  type    = string
  default = "redis:7"
}

locals {
  port = 6379
}

job "solo" {
  type = "batch"

  vault {
    role = "app"
  }

  task "once" {
    driver = "docker"

    config {
      image = var.image
      port  = local.port
    }

    template {
      destination = "local/app.env"
      env         = true
      data        = <<EOT
FOO={{ key "foo" }}
PATH=${NOMAD_TASK_DIR}/bin
EOT
    }

    dynamic "artifact" {
      for_each = ["a", "b"]
      content {
        source = "https://example.test/${artifact.value}"
      }
    }
  }
}
