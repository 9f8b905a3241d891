# The execution environment (execution-environment.yml, ansible-builder 3), built and run for real; not part of
# make test (a cold build takes minutes and both start podman containers: run them under the heavy lock).
#   ee-build   scripts/ee/build.sh: the base image from Debian packages (scripts/ee/base-image.sh: mmdebstrap,
#              ansible-core and ansible-runner at the versions requirements-dev.txt pins), the collection
#              tarball, then `ansible-builder build` with podman -> localhost/edgeops-nomad-ee:<version>;
#              prints build time, image size and the ansible-core inside (.cache/ee/build.txt)
#   ee-demo    tests/e2e/ee/run_demo.sh: edgeops.nomad.site and deploy_jobs run inside that image through
#              ansible-runner transmit | worker (in the EE container) | process, as AAP runs a job template,
#              against the demo's cluster, edge containers and Nomad API double, twice (second pass: no host
#              changes)
.PHONY: ee-build ee-demo

ee-build: bootstrap
	@bash scripts/ee/build.sh >/dev/null

ee-demo: ee-build
	@bash tests/e2e/ee/run_demo.sh
