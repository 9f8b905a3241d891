#!/usr/bin/env bash
# Quick check without containers: the client role's controller-side fetch over 3 batches of one
# host (tests/e2e/fleet/fetch_batches.yml), against the stand-in Nomad mirror (a TEST DOUBLE). Passes when every
# batch gets its platform's verified binary and one run requests SHA256SUMS and its signature once, and each
# platform's archive once (the mirror's access log). A second run downloads no archive (controller cache).
# Usage: tests/tools/stand_in_nomad/with_mirror.sh tests/e2e/fleet/fetch_batches.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
: "${EDGEOPS_NOMAD_MIRROR_URL:?run me through tests/tools/stand_in_nomad/with_mirror.sh}"
mirror_log="${EDGEOPS_NOMAD_MIRROR_LOG:-$root/.cache/nomad-client/mirror.log}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cat > "$work/hosts.yml" <<YAML
fleet_fetch:
  hosts:
    fetch-a: {fleet_platform: linux_amd64}
    fetch-b: {fleet_platform: linux_amd64}
    fetch-c: {fleet_platform: linux_arm64}
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    nomad_client_download_base_url: "$EDGEOPS_NOMAD_MIRROR_URL/good"
    nomad_client_gpg_key: "{{ lookup('ansible.builtin.file', '$EDGEOPS_NOMAD_MIRROR_DIR/key.asc') }}"
    nomad_client_gpg_fingerprint: "{{ lookup('ansible.builtin.file', '$EDGEOPS_NOMAD_MIRROR_DIR/fingerprint') }}"
    nomad_client_controller_cache_dir: "$work/cache"
YAML
count() { grep -c "\"GET /good/2.0.5/$1 HTTP" "$mirror_log" || true; }
fail() { printf 'fleet-fetch: FAILED: %s\n' "$*" >&2; exit 1; }
for run in 1 2; do
  before=("$(count nomad_2.0.5_SHA256SUMS)" "$(count nomad_2.0.5_SHA256SUMS.sig)" \
          "$(count nomad_2.0.5_linux_amd64.zip)" "$(count nomad_2.0.5_linux_arm64.zip)")
  ansible-playbook -i "$work/hosts.yml" "$here/fetch_batches.yml" > "$work/run$run.log" 2>&1 \
    || { tail -n 30 "$work/run$run.log"; fail "run $run"; }
  after=("$(count nomad_2.0.5_SHA256SUMS)" "$(count nomad_2.0.5_SHA256SUMS.sig)" \
         "$(count nomad_2.0.5_linux_amd64.zip)" "$(count nomad_2.0.5_linux_arm64.zip)")
  got="$(( after[0] - before[0] )) $(( after[1] - before[1] )) $(( after[2] - before[2] )) $(( after[3] - before[3] ))"
  want="1 1 1 1"; [ "$run" = 2 ] && want="0 0 0 0"
  batches="$(grep -c '^PLAY \[Fetch in batches of one\]' "$work/run$run.log")"
  [ "$batches" = 3 ] || fail "run $run: $batches batches, want 3"
  [ "$got" = "$want" ] || fail "run $run: requests for SHA256SUMS, .sig, amd64 zip, arm64 zip: $got, want $want"
  printf 'fleet-fetch: run %s: 3 batches; SHA256SUMS, signature, amd64 and arm64 archives requested %s times\n' "$run" "$got"
done
