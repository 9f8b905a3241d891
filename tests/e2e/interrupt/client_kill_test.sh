#!/usr/bin/env bash
# ansible-playbook killed (SIGKILL to its whole session) in the middle of the client install, then
# re-run, on one demo container converged at the demo's version (after
# tests/e2e/demo/run.sh; part of `make demo-e2e`). The upgrade to UPGRADE_TO (default: the mirror's other
# version) is killed three times:
#   banner    at the task's banner (the action starts: the binary is being sent to the host)
#   module    while the copy module runs on the host (the atomic rename into /usr/local/bin)
#   after     at the next task: the binary is in place, the restart handler never ran
# A watcher reads the binary's checksum on the host all along: it must always be the old or the
# complete new binary (the install is atomic). Then the re-run (timed) must converge: the new binary,
# the agent restarted on it (the stand-in logs its version at each start), changed > 0; a second re-run
# changed=0. Finally the host goes back to the demo's version.
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/../demo/env.sh"
demo_test_init
log() { printf 'client-kill: %s\n' "$*"; }
host="${CLIENT_KILL_HOST:-edgeops-demo-amd64-2}"
to="${UPGRADE_TO:-}"
bin=/usr/local/bin/nomad
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=true ANSIBLE_TIMEOUT=60  # task banners are the kill points
play_args=(-i inventories/local edgeops.nomad.edge_clients -l "$host")

sum_on_host() { podman exec "$host" sh -c "sha256sum $bin 2>/dev/null | cut -d' ' -f1 || true"; }
started_version() {  # the version of the agent's last start (the stand-in's log)
  podman exec "$host" sh -c 'grep " start " /var/log/nomad-stand-in.log | tail -n 1' | sed -n 's/.* version=\([^ ]*\) .*/\1/p'
}
changed() { sed -n '/^PLAY RECAP/,$p' "$1" | grep -F "$host" | grep -oE 'changed=[0-9]+' | cut -d= -f2; }
ok_recap() { sed -n '/^PLAY RECAP/,$p' "$1" | grep -F "$host" | grep -qE 'unreachable=0 +failed=0'; }

old_sum="$(sum_on_host)"
old_version="$(started_version)"
# To the other of the mirror's two versions (a host left at 2.0.6 by an earlier run goes down to 2.0.5).
[ -n "$to" ] || { if [ "$old_version" = 2.0.6 ]; then to=2.0.5; else to=2.0.6; fi; }
mirror_zip() { printf '%s/good/%s/nomad_%s_linux_amd64.zip' "$EDGEOPS_NOMAD_MIRROR_DIR" "$1" "$1"; }
mirror_sum() { unzip -p "$(mirror_zip "$1")" nomad | sha256sum | cut -d' ' -f1; }  # the binary in the mirror's archive
new_sum="$(mirror_sum "$to")"
if [ -z "$old_sum" ] || [ "$old_sum" = "$new_sum" ]; then log "host $host: no old binary, or already at $to"; exit 1; fi
log "$host runs $old_version (binary ${old_sum:0:12}); upgrading to $to (binary ${new_sum:0:12})"

# A module the killed run had started keeps running inside the container: SIGKILL reaches `podman exec` on the
# controller, not the exec session conmon had already set up (as a dropped SSH session may leave a module
# running), and that session may start its process a moment after the kill. Read the host's state only once no
# module has been seen for 3 s in a row. The bracket keeps grep from finding its own arguments.
settle() {
  local start last now
  start=$(date +%s%N); last=$start
  while :; do
    now=$(date +%s%N)
    if podman exec "$host" sh -c 'grep -l "AnsiballZ[_]" /proc/[0-9]*/cmdline >/dev/null 2>&1'; then
      last=$now
    elif [ $(( (now - last) / 1000000 )) -ge 3000 ]; then
      break
    fi
    [ $(( (now - start) / 1000000 )) -lt 30000 ] || { log "a module of the killed run still runs on $host after 30 s"; return 1; }
    sleep 0.1
  done
  [ "$last" = "$start" ] || log "a module the killed run had started ran on $host until $(( (last - start) / 1000000 )) ms after the kill"
}
# The kill point 'module' needs a binary to replace: when the killed run before it still completed the copy
# on the host, the old binary is put back (atomically, from the mirror's archive of the old version).
put_old_binary_back() {
  [ "$(mirror_sum "$old_version")" = "$old_sum" ] \
    || { log "the mirror's $old_version binary is not the host's old binary"; return 1; }
  unzip -p "$(mirror_zip "$old_version")" nomad | podman exec -i "$host" sh -c "cat > $bin.kill-test && chmod 0755 $bin.kill-test && mv -f $bin.kill-test $bin"
  log "the killed run had completed the copy on the host: the old binary is back for the next kill point"
}

# The watcher: every checksum the binary path ever shows during the interrupted runs.
seen="$out/client-kill-sums.txt"; : > "$seen"
( while :; do sum_on_host >> "$seen"; sleep 0.1; done ) &
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true' EXIT

banner='Install | Verified nomad binary (atomic replace)'
for point in banner module after; do
  case "$point" in
    banner) args=("$banner") ;;
    module)
      args=("$banner" "podman exec .*$host .*python3? .*AnsiballZ_copy\.py")
      [ "$(sum_on_host)" = "$old_sum" ] || put_old_binary_back ;;
    after) args=("Configure | Directories") ;;
  esac
  if ! "$PY" tests/e2e/interrupt/kill_at.py "$out/client-kill-$point.log" "${args[@]}" -- \
       ansible-playbook "${play_args[@]}" -e "nomad_client_version=$to" | sed "s/^/client-kill: $point: /"; then
    log "the kill point '$point' was not reached; the run's tasks from the compare step on:"
    sed -n '/Compare | What differs/,$p' "$out/client-kill-$point.log" | grep -E '^(TASK|changed|ok|fatal)' | sed 's/^/    /'
    exit 1
  fi
  settle
  now="$(sum_on_host)"
  case "$now" in
    "$old_sum") state=old ;; "$new_sum") state="new (complete)" ;; "") state=absent ;; *) state=PARTIAL ;;
  esac
  log "after the kill at '$point': binary is $state; agent last started as $(started_version)"
  [ "$state" != PARTIAL ]
done
kill "$watcher" 2>/dev/null || true
bad="$(sort -u "$seen" | grep -vxF -e "$old_sum" -e "$new_sum" -e '' || true)"
log "$(wc -l < "$seen") checksum reads during the killed runs: $(sort -u "$seen" | grep -c . || true) distinct values"
[ -z "$bad" ] || { log "NOT ATOMIC: the binary path showed another content: $bad"; exit 1; }
leftover="$(podman exec "$host" sh -c "ls -a $(dirname "$bin") | grep -v -x -e . -e .. -e nomad || true")"
[ -z "$leftover" ] || log "left in $(dirname "$bin") by the killed runs (never executed): $leftover"

start=$(date +%s.%N)
ansible-playbook "${play_args[@]}" -e "nomad_client_version=$to" > "$out/client-kill-rerun.log" 2>&1 || true
took="$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")"
ok_recap "$out/client-kill-rerun.log" || { log "re-run FAILED"; tail -n 30 "$out/client-kill-rerun.log"; exit 1; }
rerun_changed="$(changed "$out/client-kill-rerun.log")"
log "re-run converged in ${took}s, changed=$rerun_changed: $(grep -E '^(changed|RUNNING HANDLER)' "$out/client-kill-rerun.log" | tr '\n' ' ' | cut -c1-300)"
[ "$(sum_on_host)" = "$new_sum" ] || { log "re-run: the binary is not the new one"; exit 1; }
running="$(started_version)"
[ "$running" = "$to" ] || { log "NOT CONVERGED: the agent still runs $running (the restart was lost with the killed run)"; exit 1; }
[ "$rerun_changed" -gt 0 ] || { log "re-run reported changed=0 while the agent needed a restart"; exit 1; }

ansible-playbook "${play_args[@]}" -e "nomad_client_version=$to" > "$out/client-kill-rerun2.log" 2>&1 || true
if ! ok_recap "$out/client-kill-rerun2.log" || [ "$(changed "$out/client-kill-rerun2.log")" != 0 ]; then
  log "second re-run is not changed=0:"; grep -E '^changed' "$out/client-kill-rerun2.log"; exit 1
fi
log "second re-run: changed=0"

ansible-playbook "${play_args[@]}" > "$out/client-kill-restore.log" 2>&1 || { log "restore FAILED"; exit 1; }
log "ok: the binary was always the old or the complete new one; the re-run converged in ${took}s; back at the demo's $(started_version)"
