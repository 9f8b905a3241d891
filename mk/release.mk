# The release cut (not part of make test): antsibull-changelog folds changelogs/fragments into
# changelogs/changelog.yaml and CHANGELOG.rst for galaxy.yml's version (scripts/release-notes.sh).
#   make release-notes RELEASE_DATE=YYYY-MM-DD    on a clean checkout; then commit and tag
#   galaxy-importer   Galaxy's own importer (galaxy-importer from PyPI, its ansible-lint on) on the built
#                     tarball: fails on any warning or error it reports (scripts/galaxy-importer.sh)
.PHONY: release-notes galaxy-importer

release-notes: bootstrap
	@RELEASE_DATE="$(RELEASE_DATE)" bash scripts/release-notes.sh

galaxy-importer: bootstrap
	@bash scripts/galaxy-importer.sh
