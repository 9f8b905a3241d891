#!/usr/bin/env bash
# Issue 14 sections 2 and 3 on the running demo (tests/e2e/demo/up.sh and one converging run first); called
# by `make demo-e2e` after the day-2 test:
#   tests/e2e/secrets/apply_test.sh               secrets in apply mode (-vvv --diff output and process list)
#   tests/e2e/interrupt/apiserver_restart_test.sh the API server restarted during the control-plane apply
#   tests/e2e/interrupt/client_kill_test.sh       ansible-playbook killed during the client install
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$(date +%s)
SECRETS_TEST_KEEP=1 bash "$here/apply_test.sh"
bash "$here/../interrupt/apiserver_restart_test.sh"
bash "$here/../interrupt/client_kill_test.sh"
echo "secrets and interruption tests: ok in $(( $(date +%s) - start ))s"
