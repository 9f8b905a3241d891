# What a release is made of, besides the tarball that build-check checks.
#   integration-docsite  (make test) docs/docsite/ up to date with the guides of docs/*.md (pandoc to RST) and
#                        antsibull-docs lint-collection-docs on the docs site inputs and every plugin's docs
#                        (scripts/docsite.sh --check)
# Not part of make test:
#   release-notes RELEASE_DATE=YYYY-MM-DD  the release cut: antsibull-changelog folds changelogs/fragments into
#                     changelogs/changelog.yaml and CHANGELOG.rst for galaxy.yml's version (scripts/release-notes.sh,
#                     on a clean checkout); then commit and tag
#   galaxy-importer   Galaxy's own importer (galaxy-importer from PyPI, its ansible-lint on) on the built
#                     tarball: fails on anything the collection can fix (scripts/galaxy-importer.sh)
INTEGRATION_STEPS += integration-docsite

.PHONY: integration-docsite release-notes galaxy-importer

integration-docsite:
	shellcheck -x scripts/docsite.sh scripts/release-notes.sh scripts/galaxy-importer.sh scripts/ee/*.sh scripts/ee/ee-apt tests/e2e/ee/*.sh
	bash scripts/docsite.sh --check

release-notes: bootstrap
	@RELEASE_DATE="$(RELEASE_DATE)" bash scripts/release-notes.sh

galaxy-importer: bootstrap
	@bash scripts/galaxy-importer.sh
