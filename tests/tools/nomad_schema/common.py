# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the schema checker: locating shared/nomad, durations, versions, types."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from .hclload import Expr

_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$")
_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_BYTES = re.compile(r"^\s*\d+(\.\d+)?\s*([kKmMgGtTpPeE]i?[bB]?|[bB])?\s*$")


def shared_dir():
    """shared/ holds the derived Nomad schema: $EDGEOPS_SHARED, else <repo>/../shared."""
    env = os.environ.get("EDGEOPS_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared"


@lru_cache(maxsize=None)
def load_schema(name, shared=None):
    base = Path(shared) if shared else shared_dir()
    path = base / "nomad" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: set EDGEOPS_SHARED to the shared/ directory")
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def parse_duration(text):
    """Seconds for a Go duration string, or None when it does not parse."""
    if not isinstance(text, str):
        return None
    if text in ("0", "-0", "+0"):
        return 0.0
    if not _DURATION.match(text):
        return None
    sign = -1.0 if text.startswith("-") else 1.0
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)", text):
        total += float(number) * _UNITS[unit]
    return sign * total


def is_bytes(text):
    return isinstance(text, str) and bool(_BYTES.match(text))


def version_tuple(text):
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", str(text).strip())
    if not match:
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(p or 0) for p in match.groups())


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def type_name(value):
    if isinstance(value, Expr):
        return f"expression {value.text!r}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def show(value):
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)
