# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Under mutual TLS the readiness probe is an exec of the rendered command, and it
must fail on a non-2xx answer and on a body that is not healthy.

Nomad's rules (v2.0.5):
- `nomad operator api PATH` copies the body to stdout and returns 0 whatever the HTTP status
  (command/operator_api.go, OperatorAPICommand.Run); `-verbose` writes "< HTTP/1.1 <status>" to stderr.
- /v1/agent/health?type=server answers 200 {"server":{"ok":true,"message":"ok"}} or
  500 {"server":{"ok":false,"message":"no leader"}} (command/agent/agent_endpoint.go, HealthRequest).

The test runs the rendered command under /bin/sh with a stand-in `nomad` that behaves like that
command (body on stdout, status line on stderr only with -verbose, exit 0 on every HTTP answer).
"""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from _server_render import MTLS, container, one, render

FAKE_NOMAD = r"""#!/bin/sh
# Stand-in for `nomad operator api` (see the module docstring): exit 0 on every HTTP answer.
[ "$1 $2" = "operator api" ] || { echo "unexpected: $*" >&2; exit 2; }
case " $* " in *" -X GET "*|*" -X=GET "*) ;; *) [ -c /dev/stdin ] || echo "stdin is not a character device and no -X GET: Nomad would POST" >&2 ;; esac
case " $* " in *" -verbose "*) printf '< HTTP/1.1 %s\n< Content-Type: application/json\n' "$FAKE_STATUS" >&2 ;; esac
printf '%s' "$FAKE_BODY"
exit 0
"""

HEALTHY = '{"server":{"ok":true,"message":"ok"}}'
NO_LEADER = '{"server":{"ok":false,"message":"no leader"}}'

# (status line, body, probe must succeed)
ANSWERS = {
    "healthy": ("200 OK", HEALTHY, True),
    "no_leader_500": ("500 Internal Server Error", NO_LEADER, False),
    "permission_denied_403": ("403 Forbidden", "Permission denied", False),
    "ok_body_but_error_status": ("503 Service Unavailable", HEALTHY, False),
    "2xx_but_unhealthy_body": ("200 OK", NO_LEADER, False),
    "2xx_empty_body": ("200 OK", "", False),
}


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    rendered = render(tmp_path_factory.mktemp("readiness"), {"mtls": MTLS})["mtls"]
    sts = one(rendered, "StatefulSet")
    return container(sts["spec"]["template"]["spec"], "nomad")["readinessProbe"]


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_exec_probe_follows_status_and_body(probe, tmp_path, answer):
    status, body, expect_ok = ANSWERS[answer]
    assert "exec" in probe, probe
    fake = tmp_path / "nomad"
    fake.write_text(FAKE_NOMAD, encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = {"PATH": "%s:/usr/bin:/bin" % tmp_path, "FAKE_STATUS": status, "FAKE_BODY": body}
    # Nomad POSTs when stdin is not a character device (OperatorAPICommand.Run); give it /dev/null.
    with open(os.devnull, "rb") as devnull:
        proc = subprocess.run(probe["exec"]["command"], env=env, stdin=devnull, capture_output=True,
                              text=True, timeout=30, check=False)
    assert "Nomad would POST" not in proc.stderr, proc.stderr
    assert (proc.returncode == 0) is expect_ok, (answer, proc.returncode, proc.stdout, proc.stderr)


def test_exec_probe_runs_under_sh(probe):
    # The image has busybox sh and grep, no bash and no curl.
    assert probe["exec"]["command"][:2] == ["/bin/sh", "-c"], probe
