#!/usr/bin/env bash
# Build edgeops.nomad's execution environment with ansible-builder and podman, from this checkout alone:
#   1. the base image (scripts/ee/base-image.sh: Debian packages, ansible-core, ansible-runner);
#   2. the collection tarball (ansible-galaxy collection build) and the dependency collections that
#      `make bootstrap` put in .cache/collections, staged in .cache/ee/stage;
#   3. `ansible-builder build` of execution-environment.yml -> localhost/edgeops-nomad-ee:<version>.
# Prints the image name on stdout; the build time, image size and ansible-core inside go to stderr and to
# .cache/ee/build.txt. Starts podman build containers: run it under the heavy lock (mk/ee.mk does).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh
log() { printf 'ee-build: %s\n' "$*" >&2; }
start=$(date +%s)

base="$(bash scripts/ee/base-image.sh)"
version="$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')"
image="localhost/edgeops-nomad-ee:$version"

stage="$ROOT/.cache/ee/stage"
rm -rf "$stage" && mkdir -p "$stage/collections"
ansible-galaxy collection build "$ROOT" --output-path "$stage" >/dev/null
mv "$stage/edgeops-nomad-$version.tar.gz" "$stage/edgeops-nomad.tar.gz"
# The dependency collections galaxy.yml names, as bootstrap installed them (dereferenced copies).
for dep in $(python -c 'import yaml; print(" ".join(yaml.safe_load(open("galaxy.yml"))["dependencies"]))'); do
  src="$ROOT/.cache/collections/ansible_collections/${dep%%.*}/${dep#*.}"
  [ -f "$src/MANIFEST.json" ] || { log "$dep is not in .cache/collections: run make bootstrap"; exit 1; }
  cp -rL "$src" "$stage/collections/$dep"
done

# RUN steps that reach PyPI trust the CA bundle of the machine that builds (a TLS-inspecting proxy's CA, if
# any), mounted for the build only; the host network gives them the machine's name resolution.
host_ca="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
log "ansible-builder build -> $image (base $base)"
build_start=$(date +%s)
ansible-builder build -f execution-environment.yml --context "$ROOT/.cache/ee/context" \
  --container-runtime podman --tag "$image" --build-arg "EE_BASE_IMAGE=$base" \
  --extra-build-cli-args "--network host --volume $host_ca:/etc/ssl/certs/ca-certificates.crt:ro" \
  -v 3 > "$ROOT/.cache/ee/ansible-builder.log" 2>&1 \
  || { tail -n 40 "$ROOT/.cache/ee/ansible-builder.log" >&2; log "ansible-builder failed (log: .cache/ee/ansible-builder.log)"; exit 1; }
end=$(date +%s)

size="$(podman image inspect --format '{{.Size}}' "$image")"
core="$(podman run --rm "$image" ansible --version | head -n1)"
{
  echo "image: $image (base $base)"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((end - start)) s (ansible-builder build $((end - build_start)) s)"
  echo "size: $((size / 1000000)) MB"
  echo "inside: $core, $(podman run --rm "$image" ansible-runner --version | sed 's/^/ansible-runner /'), $(podman run --rm "$image" python3 -V)"
  echo "collections: $(podman run --rm "$image" ansible-galaxy collection list --format yaml 2>/dev/null | python -c 'import sys, yaml; d=yaml.safe_load(sys.stdin) or {}; print(", ".join("%s %s" % (k, v["version"]) for p in d.values() for k, v in sorted(p.items())))')"
} | tee "$ROOT/.cache/ee/build.txt" >&2
echo "$image"
