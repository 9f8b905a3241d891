#!/usr/bin/env bash
# The demo's playbooks run INSIDE edgeops.nomad's execution environment, the way Ansible Automation Platform
# runs a job template: the controller side packs a private data dir (`ansible-runner transmit`), the
# execution node runs `ansible-runner worker` in the EE container, and the controller reads the events back
# (`ansible-runner process`). Both playbooks (edgeops.nomad.site, then edgeops.nomad.deploy_jobs) run twice
# against the demo's test cluster, edge containers and Nomad API double (tests/e2e/demo/up.sh; brought up and
# taken down here when it was not running); the second pass must change nothing on the hosts.
#
# What the job gets, as AAP would give it:
#   - the EE image localhost/edgeops-nomad-ee:<version> (scripts/ee/build.sh): the collection and its
#     dependencies, Python and system packages from the collection's metadata only;
#   - inventory: inventories/local; the Kubernetes API through K8S_AUTH_HOST / K8S_AUTH_API_KEY /
#     K8S_AUTH_SSL_CA_CERT (what AAP's "OpenShift or Kubernetes API Bearer Token" credential injects);
#     NOMAD_ADDR; the controller-side files (client TLS, the release-signing key and fingerprint) in the
#     private data dir's files/ (docs/aap.md: "Files the execution environment needs");
#   - the demo's connection: the edge containers are reached with containers.podman.podman. The EE holds
#     no podman and no containers.podman (they are not edgeops.nomad's dependencies): the job's project
#     brings the collection (project/collections, as an AAP project's collections/requirements.yml does),
#     a one-line layer on the EE adds the podman client, and that client drives the host's podman through
#     its API socket (`podman system service`, mounted into the job container; CONTAINER_HOST). A real site
#     uses SSH (the EE has the OpenSSH client) or WinRM instead.
# Logs and the jobs' artifacts: .cache/ee-demo/ (kept after the demo is taken down). Run under the heavy lock.
set -euo pipefail
# shellcheck source=tests/e2e/demo/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/../demo/env.sh"
demo_test_init
log() { printf 'ee-demo: %s\n' "$*"; }
out="$DEMO_ROOT/.cache/ee-demo"   # not demo-output/: tests/e2e/demo/down.sh removes that
rm -rf "$out" && mkdir -p "$out"

version="$("$PY" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')"
ee="localhost/edgeops-nomad-ee:$version"
layer="localhost/edgeops-nomad-ee-demo:$version"
podman image exists "$ee" || { log "$ee not built: run make ee-build"; exit 1; }

was_up=0; [ -f "$DEMO_STATE/env" ] && was_up=1
sock_dir=""; service_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null || true; fi
  if [ -n "$sock_dir" ]; then rm -rf "$sock_dir"; fi
  if [ "$was_up" = 0 ]; then bash tests/e2e/demo/down.sh >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
bash tests/e2e/demo/up.sh
demo_load_env

# The demo's connection needs the podman client in the job container (cached layer, rebuilt with the EE).
recipe="$(podman image inspect --format '{{.Id}}' "$ee")-podman-client-v1"
if ! podman image exists "$layer" ||
   [ "$(podman image inspect --format '{{ index .Labels "edgeops.recipe" }}' "$layer")" != "$recipe" ]; then
  log "building $layer ($ee + the podman client, for the demo's connection only)"
  ctx="$(mktemp -d)"
  printf 'FROM %s\nUSER root\nRUN ee-apt install -y podman && ee-apt clean all\nUSER 1000\nLABEL edgeops.recipe=%s\n' \
    "$ee" "$recipe" > "$ctx/Containerfile"
  podman build --network host -q -t "$layer" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

# The job's private data dir, as the controller prepares it.
pdd="$out/job"
rm -rf "$pdd" && mkdir -p "$pdd/env" "$pdd/files/tls" "$pdd/files/mirror" "$pdd/project/collections/ansible_collections/containers"
cp -r inventories/local "$pdd/inventory"
cp -rL .cache/collections/ansible_collections/containers/podman "$pdd/project/collections/ansible_collections/containers/podman"
for book in site deploy_jobs; do
  printf -- '---\n- name: edgeops.nomad.%s\n  ansible.builtin.import_playbook: edgeops.nomad.%s\n' "$book" "$book" > "$pdd/project/$book.yml"
done
cp "$EDGEOPS_DEMO_TLS_DIR"/{ca.pem,client.pem,client-key.pem} "$pdd/files/tls/"
cp "$EDGEOPS_NOMAD_MIRROR_DIR"/{key.asc,fingerprint} "$pdd/files/mirror/"
# The Kubernetes credential: server, CA and token of the demo cluster's kubeconfig.
read -r k8s_host k8s_ca k8s_token_file < <("$PY" - "$K8S_AUTH_KUBECONFIG" <<'PY'
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
print(cfg["clusters"][0]["cluster"]["server"], cfg["clusters"][0]["cluster"]["certificate-authority"],
      cfg["users"][0]["user"]["tokenFile"])
PY
)
cp "$k8s_ca" "$pdd/files/k8s-ca.crt"
umask 077
cat > "$pdd/env/envvars" <<ENV
---
K8S_AUTH_HOST: "$k8s_host"
K8S_AUTH_API_KEY: "$(cat "$k8s_token_file")"
K8S_AUTH_SSL_CA_CERT: /runner/files/k8s-ca.crt
NOMAD_ADDR: "$NOMAD_ADDR"
EDGEOPS_DEMO_EDGE_RPC_ADDRESS: "$EDGEOPS_DEMO_EDGE_RPC_ADDRESS"
EDGEOPS_NOMAD_MIRROR_URL: "$EDGEOPS_NOMAD_MIRROR_URL"
EDGEOPS_NOMAD_MIRROR_DIR: /runner/files/mirror
EDGEOPS_DEMO_TLS_DIR: /runner/files/tls
EDGEOPS_NOMAD_CACHE_DIR: /var/cache/edgeops-nomad
ANSIBLE_COLLECTIONS_PATH: /runner/project/collections:/usr/share/ansible/collections
CONTAINER_HOST: unix:///run/podman/podman.sock
ANSIBLE_CALLBACK_RESULT_FORMAT: yaml
ANSIBLE_NOCOLOR: "1"
ANSIBLE_FORCE_COLOR: "0"
ANSIBLE_DISPLAY_SKIPPED_HOSTS: "false"
ANSIBLE_TIMEOUT: "60"
ENV
printf -- '---\nnomad_clients_serial: 3\n' > "$pdd/env/extravars"
umask 022

# The controller's Nomad release cache on a path that outlives each job (an AAP administrator exposes such a
# path to jobs; without it every job downloads and verifies the release again, docs/aap.md).
mkdir -p "$out/controller-cache" && chown 1000:0 "$out/controller-cache"

# The host's podman API, for the podman client in the job container (a private socket for this run).
sock_dir="$(mktemp -d /run/edgeops-ee-demo.XXXXXX)"
podman system service --time=0 "unix://$sock_dir/podman.sock" > "$out/ee-podman-service.log" 2>&1 &
service_pid=$!
for _ in $(seq 50); do [ -S "$sock_dir/podman.sock" ] && break; sleep 0.1; done
[ -S "$sock_dir/podman.sock" ] || { log "podman system service did not start ($out/ee-podman-service.log)"; exit 1; }
chmod 0666 "$sock_dir/podman.sock"   # the job runs as the EE's user (uid 1000); the folder stays 0700

status=0
for pass in 1 2; do
  for book in site deploy_jobs; do
    artifacts="$out/artifacts/$pass-$book"
    rm -rf "$artifacts" && mkdir -p "$artifacts"
    logfile="$out/ee-$pass-$book.log"
    start=$(date +%s)
    if ! ansible-runner transmit "$pdd" -p "$book.yml" --ident "$pass-$book" \
        | podman run --rm -i --network host -v "$sock_dir/podman.sock:/run/podman/podman.sock" \
            -v "$out/controller-cache:/var/cache/edgeops-nomad" "$layer" \
            ansible-runner worker --private-data-dir /runner \
        | ansible-runner process "$artifacts" > "$logfile" 2>&1; then
      log "the job pipeline for $book failed ($logfile)"; tail -n 30 "$logfile"; exit 1
    fi
    rc_file="$(find "$artifacts" -name rc -type f | head -n1)"
    rc="$(cat "$rc_file" 2>/dev/null || echo missing)"
    recap="$(sed -n '/PLAY RECAP/,$p' "$logfile" | grep -E 'ok=' || true)"
    changed="$(grep -oE 'changed=[0-9]+' <<<"$recap" | cut -d= -f2 | awk '{s+=$1} END {print s+0}')"
    printf 'ee-demo: pass %s %-12s rc=%s %4ss changed=%s\n' "$pass" "$book" "$rc" "$(( $(date +%s) - start ))" "$changed"
    while IFS= read -r line; do printf '         %s\n' "$line"; done <<<"$recap"
    if [ "$rc" != 0 ]; then log "$book failed inside the EE ($logfile):"; tail -n 40 "$logfile"; exit 1; fi
    if [ "$pass" = 2 ] && [ "$changed" != 0 ]; then
      log "NOT IDEMPOTENT inside the EE: $book changed $changed things on the second pass ($logfile):"
      grep -E '^changed:' "$logfile" | head -20
      status=1
    fi
  done
done

# What the EE run left on the hosts: each edge container runs the Nomad client agent.
for name in "${DEMO_CONTAINERS[@]}"; do
  state="$(podman exec "$name" systemctl is-active nomad 2>/dev/null || true)"
  printf 'ee-demo: %s nomad.service %s\n' "$name" "$state"
  [ "$state" = active ] || status=1
done
podman run --rm "$ee" ansible --version | head -n1 | sed 's/^/ee-demo: inside the EE: /'
exit "$status"
