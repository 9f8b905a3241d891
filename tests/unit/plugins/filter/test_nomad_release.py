"""nomad_release_sha256s: the SHA256SUMS of a Nomad release as platform -> checksum."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.filter.nomad_release import (
    nomad_release_binaries,
    nomad_release_sha256s,
    nomad_sha256sum_output,
)

A = "a" * 64
B = "b" * 64
C = "0123456789abcdef" * 4
D = "f" * 64
# The layout of releases.hashicorp.com/nomad/<v>/nomad_<v>_SHA256SUMS (sha256sum text mode), plus
# what a careless mirror may add: binary-mode lines, another version, packages, junk.
SUMS = "\n".join([
    "%s  nomad_2.0.5_linux_amd64.zip" % A,
    "%s *nomad_2.0.5_linux_arm64.zip" % B,
    "%s  nomad_2.0.5_windows_amd64.zip" % C,
    "%s  nomad_2.0.50_linux_amd64.zip" % D,     # another version sharing the prefix digits
    "%s  nomad_2.0.6_linux_amd64.zip" % D,      # another version
    "%s  nomad_2.0.5_linux_amd64.deb" % D,      # not a zip
    "%s  nomad_2.0.5_.zip" % D,                 # no platform
    "%s  nomad_2.0.5_darwin_arm64.zip extra" % D,  # three fields
    "%s  nomad_2.0.5_freebsd_amd64.zip" % A.upper(),  # not lower-case hex
    "",
    "garbage",
])


def test_each_platform_of_the_version_and_nothing_else():
    assert nomad_release_sha256s(SUMS, "2.0.5") == {"linux_amd64": A, "linux_arm64": B, "windows_amd64": C}


def test_the_version_is_matched_exactly():
    assert nomad_release_sha256s(SUMS, "2.0.50") == {"linux_amd64": D}
    assert nomad_release_sha256s(SUMS, "2.0") == {}


@pytest.mark.parametrize("text", ["", None, "\n\n"])
def test_a_file_not_read_yet_gives_no_platforms(text):
    assert nomad_release_sha256s(text, "2.0.5") == {}


@pytest.mark.parametrize("text, version", [(["x"], "2.0.5"), (SUMS, ""), (SUMS, None)])
def test_wrong_arguments_are_refused(text, version):
    with pytest.raises(AnsibleFilterError, match="nomad_release_sha256s"):
        nomad_release_sha256s(text, version)


# --- nomad_release_binaries: where the role unpacks each verified Linux archive on the controller -------------

def test_binaries_are_keyed_by_the_archive_checksum_linux_only():
    sums = {"linux_amd64": A, "linux_arm64": B, "windows_amd64": C}
    assert nomad_release_binaries(sums, "/cache/2.0.5/") == {
        "linux_amd64": "/cache/2.0.5/linux_amd64-%s/nomad" % A[:16],
        "linux_arm64": "/cache/2.0.5/linux_arm64-%s/nomad" % B[:16],
    }


def test_binaries_of_the_batch_platforms_only():
    sums = {"linux_amd64": A, "linux_arm64": B}
    assert list(nomad_release_binaries(sums, "/c", ["linux_arm64", "windows_amd64"])) == ["linux_arm64"]


def test_another_archive_of_the_same_platform_gets_another_directory():
    assert nomad_release_binaries({"linux_amd64": A}, "/c") != nomad_release_binaries({"linux_amd64": B}, "/c")


# --- nomad_sha256sum_output: `sha256sum FILE...` as file -> checksum ------------------------------------------

def test_sha256sum_output_maps_each_file():
    out = "%s  /c/linux_amd64-aaaa/nomad\n%s */c/linux_arm64-bbbb/nomad\nsha256sum: /x: No such file or directory" % (A, B)
    assert nomad_sha256sum_output(out) == {"/c/linux_amd64-aaaa/nomad": A, "/c/linux_arm64-bbbb/nomad": B}


@pytest.mark.parametrize("text", ["", None])
def test_sha256sum_output_empty(text):
    assert nomad_sha256sum_output(text) == {}
