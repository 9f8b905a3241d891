# The edge host images (tests/tools/edge_images/build.sh: Debian 12 systemd, built with mmdebstrap, cached by
# content). Built on demand by the Molecule scenarios, the fleet runs and the benchmarks; not steps of
# their own in make test.
#   images-amd64 / images-arm64   one architecture each (arm64 runs under qemu-user-static)
.PHONY: images-amd64 images-arm64

images-amd64:
	@bash tests/tools/edge_images/build.sh amd64 >/dev/null

images-arm64:
	@bash tests/tools/edge_images/build.sh arm64 >/dev/null
