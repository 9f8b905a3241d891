#!/usr/bin/env bash
# Run the demo playbooks against what tests/e2e/demo/up.sh brought up, exactly as an operator would:
#   ansible-playbook -i inventories/local edgeops.nomad.site
#   ansible-playbook -i inventories/local edgeops.nomad.deploy_jobs
# Usage: tests/e2e/demo/run.sh LABEL [--expect-unchanged]
# Logs go to demo-output/LABEL-*.log; with --expect-unchanged every host must report changed=0.
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
demo_test_init
label="${1:?usage: $0 LABEL [--expect-unchanged]}"
expect_unchanged="${2:-}"
# The fleet report's callback records every run (its recap of each step: demo-output/LABEL-STEP-recap.json, read by
# tests/e2e/demo/report.sh).
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks,edgeops.nomad.fleet_recap ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_TIMEOUT=60
status=0
for step in "site:edgeops.nomad.site -e nomad_clients_serial=3" "jobs:edgeops.nomad.deploy_jobs"; do
  name="${step%%:*}"; args="${step#*:}"
  log="$out/$label-$name.log"
  start=$(date +%s)
  # shellcheck disable=SC2086  # args holds the playbook name and extra options
  if ! EDGEOPS_FLEET_RECAP_FILE="$out/$label-$name-recap.json" ansible-playbook -i inventories/local $args > "$log" 2>&1; then
    echo "demo: ansible-playbook $args FAILED ($log):"; tail -n 40 "$log"; exit 1
  fi
  recap="$(sed -n '/^PLAY RECAP/,$p' "$log" | grep -E 'ok=' || true)"
  changed="$(grep -oE 'changed=[0-9]+' <<<"$recap" | cut -d= -f2 | awk '{s+=$1} END {print s+0}')"
  printf 'demo: %-6s %-30s %4ss  changed=%s\n' "$label" "${args%% *}" "$(( $(date +%s) - start ))" "${changed:-?}"
  while IFS= read -r line; do printf '        %s\n' "$line"; done <<<"$recap"
  if [ "$expect_unchanged" = --expect-unchanged ] && [ "${changed:-1}" != 0 ]; then
    echo "demo: NOT IDEMPOTENT: $args changed $changed things on the second run ($log):"
    grep -E '^changed:' "$log" | head -20
    status=1
  fi
done
exit "$status"
