#!/usr/bin/env bash
# TEST DOUBLE harness: build the signed stand-in of HashiCorp's APT repository (build_apt_repo.sh), serve it on
# the gateway of the podman network NETWORK (created when missing, so containers on it and the controller use
# the same URL, as tests/e2e/demo/up.sh serves the stand-in mirror), run a command with EDGEOPS_NOMAD_APT_URL and
# EDGEOPS_NOMAD_APT_DIR (key.asc, fingerprint) exported, then stop the server.
# Usage: tests/tools/stand_in_nomad/with_apt_repo.sh NETWORK COMMAND [ARGS...]
set -euo pipefail
network="${1:?usage: $0 NETWORK COMMAND [ARGS...]}"; shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
state="${EDGEOPS_NOMAD_APT_STATE_DIR:-$root/.cache/nomad-client-package}"
mkdir -p "$state"
"$here/build_apt_repo.sh" "$state/apt" >/dev/null
podman network exists "$network" || podman network create "$network" >/dev/null
gateway="$(podman network inspect "$network" --format '{{range .Subnets}}{{.Gateway}}{{end}}')"
[ -n "$gateway" ] || { echo "with_apt_repo: no gateway address on network $network" >&2; exit 1; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
# The gateway address exists on the host only once a container has joined the network: the server binds it with
# IP_FREEBIND (Linux) and answers from then on.
python3 - "$gateway" "$port" "$state/apt" > "$state/apt.log" 2>&1 <<'PY' &
import functools, http.server, socket, sys
class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        self.socket.setsockopt(socket.SOL_IP, getattr(socket, "IP_FREEBIND", 15), 1)
        super().server_bind()
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
Server((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
PY
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
sleep 1
kill -0 "$server" 2>/dev/null || { echo "with_apt_repo: the repository server did not start:" >&2; cat "$state/apt.log" >&2; exit 1; }
export EDGEOPS_NOMAD_APT_URL="http://$gateway:$port"
export EDGEOPS_NOMAD_APT_DIR="$state/apt"
export EDGEOPS_NOMAD_APT_LOG="$state/apt.log"
"$@"
