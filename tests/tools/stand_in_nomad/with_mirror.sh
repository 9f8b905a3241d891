#!/usr/bin/env bash
# TEST DOUBLE harness: build the stand-in Nomad mirror, serve it on 127.0.0.1 (a free port), run a command
# with EDGEOPS_NOMAD_MIRROR_URL / EDGEOPS_NOMAD_MIRROR_DIR / EDGEOPS_NOMAD_CACHE_DIR exported, stop the server.
# Usage: tests/tools/stand_in_nomad/with_mirror.sh COMMAND [ARGS...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
# EDGEOPS_NOMAD_STATE_DIR: a mirror of its own for a long run beside others (the benchmark); each run rebuilds it.
state="${EDGEOPS_NOMAD_STATE_DIR:-$root/.cache/nomad-client}"
mkdir -p "$state"
rm -rf "$state"/controller-cache*   # fresh controller cache: every run verifies from scratch
"$here/build_mirror.sh" "$state/mirror" >/dev/null
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
python3 -m http.server --bind 127.0.0.1 --directory "$state/mirror" "$port" > "$state/mirror.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/fingerprint" 2>/dev/null && break
  sleep 0.1
done
export EDGEOPS_NOMAD_MIRROR_URL="http://127.0.0.1:$port"
export EDGEOPS_NOMAD_MIRROR_DIR="$state/mirror"
export EDGEOPS_NOMAD_CACHE_DIR="$state/controller-cache"
export EDGEOPS_NOMAD_MIRROR_LOG="$state/mirror.log"
"$@"
