#!/usr/bin/env bash
# Cut the release galaxy.yml names with antsibull-changelog, reproducibly: the pinned antsibull-changelog of
# .venv, the plugin list read afresh from this checkout (ansible-doc through .cache/collections), the date given
# (RELEASE_DATE=YYYY-MM-DD, default today in UTC). Writes changelogs/changelog.yaml and CHANGELOG.rst, removes
# the folded fragments, and checks the result (antsibull-changelog lint and lint-changelog-yaml, yamllint);
# it refuses to run on a checkout with uncommitted changes or on a version that is already released.
#   RELEASE_DATE=2026-12-14 bash scripts/release-notes.sh      (make release-notes RELEASE_DATE=...)
# Then: review `git diff`, commit CHANGELOG.rst and changelogs/, tag the commit <version>.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh
log() { printf 'release-notes: %s\n' "$*"; }

version="$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')"
date="${RELEASE_DATE:-$(date -u +%Y-%m-%d)}"
[[ "$date" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || { log "RELEASE_DATE must be YYYY-MM-DD (got $date)"; exit 2; }
if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$(git status --porcelain -- . ':!.cache')" ]; then
  log "the checkout has uncommitted changes: commit them first, so the release is cut from one commit"; exit 2
fi
if python - "$version" <<'PY'
import sys, yaml
releases = (yaml.safe_load(open("changelogs/changelog.yaml")) or {}).get("releases") or {}
sys.exit(0 if sys.argv[1] in releases else 1)
PY
then
  log "$version is already in changelogs/changelog.yaml: raise galaxy.yml's version first"; exit 2
fi
# The collection under test must be the one ansible-doc sees (bootstrap links this checkout there).
[ "$(readlink -f .cache/collections/ansible_collections/edgeops/nomad)" = "$(pwd -P)" ] \
  || { log ".cache/collections does not link this checkout: run make bootstrap"; exit 2; }

log "antsibull-changelog $(antsibull-changelog --version), release $version of $date"
antsibull-changelog lint
antsibull-changelog release --version "$version" --date "$date" --reload-plugins
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
yamllint --strict changelogs/changelog.yaml
[ -z "$(find changelogs/fragments -name '*.y*ml' 2>/dev/null)" ] || { log "fragments left in changelogs/fragments"; exit 1; }
log "wrote CHANGELOG.rst and changelogs/changelog.yaml; review them, then commit and tag $version"
