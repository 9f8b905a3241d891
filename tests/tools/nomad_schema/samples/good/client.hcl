# A Linux edge client as the nomad_client role renders it.
data_dir  = "/opt/nomad/data"
log_level = "INFO"
region    = "global"

client {
  enabled   = true
  node_pool = "edge"
  servers   = ["10.0.0.10:4647"]
  meta = {
    "edge.site" = "plant-7"
  }

  host_volume "data" {
    path      = "/srv/nomad/data"
    read_only = false
  }
}

tls {
  http = true
  rpc  = true
}
