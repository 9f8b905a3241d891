#!/usr/bin/env bash
# Build (once) and cache a Debian bookworm image with systemd as PID 1 for podman, per architecture.
# Usage: tests/tools/edge_images/build.sh [amd64|arm64]   -> prints the image name on stdout (progress on stderr)
# The image is built from scratch with mmdebstrap and `podman import` (no registry needed), and is
# rebuilt only when it is missing or when this recipe changed (label edgeops.recipe).
# arm64 runs through qemu-user: binfmt is set up here (idempotent).
set -euo pipefail
arch="${1:-amd64}"
case "$arch" in amd64|arm64) ;; *) echo "usage: $0 [amd64|arm64]" >&2; exit 2 ;; esac
image="localhost/edgeops-bookworm-systemd:${arch}"
log() { printf 'images: %s\n' "$*" >&2; }

# The recipe: what goes into the image. Its hash labels the image, so a changed recipe rebuilds it.
include=python3,systemd,systemd-sysv,dbus,procps,iproute2,ca-certificates
# systemd-sysusers/tmpfiles fail with 243/CREDENTIALS under qemu unless LoadCredential= is empty.
# shellcheck disable=SC2016  # the hooks are run by mmdebstrap, which passes the rootfs as $1
hooks=(
  --customize-hook='echo -n > "$1/etc/machine-id"'
  --customize-hook='for u in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount systemd-remount-fs.service; do ln -sf /dev/null "$1/etc/systemd/system/$u"; done'
  --customize-hook='for u in systemd-sysusers systemd-tmpfiles-setup systemd-tmpfiles-setup-dev systemd-tmpfiles-clean systemd-journald; do mkdir -p "$1/etc/systemd/system/$u.service.d"; printf "[Service]\nLoadCredential=\n" > "$1/etc/systemd/system/$u.service.d/no-credentials.conf"; done'
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*'
)
recipe="$(printf '%s\n' "$include" "${hooks[@]}" | sha256sum | cut -c1-16)"

# The tools come from bindep.txt (profiles demo, arm64), installed by `make bootstrap`.
need=(podman mmdebstrap arch-test)
[ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ] && need+=(qemu-aarch64-static update-binfmts)
for c in "${need[@]}"; do
  command -v "$c" >/dev/null || { log "$c not found: run \`make bootstrap\` (bindep.txt)"; exit 1; }
done

# podman on this kind of host (cgroup v1 hybrid, capped ulimits) needs runc and explicit ulimits.
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

if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 >&2
fi

work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
log "building $image with mmdebstrap (amd64 ~30 s, arm64 under qemu ~3-4 min)"
start=$(date +%s)
mmdebstrap --arch="$arch" --variant=minbase --include="$include" "${hooks[@]}" \
  bookworm "$work/rootfs.tar" http://deb.debian.org/debian >&2
podman import --arch "$arch" \
  --change 'CMD ["/sbin/init"]' --change 'ENV container=podman' --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL edgeops.recipe=$recipe" \
  "$work/rootfs.tar" "$image" >&2
log "built $image in $(( $(date +%s) - start )) s"
echo "$image"
