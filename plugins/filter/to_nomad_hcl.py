# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Serialize a Nomad agent configuration (a dict) into HCL.

The output uses the subset of HCL that both Nomad's HCL1 agent-config parser and HCL2
parsers (python-hcl2, used by the tests) read the same way:

* ``key = value`` attributes, ``name { ... }`` blocks, ``name "label" { ... }`` labeled blocks;
* ``key = { "any key" = value }`` object attributes for map-valued settings (client meta ...);
* strings in double quotes with only the escapes both dialects share (``\\\\``, ``\\"``,
  ``\\n``, ``\\r``, ``\\t``, ``\\uNNNN``). HCL1 has no ``$${`` escape (it would keep both
  dollars), so a literal ``${`` or ``%{`` is written as ``$\\u007b`` / ``%\\u007b``, which
  both dialects read back as ``${`` / ``%{``.

Keys are sorted (attributes first, then blocks) so the same input always gives the same bytes.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from decimal import Decimal

from ansible.errors import AnsibleFilterError

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
MARKER = "__hcl__"
MARKER_KINDS = ("block", "labeled", "map")

# Where the Nomad agent configuration expects labeled blocks (path of block names from the root).
AGENT_LABELED_BLOCKS = frozenset(
    {
        "client.host_volume",
        "client.host_network",
        "client.fingerprint",
        "plugin",
        "keyring",
        "sentinel.import",
        "audit.sink",
        "audit.filter",
    }
)
# Where it expects a map of arbitrary (possibly dotted) keys: rendered as `key = { "k" = v }`.
AGENT_MAP_ATTRIBUTES = frozenset(
    {
        "client.meta",
        "client.options",
        "client.chroot_env",
        "http_api_response_headers",
        "consul.service_identity.extra_claims",
        "consul.task_identity.extra_claims",
        "vault.default_identity.extra_claims",
    }
)
PROFILES = ("agent", "generic")


class _Serializer:
    def __init__(self, indent, labeled, maps):
        self.indent = indent
        self.labeled = labeled
        self.maps = maps

    # ---- scalars -------------------------------------------------------------------------
    @staticmethod
    def is_scalar(value):
        return isinstance(value, (str, bool, int, float))

    def scalar(self, value, where):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise AnsibleFilterError(f"to_nomad_hcl: {where}: {value} does not fit a 64-bit integer")
            return str(value)
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                raise AnsibleFilterError(f"to_nomad_hcl: {where}: {value!r} is not a finite number")
            text = repr(value)
            if "e" in text or "E" in text:
                text = format(Decimal(text), "f")
                if "." not in text:
                    text += ".0"
            return text
        if isinstance(value, str):
            return quote(value)
        raise self.type_error(value, where)

    @staticmethod
    def type_error(value, where):
        hint = ""
        if isinstance(value, (datetime.date, datetime.time)):
            hint = " (YAML read an unquoted date/time: quote it)"
        return AnsibleFilterError(
            f"to_nomad_hcl: {where}: unsupported value type {type_label(value)}{hint}; use strings, numbers, booleans, lists or dicts"
        )

    def value(self, value, where, depth):
        """An attribute value: scalar, list of values, or object."""
        if self.is_scalar(value):
            return self.scalar(value, where)
        if isinstance(value, Mapping):
            return self.obj(value, where, depth)
        if isinstance(value, (list, tuple)):
            items = []
            for i, item in enumerate(value):
                if item is None:
                    raise AnsibleFilterError(f"to_nomad_hcl: {where}[{i}]: null is not allowed in a list")
                items.append(self.value(item, f"{where}[{i}]", depth))
            return "[" + ", ".join(items) + "]"
        raise self.type_error(value, where)

    def obj(self, mapping, where, depth):
        """An object literal with quoted keys (map-valued attributes)."""
        entries = []
        for key in sorted(k for k in mapping if k != MARKER):
            check_key_type(key, where)
            if mapping[key] is None:
                continue
            entries.append((key, self.value(mapping[key], f"{where}.{key}", depth + 1)))
        if not entries:
            return "{}"
        pad = " " * (self.indent * (depth + 1))
        lines = ["{"] + [f"{pad}{quote(k)} = {v}" for k, v in entries]
        lines.append(" " * (self.indent * depth) + "}")
        return "\n".join(lines)

    # ---- bodies --------------------------------------------------------------------------
    def kind(self, value, path):
        """How a dict value at `path` is rendered: block, labeled or map."""
        if isinstance(value, Mapping) and MARKER in value:
            kind = value[MARKER]
            if kind not in MARKER_KINDS:
                raise AnsibleFilterError(f"to_nomad_hcl: {path}: {MARKER} must be one of {', '.join(MARKER_KINDS)}, got {kind!r}")
            return kind
        if path in self.maps:
            return "map"
        if path in self.labeled:
            return "labeled"
        return "block"

    def body(self, mapping, path, depth):
        """Lines of a block body (or the whole file when depth == 0)."""
        pad = " " * (self.indent * depth)
        attributes, blocks = [], []
        for key in sorted(k for k in mapping if k != MARKER):
            check_key_type(key, path or "top level")
            value = mapping[key]
            where = f"{path}.{key}" if path else key
            if value is None:
                continue
            if not IDENTIFIER.match(key):
                raise AnsibleFilterError(
                    f"to_nomad_hcl: {where}: {key!r} is not a valid HCL name; keys such as dotted "
                    f"meta keys belong in a map attribute (mark the parent with {MARKER}: map)"
                )
            if isinstance(value, Mapping):
                kind = self.kind(value, where)
                if kind == "map":
                    attributes.append(f"{pad}{key} = {self.obj(value, where, depth)}")
                elif kind == "labeled":
                    blocks.extend(self.labeled_blocks(key, value, where, depth))
                else:
                    blocks.append(self.block(key, [], value, where, depth))
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value):
                if where in self.maps:
                    attributes.append(f"{pad}{key} = {self.value(value, where, depth)}")
                    continue
                for i, item in enumerate(value):
                    blocks.append(self.block(key, [], item, f"{where}[{i}]", depth, path=where))
            elif isinstance(value, (list, tuple)) and any(isinstance(v, Mapping) for v in value):
                raise AnsibleFilterError(f"to_nomad_hcl: {where}: a list must hold either only dicts (repeated blocks) or no dicts")
            else:
                attributes.append(f"{pad}{key} = {self.value(value, where, depth)}")
        lines = list(attributes)
        for block in blocks:
            if lines:
                lines.append("")
            lines.extend(block)
        return lines

    def labeled_blocks(self, key, mapping, where, depth):
        out = []
        for label in sorted(k for k in mapping if k != MARKER):
            check_key_type(label, where)
            item = mapping[label]
            if item is None:
                continue
            items = item if isinstance(item, (list, tuple)) else [item]
            for i, one in enumerate(items):
                at = f"{where}[{label!r}]" + (f"[{i}]" if item is not one else "")
                if not isinstance(one, Mapping):
                    raise AnsibleFilterError(
                        f"to_nomad_hcl: {at}: a labeled block's value must be a dict (or a list of dicts), " f"got {type(one).__name__}"
                    )
                out.append(self.block(key, [label], one, at, depth, path=where))
        return out

    def block(self, name, labels, mapping, where, depth, path=None):
        if not isinstance(mapping, Mapping):
            raise AnsibleFilterError(f"to_nomad_hcl: {where}: a block must be a dict, got {type(mapping).__name__}")
        pad = " " * (self.indent * depth)
        head = pad + " ".join([name] + [quote(label) for label in labels])
        inner = self.body(mapping, path or where, depth + 1)
        if not inner:
            return [f"{head} {{}}"]
        return [f"{head} {{"] + inner + [f"{pad}}}"]


def type_label(value):
    """The type's name without Ansible's data-tagging prefix (_AnsibleTaggedDate -> date)."""
    name = type(value).__name__
    return name.replace("_AnsibleTagged", "").lower() if name.startswith("_AnsibleTagged") else name


def check_key_type(key, where):
    if not isinstance(key, str):
        raise AnsibleFilterError(f"to_nomad_hcl: {where}: key {key!r} is a {type(key).__name__}; keys must be strings")


def quote(text):
    """Quote a string for both HCL1 and HCL2."""
    out = ['"']
    length = len(text)
    for i, char in enumerate(text):
        nxt = text[i + 1] if i + 1 < length else ""
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char in "$%" and nxt == "{":
            out.append(char + "\\u007b")
        elif char == "{" and i > 0 and text[i - 1] in "$%":
            continue  # already written as \u007b
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _paths(value, name):
    if value is None:
        return set()
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise AnsibleFilterError(f"to_nomad_hcl: {name} must be a list of dotted paths such as client.host_volume")
    for item in value:
        if not isinstance(item, str) or not item:
            raise AnsibleFilterError(f"to_nomad_hcl: {name} must be a list of dotted paths, got {item!r}")
    return set(value)


def to_nomad_hcl(data, indent=2, profile="agent", labeled_blocks=None, map_attributes=None):
    """Render a dict as HCL (see the module docstring and to_nomad_hcl.yml)."""
    if not isinstance(data, Mapping):
        raise AnsibleFilterError(f"to_nomad_hcl: input must be a dict, got {type(data).__name__}")
    if isinstance(indent, bool) or not isinstance(indent, int) or not 0 < indent <= 8:
        raise AnsibleFilterError(f"to_nomad_hcl: indent must be an integer from 1 to 8, got {indent!r}")
    if profile not in PROFILES:
        raise AnsibleFilterError(f"to_nomad_hcl: profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    labeled = _paths(labeled_blocks, "labeled_blocks")
    maps = _paths(map_attributes, "map_attributes")
    if profile == "agent":
        labeled |= AGENT_LABELED_BLOCKS
        maps |= AGENT_MAP_ATTRIBUTES
    lines = _Serializer(indent, labeled, maps).body(data, "", 0)
    return "\n".join(lines) + "\n" if lines else ""


def nomad_hcl_quote(text):
    """Quote one string the way to_nomad_hcl does (for hand-written HCL templates)."""
    if not isinstance(text, str):
        raise AnsibleFilterError(f"nomad_hcl_quote: input must be a string, got {type(text).__name__}")
    return quote(text)


class FilterModule:
    """Nomad HCL filters."""

    def filters(self):
        return {
            "to_nomad_hcl": to_nomad_hcl,
            "nomad_hcl_quote": nomad_hcl_quote,
        }
