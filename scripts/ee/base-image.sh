#!/usr/bin/env bash
# Build (once) the base image of edgeops.nomad's execution environment from Debian packages, with mmdebstrap
# and `podman import` (no registry; the same tools as the edge images, tests/tools/edge_images/build.sh):
#   Debian 12 minbase + python3, pip, CA certificates, the OpenSSH client (SSH is how a job template reaches
#   Linux hosts), then ansible-core and ansible-runner from PyPI at the versions requirements-dev.txt pins
#   (the ansible-core every check here runs; inside meta/runtime.yml's requires_ansible), and ee-apt: the
#   package-manager front end ansible-builder's scripts call (`install -y PKG...`, `clean all`), on apt-get.
# execution-environment.yml names the image this prints; it is rebuilt when this recipe or a pin changes
# (label edgeops.recipe).
#   scripts/ee/base-image.sh     -> prints the image name on stdout (progress on stderr)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log() { printf 'ee-base: %s\n' "$*" >&2; }

pin() { sed -nE "s/^$1==([^ ;]+) *$/\\1/p" "$ROOT/requirements-dev.txt"; }
core="$(pin ansible-core)"; runner="$(pin ansible-runner)"
{ [ -n "$core" ] && [ -n "$runner" ]; } || { log "requirements-dev.txt must pin ansible-core and ansible-runner"; exit 2; }
image="localhost/edgeops-nomad-ee-base:${core}"

include=python3,python3-pip,ca-certificates,openssh-client
host_ca="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
# shellcheck disable=SC2016  # the hooks are run by mmdebstrap, which passes the rootfs as $1
hooks=(
  # pip trusts the CA bundle of the machine that builds (a TLS-inspecting proxy's CA, if any), for this step only
  --customize-hook="copy-in $host_ca /tmp"
  --customize-hook="chroot \"\$1\" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root PIP_CERT=/tmp/$(basename "$host_ca") python3 -m pip install --no-cache-dir --break-system-packages ansible-core==$core ansible-runner==$runner"
  --customize-hook="rm -f \"\$1/tmp/$(basename "$host_ca")\""
  --customize-hook="copy-in $ROOT/scripts/ee/ee-apt /usr/local/bin"
  --customize-hook='chmod 0755 "$1/usr/local/bin/ee-apt"'
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/root/.cache'
)
recipe="$(printf '%s %s\n' "$core" "$runner" | cat - "${BASH_SOURCE[0]}" "$ROOT/scripts/ee/ee-apt" | sha256sum | cut -c1-16)"

for c in podman mmdebstrap; do
  command -v "$c" >/dev/null || { log "$c not found: run \`make bootstrap\` (bindep-dev.txt, profile demo)"; exit 1; }
done
# podman on this kind of host (cgroup v1 hybrid, capped ulimits) needs runc and explicit ulimits, as for the
# edge images (tests/tools/edge_images/build.sh writes the same file when it runs first).
conf=/etc/containers/containers.conf
if [ ! -e "$conf" ]; then
  log "writing $conf (runtime runc, default ulimits)"
  nofile="$(ulimit -Hn)"; [ "$nofile" = unlimited ] && nofile=1048576
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' \
    "$nofile" "$nofile" > "$conf"
fi

if podman image exists "$image" &&
   [ "$(podman image inspect --format '{{ index .Labels "edgeops.recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
  echo "$image"; exit 0
fi

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
log "building $image with mmdebstrap (Debian 12, ansible-core $core, ansible-runner $runner)"
start=$(date +%s)
mmdebstrap --variant=minbase --include="$include" "${hooks[@]}" bookworm "$work/rootfs.tar" http://deb.debian.org/debian >&2
podman import --change 'CMD ["/bin/bash"]' --change "LABEL edgeops.recipe=$recipe" \
  --change "LABEL org.opencontainers.image.description=edgeops.nomad execution environment base: Debian 12, ansible-core $core, ansible-runner $runner" \
  "$work/rootfs.tar" "$image" >&2
log "built $image in $(( $(date +%s) - start )) s"
echo "$image"
