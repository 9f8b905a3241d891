#!/usr/bin/env bash
# TEST DOUBLE: stand-in artifacts of the demo's edge jobs (playbooks/files/jobs/), served beside the stand-in
# Nomad mirror, each with its SHA-256 in <file>.sha256 (what an operator takes from their build or release).
# The demo has no sensor-gateway or opcua-bridge build, and the Nomad API double registers jobs without
# running them: nothing downloads these. They exist so deploy_jobs passes real URLs and checksums, never a
# placeholder. Usage: tests/e2e/demo/job_artifacts.sh OUT_DIR
set -euo pipefail
out="${1:?usage: $0 OUT_DIR}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/gateway" "$work/bridge/META-INF"
printf '#!/bin/sh\n# TEST DOUBLE: stand-in for the sensor-gateway binary of the demo job (not a real gateway).\nexec sleep infinity\n' \
  > "$work/gateway/sensor-gateway"
chmod 0755 "$work/gateway/sensor-gateway"
printf 'Manifest-Version: 1.0\nCreated-By: edgeops.nomad demo (TEST DOUBLE, not a real OPC UA bridge)\n' \
  > "$work/bridge/META-INF/MANIFEST.MF"
# Reproducible content: fixed times and owners, no extra attributes.
find "$work" -exec touch -h -d @0 {} +
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/gateway" -czf "$out/sensor-gateway_linux_arm64.tar.gz" sensor-gateway
(cd "$work/bridge" && rm -f "$out/opcua-bridge.jar" && zip -q -X -r "$out/opcua-bridge.jar" META-INF)
for f in sensor-gateway_linux_arm64.tar.gz opcua-bridge.jar; do
  sha256sum "$out/$f" | cut -d' ' -f1 > "$out/$f.sha256"
done
echo "$out"
