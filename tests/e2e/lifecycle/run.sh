#!/usr/bin/env bash
# Edge fleets over time, on the demo's real containers and the Nomad API double's clock (after tests/e2e/demo/run.sh).
# Each scenario asserts from state: Nomad's view through the double (tests/e2e/lifecycle/nomad_view.py), systemd's
# on the hosts. Usage: tests/e2e/lifecycle/run.sh [site|rerun|drain|offline|wayback|all]   (default all, in order)
#   site     edgeops.nomad.site on three fresh hosts (beside the demo's three): every node ready and eligible, under
#            the servers' client_introduction strict (the double follows the servers' ConfigMap)
#   rerun    edgeops.nomad.intro_tokens and edgeops.nomad.edge_clients again on the registered nodes: changed=0,
#            no agent restarted (same MainPID, no new start in the stand-in's log)
#   drain    a configuration change rolled to the 6 hosts, all with drain_on_shutdown: every agent restarted and
#            every node ends ready and eligible, with no drain; a stop still drains, and the role's entry point
#            eligible_after_restart makes that node eligible again
#   offline  site A (3 hosts) cut off the network until the double has them down, Nomad's clock advanced 72 h,
#            reconnected: its nodes ready and eligible again by themselves (no playbook), site B ready throughout
#   wayback  site A cut off again for 30 days, longer than the offline budget: garbage-collected and its identities
#            expired, it does not come back by itself (Nomad 2.0.5); the role's entry point reintroduce (the pull
#            path's way back) with a fresh token brings one host back, ready and eligible
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/../demo/env.sh"
demo_test_init
what="${1:-all}"
site_a=("${DEMO_LIFECYCLE_CONTAINERS[@]}")
site_b=("${DEMO_CONTAINERS[@]}")
all_hosts=("${site_b[@]}" "${site_a[@]}")
csv() { local IFS=,; echo "$*"; }
log() { printf 'lifecycle: %s\n' "$*"; }
fail() { log "FAILED: $*"; agent_journals; exit 1; }
agent_journals() {  # what each stand-in agent said lately (its heartbeats and retries), for the failure's cause
  local h
  for h in "${all_hosts[@]}"; do
    echo "---- $h: journalctl -u nomad (last 15 lines)"
    podman exec "$h" journalctl -u nomad -n 15 --no-pager 2>/dev/null | cut -c1-240 || true
  done
}
view() { "$PY" tests/e2e/lifecycle/nomad_view.py "$@"; }
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_TIMEOUT=60
play() {  # play LABEL ARGS...: one ansible-playbook run on the demo and lifecycle inventories; sets $changed
  local label=$1; shift
  local start; start=$(date +%s)
  if ! ansible-playbook -i inventories/local -i tests/e2e/lifecycle/inventory.yml "$@" > "$out/lifecycle-$label.log" 2>&1; then
    log "$label: ansible-playbook $* FAILED ($out/lifecycle-$label.log):"; tail -n 40 "$out/lifecycle-$label.log"; exit 1
  fi
  changed="$(sed -n '/^PLAY RECAP/,$p' "$out/lifecycle-$label.log" | grep -oE 'changed=[0-9]+' | cut -d= -f2 | awk '{s+=$1} END {print s+0}')"
  log "$label: $* in $(( $(date +%s) - start ))s, changed=$changed"
}
agent_pid() { podman exec "$1" systemctl show nomad --property=MainPID --value; }
agent_starts() { podman exec "$1" sh -c 'grep -c " start " /var/log/nomad-stand-in.log || true'; }
all_active() {
  local h
  for h in "$@"; do
    [ "$(podman exec "$h" systemctl is-active nomad 2>/dev/null || true)" = active ] || fail "systemd: nomad is not active on $h"
  done
}

start_site_a() {
  local name
  for name in "${site_a[@]}"; do
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
    podman run -d --name "$name" --hostname "$name" --network "$DEMO_NETWORK" --label edgeops.demo=1 \
      localhost/edgeops-bookworm-systemd:amd64 >/dev/null
  done
  for name in "${site_a[@]}"; do
    for _ in $(seq 120); do
      case "$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)" in running|degraded) break ;; esac
      sleep 0.5
    done
  done
}

scenario_site() {
  log "site on fresh hosts: ${site_a[*]} (new) beside ${site_b[*]}"
  start_site_a
  view server-config | grep -q '"enforcement": "strict"' || fail "the double does not enforce strict client introduction"
  play site edgeops.nomad.site -e nomad_clients_serial=6
  view wait "$(csv "${all_hosts[@]}")" --status ready --eligible --timeout 90 || fail "not every node is ready and eligible"
  all_active "${all_hosts[@]}"
  for h in "${site_a[@]}"; do
    podman exec "$h" test ! -e /opt/nomad/data/client/intro_token.jwt || fail "$h keeps its introduction token after registering"
  done
  log "site: every node ready and eligible, agents active, introduction tokens removed once registered"
}

scenario_rerun() {
  log "intro_tokens and edge_clients again on registered nodes"
  declare -A pid starts
  local h
  for h in "${all_hosts[@]}"; do pid[$h]="$(agent_pid "$h")"; starts[$h]="$(agent_starts "$h")"; done
  play rerun-intro-tokens edgeops.nomad.intro_tokens
  [ "$changed" = 0 ] || { grep -E '^changed:' "$out/lifecycle-rerun-intro-tokens.log" | head; fail "intro_tokens changed $changed things on registered nodes"; }
  play rerun-edge-clients edgeops.nomad.edge_clients -e nomad_clients_serial=6
  [ "$changed" = 0 ] || { grep -E '^changed:' "$out/lifecycle-rerun-edge-clients.log" | head; fail "edge_clients changed $changed things on registered nodes"; }
  for h in "${all_hosts[@]}"; do
    if [ "$(agent_pid "$h")" != "${pid[$h]}" ] || [ "$(agent_starts "$h")" != "${starts[$h]}" ]; then
      fail "the agent on $h restarted"
    fi
  done
  view wait "$(csv "${all_hosts[@]}")" --status ready --eligible --timeout 30 || fail "a node is not ready and eligible"
  log "rerun: changed=0, no agent restarted, every node ready and eligible"
}

scenario_drain() {
  log "a configuration change rolled to ${#all_hosts[@]} hosts with drain_on_shutdown"
  declare -A pid
  local h
  for h in "${all_hosts[@]}"; do pid[$h]="$(agent_pid "$h")"; done
  play drain-roll edgeops.nomad.edge_clients -e nomad_clients_serial=6 \
    -e '{"nomad_client_meta": {"site": "demo", "rollout": "lifecycle"}}'
  for h in "${all_hosts[@]}"; do
    [ "$(agent_pid "$h")" != "${pid[$h]}" ] || fail "the agent on $h did not restart for its new configuration"
    podman exec "$h" grep -q 'leave_on_terminate = true' /etc/nomad.d/client.hcl || fail "$h has no drain_on_shutdown"
  done
  all_active "${all_hosts[@]}"
  view wait "$(csv "${all_hosts[@]}")" --status ready --eligible --timeout 60 || fail "a node is left ineligible after the roll"
  play drain-roll-back edgeops.nomad.edge_clients -e nomad_clients_serial=6
  view wait "$(csv "${all_hosts[@]}")" --status ready --eligible --timeout 60 || fail "a node is left ineligible after the roll back"
  # a stop still drains (leave_on_terminate, KillSignal=SIGTERM): Nomad keeps the node ineligible once it is back,
  # and the role's entry point eligible_after_restart undoes exactly that
  h="${site_a[0]}"
  podman exec "$h" systemctl stop nomad
  podman exec "$h" systemctl start nomad
  view wait "$h" --status ready --timeout 60 || fail "$h did not come back after its stop"
  view show "$h" | grep -q 'ineligible .*complete' || { view show "$h"; fail "a stop of $h did not drain it (drain_on_shutdown)"; }
  play eligible-after-restart -l "$h" tests/e2e/lifecycle/eligible_after_restart.yml
  view wait "$h" --status ready --eligible --timeout 30 || fail "eligible_after_restart left $h ineligible"
  log "drain: every node eligible after the roll (no drain); a stop drains and eligible_after_restart restores it"
}

scenario_offline() {
  log "site A offline for 3 days: ${site_a[*]}"
  declare -A starts
  local h
  view wait "$(csv "${all_hosts[@]}")" --status ready --eligible --timeout 30 || fail "a node is not ready before the cut"
  for h in "${site_a[@]}"; do starts[$h]="$(agent_starts "$h")"; podman network disconnect "$DEMO_NETWORK" "$h"; done
  view wait "$(csv "${site_a[@]}")" --status down,disconnected --timeout 120 || fail "the double did not see site A go"
  view show "$(csv "${site_b[@]}")"
  view advance 72h --connected "$(csv "${site_b[@]}")" --timeout 120 >/dev/null || fail "site B was not heartbeating"
  log "Nomad's clock advanced 72h"
  view show "$(csv "${site_a[@]}")"
  view wait "$(csv "${site_b[@]}")" --status ready --eligible --timeout 5 || fail "site B (connected) did not stay ready"
  for h in "${site_a[@]}"; do podman network connect "$DEMO_NETWORK" "$h"; done
  view wait "$(csv "${site_a[@]}")" --status ready --eligible --timeout 150 || fail "site A did not come back by itself"
  all_active "${site_a[@]}"
  for h in "${site_a[@]}"; do
    [ "$(agent_starts "$h")" = "${starts[$h]}" ] || fail "the agent on $h was restarted: it must come back by itself"
  done
  log "offline: site A ready and eligible again without a person; site B ready throughout"
}

scenario_wayback() {
  log "site A offline for 30 days (longer than the budget): ${site_a[*]}"
  local h back="${site_a[0]}"
  for h in "${site_a[@]}"; do podman network disconnect "$DEMO_NETWORK" "$h"; done
  view wait "$(csv "${site_a[@]}")" --status down,disconnected --timeout 120 || fail "the double did not see site A go"
  view advance 720h --connected "$(csv "${site_b[@]}")" --timeout 120 >/dev/null || fail "site B was not heartbeating"
  log "Nomad's clock advanced 720h"
  for h in "${site_a[@]}"; do podman network connect "$DEMO_NETWORK" "$h"; done
  if view wait "$(csv "${site_a[@]}")" --status ready --timeout 60 >/dev/null; then
    fail "site A came back after 30 days by itself: the double does not expire identities or collect nodes"
  fi
  view show "$(csv "${site_a[@]}")"
  view wait "$(csv "${site_b[@]}")" --status ready --eligible --timeout 60 || fail "site B (connected) did not stay ready"
  play reintroduce -l "$back,local-apiserver" tests/e2e/lifecycle/reintroduce.yml
  view wait "$back" --status ready --eligible --timeout 90 || fail "reintroduce did not bring $back back"
  podman exec "$back" test ! -e /opt/nomad/data/client/intro_token.jwt || fail "$back keeps its introduction token"
  log "wayback: not back by itself after 30 days; $back back with reintroduce (a fresh token), ready and eligible"
}

case "$what" in
  site) scenario_site ;;
  wayback) scenario_wayback ;;
  rerun) scenario_rerun ;;
  drain) scenario_drain ;;
  offline) scenario_offline ;;
  all) start=$(date +%s); scenario_site; scenario_rerun; scenario_drain; scenario_offline; scenario_wayback
       log "all scenarios passed in $(( $(date +%s) - start ))s" ;;
  *) echo "usage: $0 [site|rerun|drain|offline|wayback|all]" >&2; exit 2 ;;
esac
