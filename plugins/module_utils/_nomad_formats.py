# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Go durations and Nomad name patterns: the one implementation every plugin and role uses.

Private (leading underscore): no compatibility promise outside this collection.

Modules import it directly; the controller side (plugin_utils/_nomad_validators.py, the test plugins,
the filters) imports it from here, and the roles reach it through the filters
(``edgeops.nomad._go_duration_seconds``) and tests (``is edgeops.nomad.go_duration``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from fractions import Fraction

# ---------------------------------------------------------------------------------------------
# Go durations, as Nomad reads them: time.ParseDuration (Go src/time/format.go, func ParseDuration),
# used for every duration of the agent config (command/agent/config_parse.go) and of the API
# (api/operator_autopilot.go AutopilotConfiguration.UnmarshalJSON). Grammar: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+
# or "0"; units ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h; every number needs a digit before or
# after the dot; the total must fit in an int64 of nanoseconds. Go's own Duration.String() writes
# "µs" (U+00B5), so a value Nomad hands back may carry it.

GO_DURATION_UNITS = {"ns": 1, "us": 1000, "\u00b5s": 1000, "\u03bcs": 1000, "ms": 10 ** 6, "s": 10 ** 9,
                     "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}
_GO_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
_INT64_MAX = 2 ** 63 - 1


def parse_go_duration(text):
    """Nanoseconds (a Fraction) for a Go duration string, or None when Go would refuse it."""
    if not isinstance(text, str) or not text:
        return None
    s = text
    neg = False
    if s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return Fraction(0)
    if not s:
        return None
    total = Fraction(0)
    pos = 0
    while pos < len(s):
        if not (s[pos] == "." or s[pos].isdigit()):
            return None
        match = _GO_PART.match(s, pos)
        whole, frac, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not frac:
            return None  # "." or ".s": no digits
        if not unit:
            return None  # missing unit
        if unit not in GO_DURATION_UNITS:
            return None
        number = Fraction(int(whole or "0"))
        if frac:
            number += Fraction(int(frac), 10 ** len(frac))
        total += number * GO_DURATION_UNITS[unit]
        if total > _INT64_MAX + 1:
            return None
        pos = match.end()
    if total > (_INT64_MAX + 1 if neg else _INT64_MAX):
        return None
    return -total if neg else total


def duration_to_ns(value):
    """Go duration text ("1h30m", "200ms", "10s") or a number of nanoseconds -> int nanoseconds.

    What the modules take: the Nomad API carries durations as int nanoseconds, so an int (or a string of
    digits) is a number of nanoseconds. Raises ValueError with a readable message for anything else.
    """
    if isinstance(value, bool):
        raise ValueError("not a duration: %r" % (value,))
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    nanos = parse_go_duration(text)
    if nanos is None:
        raise ValueError("not a duration: %r (use Go syntax like 30s, 5m, 1h30m)" % (value,))
    return int(nanos)


def duration_to_seconds(value):
    """A Go duration string -> whole seconds, rounded up (a wait must not end early). ValueError when Go
    would refuse the text."""
    nanos = parse_go_duration(value)
    if nanos is None:
        raise ValueError("not a Go duration: %r (use Go syntax like 30s, 5m, 1h30m; units ns, us, ms, s, m, h)"
                         % (value,))
    seconds = nanos / 10 ** 9
    whole = seconds.numerator // seconds.denominator
    return whole if whole == seconds else whole + 1


# ---------------------------------------------------------------------------------------------
# Nomad names. Two patterns, as Nomad defines them:
# - ACL policies, ACL roles, ACL auth methods, namespaces: ^[a-zA-Z0-9-]{1,128}$
#   (nomad/structs/structs.go ValidPolicyName and validNamespaceName, nomad/structs/acl.go
#   ValidACLRoleName and ACLAuthMethod.Validate);
# - node pools (and workload identity, Consul and Vault cluster names): ^[a-zA-Z0-9-_]{1,128}$
#   (nomad/structs/node_pool.go validNodePoolName, workload_id.go, consul.go).

NOMAD_NAME_PATTERN = "^[a-zA-Z0-9-]{1,128}$"
NOMAD_POOL_NAME_PATTERN = "^[a-zA-Z0-9-_]{1,128}$"
NOMAD_NAME_RE = re.compile(r"^[a-zA-Z0-9-]{1,128}$")
NOMAD_POOL_NAME_RE = re.compile(r"^[a-zA-Z0-9\-_]{1,128}$")


def nomad_name_error(option, value, pool=False):
    """None when ``value`` is a valid Nomad name, else "<option>: '<value>' must match <pattern>"."""
    regex, pattern = (NOMAD_POOL_NAME_RE, NOMAD_POOL_NAME_PATTERN) if pool else (NOMAD_NAME_RE, NOMAD_NAME_PATTERN)
    if isinstance(value, str) and regex.match(value):
        return None
    return "%s: %r must match %s" % (option, value, pattern)
