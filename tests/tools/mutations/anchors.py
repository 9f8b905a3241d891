# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a mutation applies and what it changes, found by a stable anchor instead of a literal snippet.

An entry of mutations.yml names its place with `in:` and its change with one operation:

  in: NomadClient.request                Python: a function, method, class or module-level assignment by its
                                          qualified name; the operation applies inside its source only
  in: {task: "Preflight | Check inputs"}  YAML: the task with this name (its whole item)
  in: {key: __nomad_server_kube_min}      YAML: the mapping key and its value (the more-indented lines under it)
  in: {jinja: "set __edge_ports"}         Jinja: the statement starting so ({% set ... %}; for if/for/macro/block
                                          and a block set, up to its {% end... %})
  in: {file: "what the file is"}          any file without such structure (a short shell script): the whole file

  Python operations (found through the AST inside the anchor, spelled as Python: formatting does not matter):
    expr:    {old: EXPR, new: EXPR}       replace the one expression equal to old
    compare: {expr: EXPR, to: OP[, op: N]} change the Nth operator (default 1) of the one comparison equal to expr
    negate:  EXPR                         negate the one if/elif/while test equal to EXPR
    drop:    STATEMENT                    replace the one statement equal to STATEMENT with `pass`
  Text operations (any file; whitespace-insensitive, searched only inside the anchor):
    replace: {old: TEXT, new: TEXT}       replace the one occurrence of old
    drop:    TEXT                         (YAML/Jinja) delete the one line containing TEXT, and the lines nested
                                          under it when it opens a block (a line ending with ':')

Every search must find exactly one place, or the entry is stale (StaleEntry says what was not found).
"""

from __future__ import annotations

import ast
import re

PYTHON_OPS = ("expr", "compare", "negate", "drop", "replace")
TEXT_OPS = ("replace", "drop")
COMPARE_OPS = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE,
               "is": ast.Is, "is not": ast.IsNot, "in": ast.In, "not in": ast.NotIn}
JINJA_BLOCKS = ("if", "for", "macro", "block", "call", "filter")


class StaleEntry(Exception):
    """The anchor or the change of an entry is not found exactly once."""


def operation(entry: dict) -> str:
    ops = [op for op in PYTHON_OPS if op in entry]
    if len(ops) != 1:
        raise StaleEntry("needs exactly one of %s, has %s" % (", ".join(PYTHON_OPS), ops or "none"))
    return ops[0]


def mutate(entry: dict, text: str) -> str:
    """The text of entry["file"] with the entry's mutation applied."""
    op = operation(entry)
    where = entry.get("in")
    if not where:
        raise StaleEntry("has no anchor (in:)")
    if isinstance(where, str):
        return _mutate_python(text, where, op, entry[op])
    if op not in TEXT_OPS:
        raise StaleEntry("%s works on Python only; use replace or drop" % op)
    if not isinstance(where, dict) or len(where) != 1:
        raise StaleEntry("in: must be a qualified Python name or one of task, key, jinja, file")
    (kind, name), = where.items()
    finders = {"task": _yaml_task, "key": _yaml_key, "jinja": _jinja_statement,
               "file": lambda whole, dummy: (0, len(whole))}
    if kind not in finders:
        raise StaleEntry("unknown anchor kind %r (task, key, jinja or file)" % kind)
    start, end = finders[kind](text, str(name))
    scope = text[start:end]
    if op == "replace":
        new_scope = _replace_text(scope, entry["replace"]["old"], entry["replace"].get("new", ""))
    else:
        new_scope = _drop_line(scope, entry["drop"])
    return text[:start] + new_scope + text[end:]


# --- text helpers -------------------------------------------------------------------------------------------------
def _squeeze(text: str) -> tuple[str, list[int]]:
    """text without whitespace, and for each kept character its index in text."""
    kept = [(i, c) for i, c in enumerate(text) if not c.isspace()]
    return "".join(c for dummy, c in kept), [i for i, dummy in kept]


def _find_once(scope: str, needle: str, what: str) -> tuple[int, int]:
    """The one whitespace-insensitive occurrence of needle in scope, as (start, end) in scope."""
    flat, index = _squeeze(scope)
    want = _squeeze(needle)[0]
    if not want:
        raise StaleEntry("%s is empty" % what)
    hits = [m.start() for m in re.finditer("(?=%s)" % re.escape(want), flat)]
    if len(hits) != 1:
        raise StaleEntry("%s %r occurs %d times in the anchor" % (what, needle, len(hits)))
    return index[hits[0]], index[hits[0] + len(want) - 1] + 1


def _replace_text(scope: str, old: str, new: str) -> str:
    start, end = _find_once(scope, old, "replace.old")
    return scope[:start] + new + scope[end:]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _drop_line(scope: str, needle: str) -> str:
    start, end = _find_once(scope, needle, "drop")
    lines = scope.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    first = max(i for i in range(len(lines)) if offsets[i] <= start)
    if offsets[first + 1] < end:
        raise StaleEntry("drop %r spans more than one line" % needle)
    last = first + 1
    if lines[first].rstrip().endswith(":"):  # a key that opens a block: its nested lines go too
        while last < len(lines) and (not lines[last].strip() or _indent(lines[last]) > _indent(lines[first])):
            last += 1
    return "".join(lines[:first] + lines[last:])


# --- YAML and Jinja anchors ---------------------------------------------------------------------------------------
def _line_offsets(text: str) -> tuple[list[str], list[int]]:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return lines, offsets


def _block_end(lines: list[str], first: int, indent: int) -> int:
    """The index after the last line nested deeper than indent, from line first + 1 on (blank lines at the end
    excluded)."""
    last = first + 1
    while last < len(lines) and (not lines[last].strip() or _indent(lines[last]) > indent):
        last += 1
    while last > first + 1 and not lines[last - 1].strip():
        last -= 1
    return last


def _only(found: list, what: str) -> int:
    if len(found) != 1:
        raise StaleEntry("%s found %d times" % (what, len(found)))
    return found[0]


def _yaml_task(text: str, name: str) -> tuple[int, int]:
    lines, offsets = _line_offsets(text)
    pattern = re.compile(r"^(\s*)(-\s+)?name:\s*(.*?)\s*$")
    found = []
    for i, line in enumerate(lines):
        match = pattern.match(line)
        if not match or match.group(3).strip("\"'") != name:
            continue
        indent = len(match.group(1))
        if match.group(2):
            found.append((i, indent))
            continue
        # name: is not the first key of the item: the item starts at the "- " line above, two columns left
        item = re.compile(r"^ {%d}-\s" % (indent - 2))
        start = next((j for j in range(i - 1, -1, -1) if item.match(lines[j])
                      or (lines[j].strip() and _indent(lines[j]) < indent - 2)), None)
        if start is not None and item.match(lines[start]):
            found.append((start, indent - 2))
    first, item_indent = _only(found, "task %r" % name)
    return offsets[first], offsets[_block_end(lines, first, item_indent)]


def _yaml_key(text: str, key: str) -> tuple[int, int]:
    lines, offsets = _line_offsets(text)
    pattern = re.compile(r"^(\s*)(-\s+)?([\"']?)%s\3\s*:(\s|$)" % re.escape(key))
    first = _only([i for i, line in enumerate(lines) if pattern.match(line)], "key %r" % key)
    match = pattern.match(lines[first])
    indent = len(match.group(1)) + len(match.group(2) or "")
    return offsets[first], offsets[_block_end(lines, first, indent)]


def _jinja_statement(text: str, head: str) -> tuple[int, int]:
    tags = list(re.finditer(r"\{%-?\s*(.*?)\s*-?%\}", text, re.S))
    want = re.compile(r"^%s(?![\w.])" % re.escape(" ".join(head.split())))
    found = [k for k, tag in enumerate(tags) if want.match(" ".join(tag.group(1).split()))]
    k = _only(found, "Jinja statement %r" % head)
    words = tags[k].group(1).split()
    keyword = words[0]
    if keyword not in JINJA_BLOCKS and not (keyword == "set" and "=" not in tags[k].group(1)):
        return tags[k].start(), tags[k].end()
    depth = 0
    for tag in tags[k:]:
        word = tag.group(1).split()[0] if tag.group(1).split() else ""
        if word == keyword and (keyword != "set" or "=" not in tag.group(1)):
            depth += 1
        elif word == "end" + keyword:
            depth -= 1
            if depth == 0:
                return tags[k].start(), tag.end()
    raise StaleEntry("Jinja statement %r has no end%s" % (head, keyword))


# --- Python anchors -----------------------------------------------------------------------------------------------
def _children(body):
    """Definitions at this level, looking into if/try/with blocks but not into functions or classes."""
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            nested = list(node.body) + list(getattr(node, "orelse", [])) + list(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                nested += handler.body
            yield from _children(nested)


def _defines(node, name: str) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    return False


def _python_scope(tree: ast.Module, qualname: str):
    scope = tree
    for part in qualname.split("."):
        if not hasattr(scope, "body") or isinstance(scope, (ast.Assign, ast.AnnAssign)):
            raise StaleEntry("%s: %s has no members" % (qualname, part))
        scope = _only([n for n in _children(scope.body) if _defines(n, part)], "%s (at %s)" % (qualname, part))
    return scope


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of (1-based line, UTF-8 byte column) in the text the lines came from."""
    before = sum(len(line) for line in lines[:lineno - 1])
    return before + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8"))


def _span(lines: list[str], node) -> tuple[int, int]:
    return _offset(lines, node.lineno, node.col_offset), _offset(lines, node.end_lineno, node.end_col_offset)


def _normal(code: str, mode: str) -> str:
    try:
        parsed = ast.parse(code.strip(), mode=mode)
    except SyntaxError as exc:
        raise StaleEntry("%r is not Python: %s" % (code, exc.msg))
    return ast.unparse(parsed.body if mode == "eval" else parsed)


def _matching(scope, kinds, code: str, mode: str, key=lambda node: node) -> list:
    want = _normal(code, mode)
    return [node for node in ast.walk(scope) if isinstance(node, kinds) and ast.unparse(key(node)) == want]


def _mutate_python(text: str, qualname: str, op: str, arg) -> str:
    lines = text.splitlines(keepends=True)
    scope = _python_scope(ast.parse(text), qualname)
    first_line = min([scope.lineno] + [d.lineno for d in getattr(scope, "decorator_list", [])])
    if op == "replace":
        start, end = _offset(lines, first_line, 0), _offset(lines, scope.end_lineno, scope.end_col_offset)
        out = text[:start] + _replace_text(text[start:end], arg["old"], arg.get("new", "")) + text[end:]
    elif op == "expr":
        node = _only(_matching(scope, ast.expr, arg["old"], "eval"), "%s: expression %r" % (qualname, arg["old"]))
        start, end = _span(lines, node)
        out = text[:start] + "(%s)" % arg["new"].strip() + text[end:]
    elif op == "compare":
        node = _only(_matching(scope, ast.Compare, arg["expr"], "eval"), "%s: comparison %r" % (qualname, arg["expr"]))
        index = int(arg.get("op", 1)) - 1
        if not 0 <= index < len(node.ops) or arg["to"] not in COMPARE_OPS:
            raise StaleEntry("%s: comparison %r has no operator %s, or %r is no operator" % (qualname, arg["expr"], index + 1, arg["to"]))
        mutated = ast.Compare(left=node.left, ops=list(node.ops), comparators=node.comparators)
        mutated.ops[index] = COMPARE_OPS[arg["to"]]()
        start, end = _span(lines, node)
        out = text[:start] + "(%s)" % ast.unparse(mutated) + text[end:]
    elif op == "negate":
        test = _only(_matching(scope, (ast.If, ast.While), arg, "eval", key=lambda node: node.test),
                     "%s: if/while test %r" % (qualname, arg)).test
        start, end = _span(lines, test)
        out = text[:start] + "not (%s)" % text[start:end] + text[end:]
    else:  # drop
        node = _only(_matching(scope, ast.stmt, arg, "exec"), "%s: statement %r" % (qualname, arg))
        start, end = _offset(lines, node.lineno, 0), _offset(lines, node.end_lineno, len(lines[node.end_lineno - 1].encode("utf-8")))
        indent = lines[node.lineno - 1][:len(lines[node.lineno - 1]) - len(lines[node.lineno - 1].lstrip())]
        out = text[:start] + indent + "pass\n" + text[end:]
    try:
        ast.parse(out)
    except SyntaxError as exc:
        raise StaleEntry("%s: the mutated file does not parse (%s, line %s)" % (qualname, exc.msg, exc.lineno))
    return out
