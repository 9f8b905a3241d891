# Bad agent config (expected: unknown key, relative data_dir, node pool "all", string port).
data_dir = "opt/nomad"

client {
  enabled   = true
  node_pool = "all"
  servrs    = ["10.0.0.10:4647"]
}

ports {
  http = "4646"
}
