#!/usr/bin/env bash
# Test of the pull path (edgeops.nomad.edge_client_local): a fresh amd64 container on the demo
# network runs the playbook against itself (connection: local, settings from a local vars file),
# twice (second run changed=0), and must end up configured like the pushed client
# edgeops-demo-amd64-1: same client.hcl (except the node name), same systemd unit, same binary,
# same host volume directory, service active.
# Needs tests/e2e/demo/up.sh and a pushed run (tests/e2e/demo/run.sh) first.
# The device's Ansible: the controller's ansible-core and collections, mounted read-only (a real
# device installs ansible-core itself); gpg and unzip are baked into a derived image (cached).
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$DEMO_ROOT"
demo_load_env
log() { printf 'pull-test: %s\n' "$*"; }
pushed=edgeops-demo-amd64-1
name="$DEMO_PULL_CONTAINER"

recipe="gpg unzip v1"
if ! podman image exists "$DEMO_PULL_IMAGE" ||
   [ "$(podman image inspect --format '{{ index .Labels "edgeops.recipe" }}' "$DEMO_PULL_IMAGE")" != "$recipe" ]; then
  log "building $DEMO_PULL_IMAGE (base image + gpg, unzip)"
  podman rm -f -t 0 "$name-build" >/dev/null 2>&1 || true
  podman run --name "$name-build" --network "$DEMO_NETWORK" localhost/edgeops-bookworm-systemd:amd64 /bin/sh -c \
    'apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends gpg gpg-agent unzip >/dev/null && rm -rf /var/lib/apt/lists/*'
  podman commit -q --change 'CMD ["/sbin/init"]' --change "LABEL edgeops.recipe=$recipe" "$name-build" "$DEMO_PULL_IMAGE" >/dev/null
  podman rm -f -t 0 "$name-build" >/dev/null
fi

podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
podman run -d --name "$name" --hostname "$name" --network "$DEMO_NETWORK" --label edgeops.demo=1 \
  -v "$DEMO_ROOT:$DEMO_ROOT:ro" "$DEMO_PULL_IMAGE" >/dev/null
for _ in $(seq 120); do
  case "$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)" in running|degraded) break ;; esac
  sleep 0.5
done

# The device's local settings: what the local inventory gives the pushed amd64 client.
vars="$DEMO_STATE/pull-vars.yml"
ansible -i inventories/local "$pushed" -m ansible.builtin.copy \
  -e ansible_connection=local -e "ansible_python_interpreter=$DEMO_ROOT/.venv/bin/python" -a "dest=$vars mode=0600 content={{ dict(q('ansible.builtin.varnames', '^nomad_client_') | zip(q('ansible.builtin.vars', *q('ansible.builtin.varnames', '^nomad_client_')))) | combine({'nomad_client_node_name': '$name', 'nomad_client_controller_cache_dir': '/root/.cache/edgeops.nomad/artifacts'}) | to_nice_yaml }}" >/dev/null
podman exec "$name" mkdir -p /etc/edgeops
podman cp "$vars" "$name:/etc/edgeops/nomad-client.yml"
podman exec "$name" chmod 0600 /etc/edgeops/nomad-client.yml

site="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
run_pull() {
  podman exec -e PYTHONPATH="$site" -e PYTHONDONTWRITEBYTECODE=1 -e ANSIBLE_COLLECTIONS_PATH="$DEMO_ROOT/.cache/collections" \
    -e ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false -e ANSIBLE_NOCOLOR=1 -e ANSIBLE_FORCE_COLOR=0 "$name" \
    python3 -m ansible.cli.playbook -i localhost, edgeops.nomad.edge_client_local \
      -e nomad_edge_local_vars_file=/etc/edgeops/nomad-client.yml
}
out="$DEMO_ROOT/demo-output"; mkdir -p "$out"
for pass in 1 2; do
  start=$(date +%s)
  if ! run_pull > "$out/pull-$pass.log" 2>&1; then log "run $pass FAILED:"; tail -n 30 "$out/pull-$pass.log"; exit 1; fi
  recap="$(grep -E '^localhost .*ok=' "$out/pull-$pass.log")"
  log "run $pass in $(( $(date +%s) - start ))s: $recap"
  if [ "$pass" = 2 ] && ! grep -q 'changed=0 ' <<<"$recap"; then log "NOT IDEMPOTENT"; grep -E '^changed:' "$out/pull-2.log"; exit 1; fi
done

# Same files, same checks as the pushed client.
fail=0
same() {  # same DESCRIPTION CMD... : output must match between the pushed and the pulled container
  local desc=$1; shift
  local a b
  a="$(podman exec "$pushed" "$@" 2>&1 | sed "s/$pushed/NODE/g")"
  b="$(podman exec "$name" "$@" 2>&1 | sed "s/$name/NODE/g")"
  if [ "$a" = "$b" ] && [ -n "$a" ]; then log "same as pushed: $desc"
  else log "DIFFERENT from pushed: $desc"; diff <(echo "$a") <(echo "$b") | head -20; fail=1; fi
}
same "client.hcl (node name aside)" cat /etc/nomad.d/client.hcl
same "systemd unit" systemctl cat nomad
same "nomad binary" sha256sum /usr/local/bin/nomad
same "file modes" stat -c '%n %U:%G %a' /etc/nomad.d /etc/nomad.d/client.hcl /opt/nomad/data /srv/nomad/edge-data
same "service state" systemctl is-active nomad
exit "$fail"
