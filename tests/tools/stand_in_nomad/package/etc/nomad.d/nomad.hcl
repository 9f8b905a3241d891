# TEST DOUBLE: the configuration file of the stand-in nomad package (tests/tools/stand_in_nomad/build_apt_repo.sh).
# It carries what HashiCorp's package ships in /etc/nomad.d/nomad.hcl (.release/linux/package/ in
# hashicorp/nomad v2.0.5): one agent that is a server expecting itself alone, and a client of 127.0.0.1.
# An agent started with -config=/etc/nomad.d merges this file with every other .hcl/.json file there.
data_dir  = "/opt/nomad/data"
bind_addr = "0.0.0.0"

server {
  enabled          = true
  bootstrap_expect = 1
}

client {
  enabled = true
  servers = ["127.0.0.1"]
}
