# Uses the group fields deprecated in 1.8 and ignored since 1.10 (expected: 2 errors).
job "legacy" {
  group "g" {
    max_client_disconnect = "1h"
    prevent_reschedule_on_lost = true

    task "t" {
      driver = "exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
