# Copyright (c) edgeops.nomad contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the roles' preflight tables use to validate inputs by type (internal to the roles: leading underscore).

* ``_type_errors``: one message per bad value of a type table ``{variable: type}`` (the values looked up by
  name), of a list of ``{var, value, type}`` checks, or of one value against one type spec; nested dicts and
  lists are walked, paths named.
* ``_agent_config_errors``: a Nomad agent configuration fragment (``*_extra_config``, or a block such
  as ``autopilot`` or ``client.reserved``) against Nomad's key schema, stricter than Nomad, and
  refusing the keys the role manages itself.

Both return a list of strings that start with the variable's name and never raise for bad user
input (only for a bad type spec, which is a bug in the role).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.edgeops.nomad.plugins.plugin_utils._nomad_agent_schema import KEYS, REMOVED
from ansible_collections.edgeops.nomad.plugins.plugin_utils import _nomad_validators as v


def type_errors(checks, spec=None, var=None, values=None):
    """Messages for every value that does not meet its type.

    ``checks`` is the roles' type table, a dict ``{variable name: spec}``, with ``values`` the variables' values
    (a dict by name, or a list in the table's order, e.g. ``query('ansible.builtin.vars', *table)``); or a list of
    ``{'var': name, 'value': value, 'type': spec}``; or, with ``spec`` (and ``var`` naming it), ``checks`` is
    the single value to check."""
    try:
        if spec is not None:
            return v.check_value(checks, spec, var or "value")
        if isinstance(checks, Mapping):
            checks = _table_rows(checks, values)
        if not isinstance(checks, list):
            raise AnsibleFilterError("type_errors: expected a dict {variable: type} with values, a list of {var, value, type}"
                                     " or a spec argument")
        errors = []
        for check in checks:
            if not isinstance(check, Mapping) or not {"var", "type"} <= set(check):
                raise AnsibleFilterError("type_errors: each check needs var, value and type, got %r" % (check,))
            errors.extend(v.check_value(check.get("value"), check["type"], check["var"]))
        return errors
    except v.SpecError as err:
        raise AnsibleFilterError("type_errors: %s" % err) from err


def _table_rows(table, values):
    """{name: spec} + the values (by name, or in the table's order) -> [{var, value, type}]."""
    names = list(table)
    if isinstance(values, Mapping):
        missing = [name for name in names if name not in values]
        if missing:
            raise AnsibleFilterError("type_errors: no value given for %s" % ", ".join(missing))
        found = [values[name] for name in names]
    elif isinstance(values, (list, tuple)) and len(values) == len(names):
        found = list(values)
    else:
        raise AnsibleFilterError("type_errors: a {variable: type} table needs values=: a dict by name or a list of %d"
                                 " values in the table's order" % len(names))
    return [{"var": name, "value": value, "type": table[name]} for name, value in zip(names, found)]


def _version(text):
    parts = []
    for piece in str(text).lstrip("v").split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts + [0] * (3 - len(parts)))


class _AgentChecker:
    def __init__(self, var, managed, version, edition):
        self.var = var
        self.managed = dict(managed or {})
        self.version = _version(version) if version else None
        self.edition = edition
        self.errors = []

    def err(self, rel, message):
        sep = "" if not rel or rel.startswith("[") else "."
        self.errors.append("%s%s%s: %s" % (self.var, sep, rel, message))

    def body(self, data, keys, full, rel, free_strings=False):
        if not isinstance(data, Mapping):
            self.err(rel, "%s is not a dict of Nomad agent settings" % v._show(data))
            return
        for key, value in data.items():
            key_full = "%s.%s" % (full, key) if full else str(key)
            key_rel = "%s.%s" % (rel, key) if rel else str(key)
            if key_full in self.managed:
                self.managed_key(key_rel, self.managed[key_full])
                continue
            spec = keys.get(key)
            if spec is None:
                if free_strings:
                    if not isinstance(value, str):
                        self.err(key_rel, "%s: keyring provider options are strings" % v._show(value))
                    continue
                self.unknown(key_rel, key_full, key, keys)
                continue
            self.value(value, spec, key_full, key_rel)

    def managed_key(self, rel, hint):
        if str(hint).startswith("nomad_"):
            self.err(rel, "is set by the role; use %s instead (extra config may only add keys the role does not manage)" % hint)
        else:
            self.err(rel, "is set by the role and cannot be overridden: %s" % hint)

    def unknown(self, rel, full, key, keys):
        if full in REMOVED:
            self.err(rel, "is not a Nomad agent setting any more (last in Nomad %s)%s" % (REMOVED[full], v.nearest(key, keys)))
            return
        guess = v.nearest(key, keys) or v.nearest(str(key).lower(), keys)
        if guess:
            self.err(rel, "is not a Nomad agent setting%s" % guess)
        else:
            self.err(rel, "is not a Nomad agent setting; allowed here: %s" % ", ".join(sorted(keys)))

    def value(self, value, spec, full, rel):
        kind = spec["t"]
        if spec.get("e") and self.edition == "ce":
            self.err(rel, "is a Nomad Enterprise setting (the edition is Community)")
        if self.version and _version(spec["s"]) > self.version:
            self.err(rel, "needs Nomad >= %s (the role installs %s)" % (spec["s"], ".".join(map(str, self.version))))
        if spec.get("d"):
            self.err(rel, "is deprecated in Nomad: use its replacement (see Nomad's agent configuration docs)")
        if kind == "block":
            items = value if spec.get("r") and isinstance(value, list) else [value]
            for index, item in enumerate(items):
                self.body(item, spec.get("k", {}), full, rel if len(items) == 1 and not isinstance(value, list)
                          else "%s[%d]" % (rel, index))
        elif kind == "labeled block":
            if not isinstance(value, Mapping):
                self.err(rel, "%s is not a dict of label -> block (e.g. {\"name\": {...}})" % v._show(value))
                return
            for label, body in value.items():
                bodies = body if isinstance(body, list) else [body]
                for index, item in enumerate(bodies):
                    where = "%s.%s" % (rel, label) + ("[%d]" % index if isinstance(body, list) else "")
                    self.body(item, spec.get("k", {}), full, where, free_strings=spec.get("x", False))
        else:
            problem = self.scalar(value, kind, spec)
            if problem:
                self.err(rel, problem)

    @staticmethod
    def scalar(value, kind, spec):
        scalar = isinstance(value, (str, int, float)) and not isinstance(value, bool)
        if kind == "duration":
            problem = v.check_go_duration(value)
        elif kind == "int":
            problem = v.check_int(value)
        elif kind == "float":
            problem = v.check_number(value)
        elif kind == "bool":
            problem = v.check_bool(value)
        elif kind == "string":
            problem = None if scalar else "%s is not a string" % v._show(value)
        elif kind == "bytes":
            problem = None if isinstance(value, str) and v.re.match(r"^\s*[0-9]+(\.[0-9]+)?\s*([kKmMgGtTpPeE]i?[bB]?|[bB])?\s*$", value) \
                else "%s is not a size such as '100GB' or '512MiB'" % v._show(value)
        elif kind == "list(string)":
            ok = isinstance(value, list) and all(isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in value)
            problem = None if ok else "%s is not a list of strings" % v._show(value)
        elif kind == "map(string)":
            ok = isinstance(value, Mapping) and all(isinstance(i, (str, int, float, bool)) for i in value.values())
            problem = None if ok else "%s is not a dict of strings" % v._show(value)
        elif kind == "map(any)":
            problem = None if isinstance(value, Mapping) else "%s is not a dict" % v._show(value)
        else:
            problem = None
        if problem is None and spec.get("a") and isinstance(value, str):
            allowed = spec["a"]
            if value not in allowed and value.upper() not in allowed:
                problem = "%s is not one of %s" % (v._show(value), ", ".join(repr(a) for a in allowed))
        return problem


def agent_config_errors(config, var, root="", managed=None, version=None, edition=None):
    """Messages for a Nomad agent configuration fragment checked against Nomad's key schema.

    ``config``: the fragment; ``var``: the variable's name (start of every message); ``root``: the
    dotted block the fragment is the body of ('' = the whole agent config, e.g. 'autopilot',
    'client.reserved', 'vault'); ``managed``: {dotted path: variable to use instead, or the reason
    it is fixed}; ``version``: the Nomad version the role installs (newer keys are refused);
    ``edition``: 'ce' refuses Enterprise-only keys."""
    checker = _AgentChecker(var, managed, version, edition)
    keys, spec = KEYS, None
    if root:
        for part in root.split("."):
            spec = keys.get(part)
            if spec is None or "k" not in spec:
                raise AnsibleFilterError("agent_config_errors: %r is not a block of the Nomad agent configuration" % root)
            keys = spec["k"]
    if config is None or (isinstance(config, Mapping) and not config):
        return []
    if spec is not None and spec["t"] == "block" and spec.get("r") and isinstance(config, list):
        for index, item in enumerate(config):
            checker.body(item, keys, root, "[%d]" % index)
    else:
        checker.body(config, keys, root, "", free_strings=bool(spec and spec.get("x")))
    return checker.errors


class FilterModule:
    def filters(self):
        return {
            "_type_errors": type_errors,
            "_agent_config_errors": agent_config_errors,
        }
