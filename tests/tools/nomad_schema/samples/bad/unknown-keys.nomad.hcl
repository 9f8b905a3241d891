# Typos Nomad's HCL2 parser rejects (expected: Unsupported argument / block type).
job "typo" {
  datacenter = ["dc1"]
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image = "busybox"
      }
      resource {
        cpu = 100
      }
    }
  }
}
