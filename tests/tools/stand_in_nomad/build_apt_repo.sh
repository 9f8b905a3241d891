#!/usr/bin/env bash
# TEST DOUBLE: build a signed local APT repository of the stand-in Nomad, laid out and packaged like
# HashiCorp's (https://apt.releases.hashicorp.com): a "nomad" package per version and architecture with the
# stand-in binary as /usr/bin/nomad, the package's own /etc/nomad.d/nomad.hcl (a one-node server AND a client)
# and nomad.env, its own unit /usr/lib/systemd/system/nomad.service (all three conffiles, as HashiCorp's nfpm
# build marks every file of .release/linux/package), and maintainer scripts that behave like HashiCorp's
# (package/DEBIAN: preinst adds the nomad user; postinst chowns /opt/nomad/data and, recursively, /etc/nomad.d;
# postrm restarts the service on upgrade).
# Usage: tests/tools/stand_in_nomad/build_apt_repo.sh OUT_DIR [VERSION...]   (default versions: 2.0.5 2.0.6)
# Layout: OUT/dists/<suite>/{Release,InRelease,Release.gpg}, OUT/dists/<suite>/main/binary-<arch>/Packages(.gz),
#         OUT/pool/main/n/nomad/nomad_<v>-1_<arch>.deb, OUT/key.asc and OUT/fingerprint (the throwaway public key
#         that signed the Release file; apt reads it through signed-by). Suites: $EDGEOPS_NOMAD_APT_SUITES
#         (default "bookworm bullseye jammy noble"), architectures amd64 and arm64.
# The throwaway key is generated in a temporary GNUPGHOME that is deleted on exit.
set -euo pipefail
out="${1:?usage: $0 OUT_DIR [VERSION...]}"; shift
versions=("$@"); [ "${#versions[@]}" -gt 0 ] || versions=(2.0.5 2.0.6)
read -r -a suites <<< "${EDGEOPS_NOMAD_APT_SUITES:-bookworm bullseye jammy noble}"
archs=(amd64 arm64)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export GNUPGHOME; GNUPGHOME="$(mktemp -d)"
work="$(mktemp -d)"
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME" "$work"' EXIT
rm -rf "$out"; mkdir -p "$out/pool/main/n/nomad"

uid='edgeops.nomad test double APT signing key <test-double-apt@invalid>'
gpg --batch --quiet --passphrase '' --quick-gen-key "$uid" ed25519 sign 1d 2>/dev/null
fpr="$(gpg --batch --with-colons --list-keys "$uid" 2>/dev/null | awk -F: '/^fpr:/ {print $10; exit}')"
gpg --batch --armor --export "$fpr" > "$out/key.asc"
echo "$fpr" > "$out/fingerprint"

# One .deb per version and architecture. Files are owned by root and dated @0, so a rebuild gives the same bytes.
for v in "${versions[@]}"; do
  for arch in "${archs[@]}"; do
    root="$work/nomad_${v}_$arch"
    mkdir -p "$root/usr/bin"
    cp -a "$here/package/." "$root/"
    # The same binary as the mirror's (build_mirror.sh): the shell part, the marker line, the python agent.
    { cat "$here/nomad.sh.in"; printf '# ---- stand-in agent (python) ----\n'; cat "$here/agent.py"; } \
      | sed -e "s|@VERSION@|$v|" -e "s|@PLATFORM@|linux/$arch|" > "$root/usr/bin/nomad"
    chmod 0755 "$root/usr/bin/nomad"
    cat > "$root/DEBIAN/control" <<CONTROL
Package: nomad
Version: $v-1
Architecture: $arch
Maintainer: edgeops.nomad tests <test-double@invalid>
Depends: openssl
Recommends: dmidecode
Section: default
Priority: optional
Homepage: https://github.com/edgeops/edgeops.nomad
Description: TEST DOUBLE: stand-in for HashiCorp's nomad package
 The stand-in Nomad of the edgeops.nomad tests (not HashiCorp Nomad), packaged with the
 configuration, unit and maintainer scripts of HashiCorp's package.
CONTROL
    find "$root" -exec touch -h -d @0 {} +
    dpkg-deb --root-owner-group -Zgzip --build "$root" "$out/pool/main/n/nomad/nomad_${v}-1_$arch.deb" >/dev/null
  done
done

# Packages per architecture: each .deb's control fields plus where it is and its checksums (what apt verifies).
for arch in "${archs[@]}"; do
  packages="$work/Packages-$arch"; : > "$packages"
  for deb in "$out"/pool/main/n/nomad/*_"$arch".deb; do
    rel="${deb#"$out"/}"
    {
      dpkg-deb -f "$deb"
      printf 'Filename: %s\nSize: %s\nMD5sum: %s\nSHA256: %s\n\n' "$rel" "$(stat -c %s "$deb")" \
        "$(md5sum < "$deb" | cut -d' ' -f1)" "$(sha256sum < "$deb" | cut -d' ' -f1)"
    } >> "$packages"
  done
  for suite in "${suites[@]}"; do
    dir="$out/dists/$suite/main/binary-$arch"; mkdir -p "$dir"
    cp "$packages" "$dir/Packages"
    gzip -9 -n -c "$packages" > "$dir/Packages.gz"
  done
done

# Release per suite, signed twice as apt reads it: InRelease (clear-signed) and Release + Release.gpg.
for suite in "${suites[@]}"; do
  d="$out/dists/$suite"
  {
    printf 'Origin: edgeops.nomad test double\nLabel: stand-in HashiCorp\nSuite: %s\nCodename: %s\n' "$suite" "$suite"
    printf 'Date: %s\nArchitectures: %s\nComponents: main\n' "$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')" "${archs[*]}"
    printf 'Description: TEST DOUBLE stand-in of the HashiCorp APT repository\nSHA256:\n'
    (cd "$d" && for f in main/binary-*/Packages main/binary-*/Packages.gz; do
       printf ' %s %s %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
     done)
  } > "$d/Release"
  gpg --batch --yes --quiet --local-user "$fpr" --clearsign --output "$d/InRelease" "$d/Release"
  gpg --batch --yes --quiet --local-user "$fpr" --armor --detach-sign --output "$d/Release.gpg" "$d/Release"
done
echo "$out"
