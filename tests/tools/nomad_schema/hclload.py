# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read HCL with python-hcl2 into a small document model (test tool, not product code).

python-hcl2 8.x returns string literals still quoted and escaped, block bodies marked with
``__is_block__`` and labels as quoted dict keys. This module turns that into:

* ``Body(attrs, blocks)``: ``attrs`` maps names to plain values (str/int/float/bool/list/dict or
  ``Expr`` for anything that is not a literal, such as ``var.x``); ``blocks`` is a list of ``Block``.
* ``Block(type, labels, body)``.

``to_plain`` folds a ``Body`` into nested dicts the way ``edgeops.nomad.to_nomad_hcl`` takes them
(single block -> dict, repeated block -> list, labeled block -> {label: body}).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import hcl2
from hcl2.utils import SerializationOptions

_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=True, preserve_heredocs=False)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class HCLError(ValueError):
    """The text is not HCL python-hcl2 can read."""


@dataclass(frozen=True)
class Expr:
    """A value that is not a literal (a reference, function call, operation ...)."""

    text: str


@dataclass
class Block:
    type: str
    labels: list
    body: "Body"


@dataclass
class Body:
    attrs: dict = field(default_factory=dict)
    blocks: list = field(default_factory=list)

    def blocks_of(self, name):
        return [b for b in self.blocks if b.type == name]


def unquote(text):
    """Decode an HCL2 quoted string literal (with its quotes) into its value."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise HCLError(f"not a quoted string: {text!r}")
    inner = text[1:-1]
    out = []
    i = 0
    while i < len(inner):
        char = inner[i]
        if char == "\\" and i + 1 < len(inner):
            nxt = inner[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            width = {"u": 4, "U": 8}.get(nxt)
            digits = inner[i + 2 : i + 2 + width] if width else ""
            if width and len(digits) == width and re.fullmatch(r"[0-9a-fA-F]+", digits):
                out.append(chr(int(digits, 16)))
                i += 2 + width
                continue
            raise HCLError(f"invalid escape \\{nxt} in {text!r}")
        if char in "$%" and inner[i + 1 : i + 3] == char + "{":
            out.append(char + "{")  # $${ -> ${ and %%{ -> %{
            i += 3
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _key(text):
    return unquote(text) if text.startswith('"') else text


def _value(raw):
    if isinstance(raw, str):
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            return unquote(raw)
        if raw.startswith("${") and raw.endswith("}"):
            inner = raw[2:-1]
            if re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", inner):
                return float(inner) if any(c in inner for c in ".eE") else int(inner)
            if inner in ("null",):
                return None
            return Expr(inner)
        return Expr(raw)
    if isinstance(raw, list):
        return [_value(v) for v in raw]
    if isinstance(raw, dict):
        return {_key(k): _value(v) for k, v in raw.items() if k != "__is_block__"}
    return raw


def _is_block(value):
    return isinstance(value, dict) and value.get("__is_block__") is True


def _blocks(name, items):
    """python-hcl2 lists one entry per block; labels are nested single-key dicts."""
    out = []
    for item in items:
        labels = []
        node = item
        while not _is_block(node):
            if not isinstance(node, dict) or len(node) != 1:
                raise HCLError(f"cannot read block {name!r}: unexpected shape")
            ((label, node),) = node.items()
            labels.append(_key(label))
        out.append(Block(name, labels, _body(node)))
    return out


def _body(raw):
    body = Body()
    for key, value in raw.items():
        if key == "__is_block__":
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) for v in value)
            and all(_is_block(v) or (len(v) == 1 and not _is_block(v) and _leads_to_block(v)) for v in value)
        ):
            body.blocks.extend(_blocks(key, value))
        else:
            body.attrs[_key(key)] = _value(value)
    return body


def _leads_to_block(value):
    while isinstance(value, dict) and not _is_block(value):
        if len(value) != 1:
            return False
        ((label, value),) = value.items()
        if not (isinstance(label, str) and label.startswith('"')):
            return False
    return _is_block(value)


def loads(text):
    """Parse HCL text into a Body."""
    try:
        raw = hcl2.loads(text, serialization_options=_OPTIONS)
    except Exception as err:  # python-hcl2 raises lark errors of many kinds
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise HCLError(f"HCL syntax error: {first}") from err
    return _body(raw)


def load(path):
    with open(path, encoding="utf-8") as handle:
        return loads(handle.read())


def to_plain(body):
    """Fold a Body into nested dicts/lists (see the module docstring)."""
    out = {}
    for key, value in body.attrs.items():
        out[key] = value
    grouped = {}
    for block in body.blocks:
        grouped.setdefault(block.type, []).append(block)
    for name, blocks in grouped.items():
        if all(not b.labels for b in blocks):
            bodies = [to_plain(b.body) for b in blocks]
            out[name] = bodies[0] if len(bodies) == 1 else bodies
            continue
        labeled = {}
        for block in blocks:
            label = block.labels[0] if block.labels else ""
            labeled.setdefault(label, []).append(to_plain(block.body))
        out[name] = {k: (v[0] if len(v) == 1 else v) for k, v in labeled.items()}
    return out
