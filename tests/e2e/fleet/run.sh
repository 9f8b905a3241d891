#!/usr/bin/env bash
# Fleet scenario: edgeops.nomad.edge_clients in serial batches on 6 amd64 systemd containers,
# then edgeops.nomad.upgrade_clients on 3 of them with serial 1. Run inside tests/tools/stand_in_nomad/with_mirror.sh
# (the stand-in Nomad release mirror, a TEST DOUBLE); the Nomad API double serves the drain/eligible calls.
#   1. all 6 up, default serial (25 % -> 6 batches) and threshold: rc 0, every host converged, several
#      batches, SHA256SUMS + signature and the linux_amd64 archive fetched from the mirror once per run
#   2. host 3 stopped (dead host), nomad_clients_max_fail_percentage=20: the 5 others converge (changed=0),
#      the summary names host 3 as unreachable, rc != 0
#   3. hosts 2 and 3 stopped, default threshold 10 %: the rollout stops after host 2's batch and names
#      host 2 (left behind) and hosts 3..6 (not attempted); hosts 4..6 are not touched
#   4. upgrade_clients on hosts 1..3 (serial 1) to 2.0.6: each drained, upgraded, eligible; hosts 4..6 keep 2.0.5
#   5. job slices on one controller: every host loses its agent, then three edge_clients runs start at once on
#      hosts 1-2, 3-4 and 5-6 with one empty controller cache: each rc 0, every host converged, no temporary file
#      left in the cache; the same three at once again: changed=0 everywhere
# Usage: tests/tools/stand_in_nomad/with_mirror.sh tests/e2e/fleet/run.sh   (make molecule-fleet)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
: "${EDGEOPS_NOMAD_MIRROR_URL:?run me through tests/tools/stand_in_nomad/with_mirror.sh}"
state="$root/.cache/fleet"; out="$state/logs"
network=edgeops-fleet
hosts=(edgeops-fleet-1 edgeops-fleet-2 edgeops-fleet-3 edgeops-fleet-4 edgeops-fleet-5 edgeops-fleet-6)
mirror_log="${EDGEOPS_NOMAD_MIRROR_LOG:-$root/.cache/nomad-client/mirror.log}"
log() { printf 'fleet: %s\n' "$*"; }
fail() { printf 'fleet: FAILED: %s\n' "$*" >&2; exit 1; }
mkdir -p "$out"

image="$(bash tests/tools/edge_images/build.sh amd64)"
cleanup() {
  podman rm -f -t 0 "${hosts[@]}" >/dev/null 2>&1 || true
  if [ -n "${double_pid:-}" ]; then kill "$double_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
cleanup
podman network exists "$network" || podman network create "$network" >/dev/null
for h in "${hosts[@]}"; do
  podman run -d --name "$h" --hostname "$h" --network "$network" --arch amd64 --label edgeops.fleet=1 "$image" >/dev/null
done
wait_boot() {
  local s
  for _ in $(seq 240); do
    s="$(podman exec "$1" systemctl is-system-running 2>/dev/null || true)"
    case "$s" in running|degraded) return 0 ;; esac
    sleep 0.5
  done
  fail "$1 did not boot"
}
for h in "${hosts[@]}"; do wait_boot "$h"; done

# TEST DOUBLE: the Nomad API double (no ACLs) for upgrade_clients' drain and eligibility calls.
rm -f "$state/double.url"
.venv/bin/python -m tests.tools.nomad_api_double --nodes 6 --url-file "$state/double.url" > "$state/double.log" 2>&1 &
double_pid=$!
for _ in $(seq 50); do [ -s "$state/double.url" ] && break; sleep 0.1; done
NOMAD_ADDR="$(cat "$state/double.url")"; export NOMAD_ADDR
mapfile -t nodes < <(curl -fsS "$NOMAD_ADDR/v1/nodes" | .venv/bin/python -c \
  'import json,sys; print("\n".join(sorted(n["Name"] for n in json.load(sys.stdin) if n["Status"] == "ready")))')

inv="$state/hosts.yml"
{
  echo "all:"
  echo "  children:"
  echo "    nomad_clients:"
  echo "      hosts:"
  i=0
  for h in "${hosts[@]}"; do echo "        $h: {nomad_client_node_name: ${nodes[$i]}}"; i=$((i + 1)); done
  cat <<YAML
      vars:
        ansible_connection: containers.podman.podman
        ansible_python_interpreter: /usr/bin/python3
        nomad_client_download_base_url: "$EDGEOPS_NOMAD_MIRROR_URL/good"
        nomad_client_gpg_key: "{{ lookup('ansible.builtin.file', '$EDGEOPS_NOMAD_MIRROR_DIR/key.asc') }}"
        nomad_client_gpg_fingerprint: "{{ lookup('ansible.builtin.file', '$EDGEOPS_NOMAD_MIRROR_DIR/fingerprint') }}"
        nomad_client_controller_cache_dir: "$EDGEOPS_NOMAD_CACHE_DIR"
        nomad_client_region: edge
        nomad_client_datacenter: site-1
        nomad_client_servers: [nomad-lb.example.test:4647]
        nomad_client_node_pool: edge-x86
        nomad_client_insecure_disable_tls: true   # batching is under test here, not TLS (molecule/nomad_client)
        nomad_acl_bootstrap_store: none   # the API double runs without ACLs: no token to look up
YAML
} > "$inv"

requests() { grep -c "\"GET /good/$1 HTTP" "$mirror_log" || true; }
play() {  # play NAME EXPECTED_RC ARGS...  (EXPECTED_RC: 0 or nonzero)
  local name=$1 want=$2 rc=0 start; shift 2
  start=$(date +%s)
  ANSIBLE_TIMEOUT=30 ansible-playbook -i "$inv" "$@" > "$out/$name.log" 2>&1 || rc=$?
  if { [ "$want" = 0 ] && [ "$rc" != 0 ]; } || { [ "$want" != 0 ] && [ "$rc" = 0 ]; }; then
    tail -n 40 "$out/$name.log"; fail "$name: rc $rc, want $want"
  fi
  log "$name: rc $rc in $(( $(date +%s) - start )) s"
}
recap() { grep -E "^$1 +:" "$out/$2.log" | tail -n1; }
converged() {  # converged HOST VERSION
  [ "$(podman exec "$1" /usr/local/bin/nomad version 2>/dev/null | head -n1)" = "Nomad v$2" ] || fail "$1 does not run Nomad v$2"
  [ "$(podman exec "$1" systemctl is-active nomad 2>/dev/null)" = active ] || fail "$1: nomad is not active"
}
expect() { grep -qF -- "$2" "$out/$1.log" || fail "$1: no '$2' in the output"; }

# 1. All six, default serial and threshold.
sums0=$(requests 2.0.5/nomad_2.0.5_SHA256SUMS); sigs0=$(requests 2.0.5/nomad_2.0.5_SHA256SUMS.sig); zips0=$(requests 2.0.5/nomad_2.0.5_linux_amd64.zip)
play converge 0 edgeops.nomad.edge_clients
batches=$(grep -c '^PLAY \[Configure Nomad edge clients\]' "$out/converge.log")
[ "$batches" -ge 2 ] || fail "converge ran in $batches batch(es), want several"
for h in "${hosts[@]}"; do converged "$h" 2.0.5; done
sums=$(( $(requests 2.0.5/nomad_2.0.5_SHA256SUMS) - sums0 )); sigs=$(( $(requests 2.0.5/nomad_2.0.5_SHA256SUMS.sig) - sigs0 ))
zips=$(( $(requests 2.0.5/nomad_2.0.5_linux_amd64.zip) - zips0 ))
[ "$sums" = 1 ] || fail "SHA256SUMS requested $sums times in one run, want once"
[ "$sigs" = 1 ] || fail "SHA256SUMS.sig requested $sigs times, want once"
[ "$zips" = 1 ] || fail "linux_amd64 archive requested $zips times in one run, want once"
expect converge "6 of 6 hosts converged"
log "1. 6 hosts converged in $batches batches; SHA256SUMS + signature and the archive fetched once"

# 2. Dead host: the others converge, the summary names it. It loses its agent first (binary and
# configuration gone), so that step 3b shows a re-run converges a host that really needs it.
podman exec "${hosts[2]}" rm -f /usr/local/bin/nomad /etc/nomad.d/client.hcl
podman stop -t 5 "${hosts[2]}" >/dev/null
play dead-host 1 edgeops.nomad.edge_clients -e nomad_clients_max_fail_percentage=20
for h in 0 1 3 4 5; do
  converged "${hosts[$h]}" 2.0.5
  recap "${hosts[$h]}" dead-host | grep -q 'changed=0 .*failed=0' || fail "${hosts[$h]}: $(recap "${hosts[$h]}" dead-host)"
done
expect dead-host "left behind: ${hosts[2]} -- unreachable"
expect dead-host "5 of 6 hosts converged"
log "2. dead host ${hosts[2]}: the 5 others converged (changed=0), the summary names it"

# 3. Past the threshold: the rollout stops and says who was left behind and who was not attempted.
podman stop -t 5 "${hosts[1]}" >/dev/null
play threshold 1 edgeops.nomad.edge_clients
expect threshold "Rollout stopped: 1 of 6 hosts left behind, more than 10.0 %"
expect threshold "Left behind: ${hosts[1]}: unreachable"
expect threshold "Not attempted: ${hosts[2]}, ${hosts[3]}, ${hosts[4]}, ${hosts[5]}"
for h in 3 4 5; do
  if grep -qE "^(ok|changed|fatal|skipping): \[${hosts[$h]}" "$out/threshold.log"; then fail "${hosts[$h]} was touched after the stop"; fi
done
log "3. threshold: stopped after ${hosts[1]}, hosts 3..6 not attempted"

# 3b. The hosts are back: a re-run converges them (the one without an agent gets it again, with its
# tasks reported changed) and leaves the others as they are.
podman start "${hosts[1]}" "${hosts[2]}" >/dev/null
wait_boot "${hosts[1]}"; wait_boot "${hosts[2]}"
play back 0 edgeops.nomad.edge_clients
for h in "${hosts[@]}"; do converged "$h" 2.0.5; done
recap "${hosts[2]}" back | grep -qE 'changed=[1-9][0-9]* .*failed=0' || fail "${hosts[2]}: $(recap "${hosts[2]}" back)"
for h in 0 1 3 4 5; do
  recap "${hosts[$h]}" back | grep -q 'changed=0 .*failed=0' || fail "${hosts[$h]}: $(recap "${hosts[$h]}" back)"
done
expect back "6 of 6 hosts converged"
log "3b. hosts back: ${hosts[2]} converged again (changed), the others changed=0, 6 of 6 converged"

# 4. upgrade_clients over three hosts, one at a time.
# The double's nodes are not the containers' agents: once a container runs 2.0.6, report that version for
# its node as the agent would (upgrade_clients waits for Nomad to show the target nomad.version).
rm -f "$state"/reported-*
( for _ in $(seq 900); do
    for i in 0 1 2; do
      [ -e "$state/reported-$i" ] && continue
      if podman exec "${hosts[$i]}" /usr/local/bin/nomad version 2>/dev/null | grep -qx 'Nomad v2.0.6'; then
        curl -fsS -o /dev/null -X POST -d "{\"name\": \"${nodes[$i]}\", \"attributes\": {\"nomad.version\": \"2.0.6\"}}" \
          "$NOMAD_ADDR/_double/node-attributes" && touch "$state/reported-$i"
      fi
    done
    sleep 2
  done ) &
reporter=$!
play upgrade 0 edgeops.nomad.upgrade_clients -l "${hosts[0]},${hosts[1]},${hosts[2]}" -e nomad_client_version=2.0.6 \
  -e nomad_upgrade_clients_drain_deadline=5m -e nomad_upgrade_clients_ready_delay=3
kill "$reporter" 2>/dev/null || true
ubatches=$(grep -c '^PLAY \[Upgrade Nomad edge clients batch by batch\]' "$out/upgrade.log")
[ "$ubatches" = 3 ] || fail "upgrade ran in $ubatches batches, want 3 (serial 1)"
for h in 0 1 2; do converged "${hosts[$h]}" 2.0.6; done
for h in 3 4 5; do converged "${hosts[$h]}" 2.0.5; done
for n in 0 1 2; do
  s="$(curl -fsS "$NOMAD_ADDR/v1/nodes" | .venv/bin/python -c "import json,sys; n=[x for x in json.load(sys.stdin) if x['Name']=='${nodes[$n]}'][0]; print(n['SchedulingEligibility'], n['Drain'])")"
  [ "$s" = "eligible False" ] || fail "node ${nodes[$n]} after the upgrade: $s"
done
log "4. upgrade_clients: ${hosts[0]}..${hosts[2]} upgraded one at a time (3 batches), eligible again"

# 5. Job slices (AAP job slicing on one execution node): three runs of the same playbook at once on disjoint parts
# of the inventory, sharing the controller's release cache, empty at the start: each slice fetches and verifies.
slice_cache="$state/slice-cache"; rm -rf "$slice_cache"
for h in "${hosts[@]}"; do podman exec "$h" rm -f /usr/local/bin/nomad /etc/nomad.d/client.hcl; done
slices() {  # slices NAME: edge_clients on hosts 1-2, 3-4 and 5-6 at once; logs NAME-0, NAME-2, NAME-4
  local pids=() i rc start
  start=$(date +%s)
  for i in 0 2 4; do
    # A slice's inventory holds its hosts and the controller (AAP slices the inventory; localhost stays, so the
    # summary play on it runs in every slice): the limit names both.
    ANSIBLE_TIMEOUT=30 ansible-playbook -i "$inv" edgeops.nomad.edge_clients -l "${hosts[$i]},${hosts[$((i + 1))]},localhost" \
      -e nomad_client_version=2.0.5 -e "nomad_client_controller_cache_dir=$slice_cache" > "$out/$1-$i.log" 2>&1 &
    pids+=("$!")
  done
  for i in 0 1 2; do
    rc=0; wait "${pids[$i]}" || rc=$?
    [ "$rc" = 0 ] || { tail -n 40 "$out/$1-$((i * 2)).log"; fail "$1: the slice of ${hosts[$((i * 2))]}: rc $rc"; }
  done
  log "$1: three slices at once, rc 0 in $(( $(date +%s) - start )) s"
}
slices slices
for h in "${hosts[@]}"; do converged "$h" 2.0.5; done
for i in 0 2 4; do expect "slices-$i" "2 of 2 hosts converged"; done
left="$(find "$slice_cache" -name '*.tmp-*' | head -n 5)"
[ -z "$left" ] || fail "temporary files left in the controller cache: $left"
slices slices-again
for i in 0 2 4; do
  for h in "$i" "$((i + 1))"; do
    recap "${hosts[$h]}" "slices-again-$i" | grep -q 'changed=0 .*failed=0' || fail "${hosts[$h]}: $(recap "${hosts[$h]}" "slices-again-$i")"
  done
done
log "5. three edge_clients slices at once on one empty cache: every host converged, again changed=0"
log "all fleet checks passed"
