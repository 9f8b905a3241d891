"""Tests of scripts/check-commands.py: it must find every command in command position of a shell line, and
nothing that is not one, or CI either misses a package bindep.txt lacks or fails on a word that is no command."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("check_commands", Path(__file__).resolve().parents[1] / "check-commands.py")
check_commands = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_commands)


def commands(text: str) -> list[str]:
    return [word for word in check_commands.script_commands(text) if word not in check_commands.SHELL_WORDS]  # as collect()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # arithmetic inside a double-quoted string is no command substitution (the CI failure of stop 18)
        ('[ "$w" = 0 ] || log "waited $((w / 10)).$((w % 10)) s"', ["log"]),
        ("n=$((count + 1)); sleep 1", ["sleep"]),
        # a command substitution inside a double-quoted string still calls its command
        ('id="$(podman ps -q --filter name=x)"', ["podman"]),
        ('date "+state: $(systemctl is-active nomad | tr -d x)"', ["date", "systemctl", "tr"]),
        # quoted words, comments and here-document bodies are no commands
        ("date 'mmdebstrap --variant=apt' # qemu-img later", ["date"]),
        ("cat <<EOF\nshellcheck x\nEOF\nskopeo inspect x", ["cat", "skopeo"]),
        # separators, prefixes and assignments
        ("A=1 timeout 5 curl -s x && jq . | sort; env X=1 gpg --verify f", ["curl", "jq", "sort", "gpg"]),
        ("if ! arch-test arm64; then exec qemu-aarch64-static x; fi", ["arch-test", "qemu-aarch64-static"]),
        ("files=(a b c)", []),
    ],
)
def test_commands_in_shell_text(text, expected):
    assert commands(text) == expected
