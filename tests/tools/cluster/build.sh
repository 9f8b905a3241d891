#!/usr/bin/env bash
# Builds the test cluster's binaries from Go modules (versions in versions.env) into a cache keyed
# by version, so a second run costs seconds:
#   $EDGEOPS_CLUSTER_CACHE (default ~/.cache/edgeops-nomad/cluster)/<component>-<version>/<binary>
# The cache sits outside the checkout, like Go's own module and build caches, so fresh clones of
# the repository (CI) reuse it; deleting it only costs a rebuild.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null  # versions.env: plain VAR=value lines
. "$HERE/versions.env"
CACHE="${EDGEOPS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeops-nomad/cluster}"
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local

log() { printf '== cluster build: %s\n' "$*" >&2; }

# install_dir NAME BUILDER: runs BUILDER WORKDIR in a subshell and moves WORKDIR/bin to the cache
# as NAME only when it succeeded (a half-built cache entry is never used).
install_dir() {
  local name="$1"; shift
  local dir="$CACHE/$name"
  if [ -f "$dir/.complete" ]; then return 0; fi
  local work; work="$(mktemp -d "$CACHE/.work-$name.XXXXXX")"
  local start; start=$(date +%s)
  ( "$@" "$work" ) || { rm -rf "$work"; log "$name: build failed"; return 1; }
  touch "$work/bin/.complete"
  rm -rf "$dir"; mv "$work/bin" "$dir"; rm -rf "$work"
  log "$name built in $(( $(date +%s) - start )) s"
}

kube_build() {
  local work="$1" minor="${KUBE_VERSION#v1.}"
  mkdir -p "$work/mod" "$work/bin"
  cd "$work"
  # every staging module k8s.io/kubernetes replaces with ./staging/src/... -> its v0.x release
  local gomod
  gomod="$(GOFLAGS='' go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -nE 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p')"
  [ -f "$gomod" ] || { log "k8s.io/kubernetes@$KUBE_VERSION: go.mod not downloaded"; return 1; }
  cd "$work/mod"
  {
    printf 'module edgeops.test/kubebuild\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
    sed -nE 's#^[[:space:]]*(k8s\.io/[a-z0-9-]+) => \./staging/src/.*#\1#p' "$gomod" | sort -u |
      while read -r m; do printf '\t%s => %s v0.%s\n' "$m" "$m" "$minor"; done
    printf ')\n'
  } > go.mod
  printf 'package tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler/app"\n)\n' > tools.go
  go mod tidy >/dev/null 2>&1 || go mod tidy
  local ldf="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*} -X k8s.io/component-base/version.gitTreeState=clean"
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    log "go build $c $KUBE_VERSION"
    go build -trimpath -ldflags "$ldf" -o "$work/bin/$c" "k8s.io/kubernetes/cmd/$c"
  done
}

etcd_build() {
  local work="$1"
  mkdir -p "$work/mod" "$work/bin"
  cd "$work/mod"
  printf 'module edgeops.test/etcdbuild\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > main.go
  go mod tidy >/dev/null 2>&1 || go mod tidy
  log "go build etcd $ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$work/bin/etcd" .
}

kwok_build() {
  local work="$1"
  mkdir -p "$work/bin"
  log "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  GOBIN="$work/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}

mkdir -p "$CACHE"
rm -rf "$CACHE"/.work-*
exec 9>"$CACHE/.build.lock"
flock 9
install_dir "etcd-$ETCD_VERSION" etcd_build
install_dir "kwok-$KWOK_VERSION" kwok_build
install_dir "kubernetes-$KUBE_VERSION" kube_build
if [ "${1:-}" = "--print-dirs" ]; then
  printf '%s\n' "$CACHE/etcd-$ETCD_VERSION" "$CACHE/kwok-$KWOK_VERSION" "$CACHE/kubernetes-$KUBE_VERSION"
fi
