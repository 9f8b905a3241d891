#!/usr/bin/env bash
# TEST DOUBLE: build a local release mirror of the stand-in Nomad (tests/tools/stand_in_nomad/nomad.sh.in).
# Usage: tests/tools/stand_in_nomad/build_mirror.sh OUT_DIR [VERSION...]   (default versions: 2.0.5 2.0.6)
# Layout (like releases.hashicorp.com/nomad):
#   OUT/good/<v>/nomad_<v>_linux_{amd64,arm64}.zip, nomad_<v>_windows_amd64.zip, nomad_<v>_SHA256SUMS, .sig
#   OUT/tampered-zip/<v>/   the amd64 zip was replaced after SHA256SUMS was signed
#   OUT/tampered-sums/<v>/  SHA256SUMS was edited after it was signed
#   OUT/bad-sig/<v>/        SHA256SUMS signed by another throwaway key
#   OUT/key.asc, OUT/fingerprint   the throwaway public key the tests trust
# Both throwaway keys are generated in a temporary GNUPGHOME that is deleted on exit.
set -euo pipefail
out="${1:?usage: $0 OUT_DIR [VERSION...]}"; shift
versions=("$@"); [ "${#versions[@]}" -gt 0 ] || versions=(2.0.5 2.0.6)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export GNUPGHOME; GNUPGHOME="$(mktemp -d)"
work="$(mktemp -d)"
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME" "$work"' EXIT
rm -rf "$out"; mkdir -p "$out"
gen_key() { gpg --batch --quiet --passphrase '' --quick-gen-key "$1" ed25519 sign 1d 2>/dev/null
  gpg --batch --with-colons --list-keys "$1" 2>/dev/null | awk -F: '/^fpr:/ {print $10; exit}'; }
fpr="$(gen_key 'edgeops.nomad test double signing key <test-double@invalid>')"
other="$(gen_key 'edgeops.nomad test double ROGUE key <rogue@invalid>')"
gpg --batch --armor --export "$fpr" > "$out/key.asc"
echo "$fpr" > "$out/fingerprint"
sign() { gpg --batch --yes --quiet --local-user "$1" --detach-sign --output "$2.sig" "$2"; }

for v in "${versions[@]}"; do
  d="$out/good/$v"; mkdir -p "$d"
  for p in linux_amd64 linux_arm64 windows_amd64; do
    bin=nomad; [ "${p%%_*}" = windows ] && bin=nomad.exe
    mkdir -p "$work/$p"
    # One file: the shell part, then the marker line, then the python agent (nomad.sh.in reads itself).
    { cat "$here/nomad.sh.in"; printf '# ---- stand-in agent (python) ----\n'; cat "$here/agent.py"; } \
      | sed -e "s|@VERSION@|$v|" -e "s|@PLATFORM@|${p/_//}|" > "$work/$p/$bin"
    chmod 0755 "$work/$p/$bin"; touch -d @0 "$work/$p/$bin"
    (cd "$work/$p" && rm -f "$d/nomad_${v}_$p.zip" && zip -q -X "$d/nomad_${v}_$p.zip" "$bin")
  done
  (cd "$d" && sha256sum ./*.zip | sed 's| \./| |' | sort -k2 > "nomad_${v}_SHA256SUMS")
  sign "$fpr" "$d/nomad_${v}_SHA256SUMS"
done
for v in "${versions[@]}"; do
  for fault in tampered-zip tampered-sums bad-sig; do
    mkdir -p "$out/$fault"; cp -a "$out/good/$v" "$out/$fault/$v"
  done
  printf '\necho tampered\n' >> "$work/linux_amd64/nomad"
  (cd "$work/linux_amd64" && rm -f "$out/tampered-zip/$v/nomad_${v}_linux_amd64.zip" \
     && zip -q -X "$out/tampered-zip/$v/nomad_${v}_linux_amd64.zip" nomad)
  sed -i "1s/^\(.\)/$(printf '%s' "$(head -c1 "$out/good/$v/nomad_${v}_SHA256SUMS" | tr '0-9a-f' '1-9a-f0')")/" \
    "$out/tampered-sums/$v/nomad_${v}_SHA256SUMS"
  sign "$other" "$out/bad-sig/$v/nomad_${v}_SHA256SUMS"
done
echo "$out"
