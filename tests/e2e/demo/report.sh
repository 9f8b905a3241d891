#!/usr/bin/env bash
# The last step of `make demo`: the fleet report of the demo's rollout (edgeops.nomad.site in tests/e2e/demo/run.sh,
# whose recap the callback edgeops.nomad.fleet_recap wrote to demo-output/run-site-recap.json), made after the
# run with the playbook edgeops.nomad.fleet_report, Nomad's view read now from the API double:
#   demo-output/fleet-report/fleet-report.html (open it in a browser) and fleet-report.json
# The containers' stand-in agents register their nodes with the API double themselves; the report waits until
# Nomad has every demo node ready (tests/e2e/lifecycle/nomad_view.py).
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
demo_test_init
recap="$out/${1:-run}-site-recap.json"
[ -s "$recap" ] || { echo "demo-report: no recap $recap: run make demo (or tests/e2e/demo/run.sh ${1:-run}) first"; exit 1; }
"$PY" tests/e2e/lifecycle/nomad_view.py wait "$(IFS=,; echo "${DEMO_CONTAINERS[*]}")" --status ready --timeout 120 >/dev/null \
  || echo "demo-report: not every demo node is ready in Nomad: the report shows it"
if ! ansible-playbook -i inventories/local edgeops.nomad.fleet_report -e "nomad_fleet_report_recap_file=$recap" \
     -e "nomad_fleet_report_dir=$out/fleet-report" > "$out/fleet-report.log" 2>&1; then
  echo "demo-report: edgeops.nomad.fleet_report FAILED ($out/fleet-report.log):"; tail -n 30 "$out/fleet-report.log"; exit 1
fi
echo "demo-report: $(grep -o 'Fleet report: [^"]*' "$out/fleet-report.log" | head -n1)"
