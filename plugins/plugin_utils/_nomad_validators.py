# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed validators shared by the test plugins (``x is edgeops.nomad.go_duration``) and the
``edgeops.nomad._type_errors`` / ``edgeops.nomad._agent_config_errors`` filters the roles' preflight
tables use.

Private (leading underscore): no compatibility promise outside this collection.

Every ``check_<type>(value, **options)`` returns ``None`` when the value is good, else one sentence
saying what is wrong and what is allowed (without the variable name: callers prefix the path).
A validator never raises for a bad value of any Python type: a refusal must never surface as a
traceback or a templating error.

Rules follow the upstream parsers (cited per function); where upstream is looser than useful
(quantities like ``"."``, cron lists with empty items) these are stricter, never looser.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Mapping
from fractions import Fraction

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_formats import (
    NOMAD_POOL_NAME_PATTERN,
    NOMAD_POOL_NAME_RE,
    parse_go_duration,
)

# ---------------------------------------------------------------------------------------------
# helpers


def _show(value):
    if isinstance(value, str):
        return "'%s'" % value
    if value is None:
        return "null"
    return repr(value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value):
    """An int from an int or a decimal digit string (inventories often give strings), else None."""
    if _is_int(value):
        return value
    if isinstance(value, str) and re.match(r"^[+-]?[0-9]+$", value.strip()):
        return int(value.strip())
    return None


# ---------------------------------------------------------------------------------------------
# Go durations: time.ParseDuration (Go src/time/format.go). The parser is module_utils/_nomad_formats.py,
# shared with the modules and the roles' _go_duration_seconds filter.


def check_go_duration(value, allow_negative=False, allow_zero=True):
    """A Go duration string (time.ParseDuration), e.g. 10s, 1h30m, 250ms; non-negative unless asked."""
    allowed = "a Go duration such as 200ms, 10s, 1h30m (units ns, us, ms, s, m, h)"
    if not isinstance(value, str):
        return "%s is not %s: write it as a string with a unit" % (_show(value), allowed)
    nanos = parse_go_duration(value)
    if nanos is None:
        return "%s is not %s" % (_show(value), allowed)
    if nanos < 0 and not allow_negative:
        return "%s is negative: use %s" % (_show(value), allowed)
    if nanos == 0 and not allow_zero:
        return "%s is zero: use a positive duration such as 10s" % _show(value)
    return None


# ---------------------------------------------------------------------------------------------
# Kubernetes quantities: k8s.io/apimachinery/pkg/api/resource quantity.go (parseQuantityString)
# and suffix.go: <sign><digits>[.<digits>]<suffix>, suffix one of Ki Mi Gi Ti Pi Ei, n u m "" k M G T
# P E, or an exponent e<int>/E<int>. Stricter than upstream: at least one digit ("." and "-" are
# refused although parseQuantityString reads them as 0).

_QUANTITY = re.compile(r"^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)((?:[KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$")


def check_k8s_quantity(value, allow_negative=False, positive=False):
    """A Kubernetes resource quantity (e.g. 500m, 1Gi, 10Gi, 1.5, 1e3); non-negative unless asked."""
    allowed = "a Kubernetes quantity: a number with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei, m, k, M, G, T, P, E (e.g. 500m, 512Mi, 10Gi)"
    if _is_int(value) or (isinstance(value, float) and math.isfinite(value)):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        return "%s is not %s" % (_show(value), allowed)
    match = _QUANTITY.match(text)
    if not match:
        return "%s is not %s" % (_show(value), allowed)
    number = Fraction(match.group(2))
    negative = match.group(1) == "-" and number != 0
    if negative and not allow_negative:
        return "%s is negative: Kubernetes requires a quantity >= 0 (e.g. 512Mi)" % _show(value)
    if positive and (number == 0 or negative):
        return "%s must be greater than zero (e.g. 10Gi)" % _show(value)
    return None


# ---------------------------------------------------------------------------------------------
# Addresses: Python's ipaddress (no hand-written octet patterns).


def check_ip(value, version=None):
    """An IPv4 or IPv6 address (version=4 or 6 to restrict)."""
    try:
        address = ipaddress.ip_address(value if isinstance(value, str) else "")
    except ValueError:
        return "%s is not an IP%s address (e.g. %s)" % (_show(value), "v%s" % version if version else "",
                                                        "2001:db8::10" if str(version) == "6" else "10.0.0.10")
    if version and str(address.version) != str(version):
        return "%s is not an IPv%s address" % (_show(value), version)
    return None


def check_cidr(value, version=None):
    """A CIDR block such as 10.20.0.0/16 or 2001:db8::/32 (prefix required; host bits may be set as in
    Kubernetes' NetworkPolicy ipBlock, which parses with netutils.ParseCIDRSloppy)."""
    allowed = "a CIDR such as 10.20.0.0/16 or 2001:db8::/32 (address/prefix, IPv4 prefix 0-32, IPv6 0-128)"
    if not isinstance(value, str) or value.count("/") != 1:
        return "%s is not %s" % (_show(value), allowed)
    address, prefix = value.split("/")
    if not re.match(r"^[0-9]{1,3}$", prefix):
        return "%s is not %s" % (_show(value), allowed)
    try:
        network = ipaddress.ip_network(value, strict=False)
        ipaddress.ip_address(address)
    except ValueError:
        return "%s is not %s" % (_show(value), allowed)
    if version and str(network.version) != str(version):
        return "%s is not an IPv%s CIDR" % (_show(value), version)
    return None


# ---------------------------------------------------------------------------------------------
# DNS names as Kubernetes validates them: k8s.io/apimachinery/pkg/util/validation (IsDNS1123Label,
# IsDNS1123Subdomain, IsDNS1035Label; now in pkg/api/validate/content/dns.go and kube.go).

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_RE = re.compile("^" + _DNS1123_LABEL + "$")
_DNS1123_SUBDOMAIN_RE = re.compile("^" + _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*$")
_DNS1035_LABEL_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def check_dns_label(value, max=63):  # pylint: disable=redefined-builtin
    """An RFC 1123 label as Kubernetes checks it: a-z, 0-9 and '-', alphanumeric at both ends, <= 63."""
    if not isinstance(value, str) or not _DNS1123_LABEL_RE.match(value):
        return ("%s is not a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit"
                " (RFC 1123, e.g. my-name)" % _show(value))
    if len(value) > int(max):
        return "%s is %d characters long: at most %s are allowed" % (_show(value), len(value), max)
    return None


def check_dns1035_label(value, max=63):  # pylint: disable=redefined-builtin
    """An RFC 1035 label (Kubernetes Service names): like dns_label but starting with a letter."""
    if not isinstance(value, str) or not _DNS1035_LABEL_RE.match(value):
        return ("%s is not a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and ending"
                " with a letter or digit (e.g. nomad)" % _show(value))
    if len(value) > int(max):
        return "%s is %d characters long: at most %s are allowed" % (_show(value), len(value), max)
    return None


def check_dns_subdomain(value, max=253):  # pylint: disable=redefined-builtin
    """An RFC 1123 subdomain as Kubernetes checks object names: dot-separated DNS labels, <= 253."""
    if not isinstance(value, str) or not _DNS1123_SUBDOMAIN_RE.match(value):
        return ("%s is not a DNS subdomain: lower-case letters, digits, '-' and '.', each part starting and ending"
                " with a letter or digit (RFC 1123, e.g. example.com)" % _show(value))
    if len(value) > int(max):
        return "%s is %d characters long: at most %s are allowed" % (_show(value), len(value), max)
    return None


def check_label_key(value):
    """A Kubernetes label key / qualified name: [prefix/]name, prefix a DNS subdomain, name <= 63 of
    [A-Za-z0-9-_.] alphanumeric at both ends (IsQualifiedName / IsLabelKey)."""
    allowed = "a Kubernetes label key: [DNS-subdomain prefix/]name, name of letters, digits, '-', '_', '.' (<= 63, e.g. topology.kubernetes.io/zone)"
    if not isinstance(value, str) or value.count("/") > 1:
        return "%s is not %s" % (_show(value), allowed)
    prefix, _sep, name = value.rpartition("/")
    if _sep and (not prefix or check_dns_subdomain(prefix)):
        return "%s is not %s" % (_show(value), allowed)
    if not name or len(name) > 63 or not _LABEL_NAME_RE.match(name):
        return "%s is not %s" % (_show(value), allowed)
    return None


def check_label_value(value):
    """A Kubernetes label value: empty, or <= 63 of [A-Za-z0-9-_.] alphanumeric at both ends."""
    if not isinstance(value, str) or len(value) > 63 or (value and not _LABEL_NAME_RE.match(value)):
        return ("%s is not a Kubernetes label value: empty or at most 63 letters, digits, '-', '_', '.', starting and"
                " ending with a letter or digit (quote numbers and booleans)" % _show(value))
    return None


# ---------------------------------------------------------------------------------------------
# Host names and host:port

_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$")


def check_host(value):
    """A host name (RFC 1123, any case) or an IPv4/IPv6 address; a dotted all-numeric name must be a
    valid IPv4 address (so 10.0.0.300 is refused)."""
    allowed = "a host name (RFC 1123, e.g. nomad.example.com) or an IP address"
    if not isinstance(value, str) or not value:
        return "%s is not %s" % (_show(value), allowed)
    if re.match(r"^[0-9.]+$", value) or ":" in value:
        if check_ip(value):
            return "%s is not %s" % (_show(value), allowed)
        return None
    if not _HOSTNAME_RE.match(value):
        return "%s is not %s" % (_show(value), allowed)
    return None


def check_port(value, min=1, max=65535):  # pylint: disable=redefined-builtin
    """A TCP/UDP port number 1..65535 (an int or a digit string)."""
    number = _as_int(value)
    if number is None or not int(min) <= number <= int(max):
        return "%s is not a port number: use an integer from %s to %s" % (_show(value), min, max)
    return None


def check_host_port(value, port="required"):
    """host:port with a port 1..65535; an IPv6 host in brackets ([2001:db8::1]:4647).
    port=optional also accepts a bare host or IPv6 address, as Nomad's client does for
    client.servers / server_join.retry_join (client/rpc.go resolveServer adds :4647)."""
    optional = port == "optional"
    allowed = ("host:port with a port from 1 to 65535 (e.g. nomad.example.com:4647, 10.0.0.10:4647,"
               " [2001:db8::10]:4647)%s" % (", or a host alone (port 4647)" if optional else ""))
    if not isinstance(value, str) or not value or value != value.strip():
        return "%s is not %s" % (_show(value), allowed)
    host, port_text = value, None
    if value.startswith("["):
        match = re.match(r"^\[([^\]]+)\](?::(.*))?$", value)
        if not match or check_ip(match.group(1), version=6):
            return "%s is not %s" % (_show(value), allowed)
        host, port_text = match.group(1), match.group(2)
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    elif value.count(":") > 1:
        if optional and not check_ip(value, version=6):
            return None
        return "%s is not %s" % (_show(value), allowed)
    if check_host(host):
        return "%s is not %s" % (_show(value), allowed)
    if port_text is None:
        if optional:
            return None
        return "%s has no port: use %s" % (_show(value), allowed)
    if not re.match(r"^[0-9]{1,5}$", port_text) or not 1 <= int(port_text) <= 65535:
        return "%s has port %s: use %s" % (_show(value), _show(port_text), allowed)
    return None


# ---------------------------------------------------------------------------------------------
# Cron schedules as a Kubernetes CronJob accepts them: pkg/apis/batch/validation validateScheduleFormat
# calls robfig/cron/v3 ParseStandard (parser.go: 5 fields minute hour dom month dow, descriptors,
# getRange: a[-b][/step], '*' and '?', names jan-dec / sun-sat case-insensitive) and refuses TZ= or
# CRON_TZ= in the schedule (use the timeZone field).

_CRON_FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, dict((n, i + 1) for i, n in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]))),
    ("day of week", 0, 6, dict((n, i) for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]))),
)
_CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def _cron_number(text, names):
    if names and text.lower() in names:
        return names[text.lower()]
    if re.match(r"^\+?[0-9]+$", text):
        return int(text)
    return None


def _cron_field_error(expr, name, low, high, names):
    items = expr.split(",")
    for item in items:
        if not item:
            return "empty item in the %s list %s" % (name, _show(expr))
        range_step = item.split("/")
        if len(range_step) > 2:
            return "too many '/' in %s" % _show(item)
        bounds = range_step[0].split("-")
        if bounds[0] in ("*", "?"):
            if len(bounds) > 1:
                return "%s: '*' cannot start a range" % _show(item)
            start, end = low, high
        else:
            if len(bounds) > 2:
                return "too many '-' in %s" % _show(item)
            start = _cron_number(bounds[0], names)
            end = start if len(bounds) == 1 else _cron_number(bounds[1], names)
            if start is None or end is None:
                hint = " or a name (%s-%s)" % (list(names)[0], list(names)[-1]) if names else ""
                return "%s is not a number%s" % (_show(item), hint)
            if len(range_step) == 2 and len(bounds) == 1:
                end = high
        if len(range_step) == 2:
            if not re.match(r"^\+?[0-9]+$", range_step[1]) or int(range_step[1]) == 0:
                return "step %s in %s must be a positive number" % (_show(range_step[1]), _show(item))
        if start < low or end > high:
            return "%s is outside the %s range %d-%d" % (_show(item), name, low, high)
        if start > end:
            return "%s: the range starts after it ends" % _show(item)
    return None


def check_cron(value):
    """A CronJob schedule: 5 fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec,
    day of week 0-6 or sun-sat) with *, ?, lists, ranges and steps, or @yearly/@annually/@monthly/
    @weekly/@daily/@midnight/@hourly/@every <duration>."""
    allowed = ("a cron schedule: 5 fields 'minute hour day-of-month month day-of-week' (e.g. '17 */6 * * *') or"
               " @hourly, @daily, @weekly, @monthly, @yearly")
    if not isinstance(value, str) or not value.strip():
        return "%s is not %s" % (_show(value), allowed)
    if "TZ" in value:
        return "%s: TZ= and CRON_TZ= are not allowed in a CronJob schedule (Kubernetes refuses them)" % _show(value)
    if value.startswith("@"):
        if value in _CRON_DESCRIPTORS:
            return None
        if value.startswith("@every "):
            if check_go_duration(value[len("@every "):], allow_zero=False) is None:
                return None
            return "%s: @every needs a positive Go duration such as @every 6h" % _show(value)
        return "%s is not %s" % (_show(value), allowed)
    fields = value.split()
    if len(fields) != 5:
        return "%s has %d field%s, not 5: use %s" % (_show(value), len(fields), "" if len(fields) == 1 else "s", allowed)
    for expr, (name, low, high, names) in zip(fields, _CRON_FIELDS):
        error = _cron_field_error(expr, name, low, high, names)
        if error:
            return "%s: %s (%s)" % (_show(value), error, allowed)
    return None


# ---------------------------------------------------------------------------------------------
# Nomad names, paths, URLs and small formats

def check_nomad_name(value):
    """A Nomad node pool / datacenter-like name: ^[a-zA-Z0-9-_]{1,128}$ (nomad/structs/node_pool.go
    validNodePoolName; also used for consul/vault block names)."""
    if not isinstance(value, str) or not NOMAD_POOL_NAME_RE.match(value):
        return "%s must match %s (letters, digits, '-' and '_', 1 to 128 characters)" % (_show(value), NOMAD_POOL_NAME_PATTERN)
    return None


def check_node_pool(value):
    """A node pool a client may register in: a Nomad name that is not the built-in 'all'
    (command/agent: 'node is not allowed to register in node pool "all"')."""
    error = check_nomad_name(value)
    if error:
        return error
    if value == "all":
        return "'all' is a built-in pool no node may register in: use 'default' or your own pool name"
    return None


_WINDOWS_ABS = re.compile(r"^([A-Za-z]:[\\/]|\\\\[^\\/]+[\\/][^\\/]+)")


def check_absolute_path(value, os="any"):  # pylint: disable=redefined-builtin
    """An absolute path: /... (os=posix), C:\\... or \\\\server\\share (os=windows), either (os=any)."""
    posix = isinstance(value, str) and value.startswith("/")
    windows = isinstance(value, str) and bool(_WINDOWS_ABS.match(value))
    ok = {"posix": posix, "windows": windows}.get(os, posix or windows)
    if not ok or "\n" in value or "\x00" in value:
        example = {"posix": "/srv/data", "windows": "C:\\ProgramData\\data"}.get(os, "/srv/data or C:\\data")
        return "%s is not an absolute path (e.g. %s)" % (_show(value), example)
    return None


def check_url(value, schemes="http,https"):
    """A URL with one of the given schemes and a host, e.g. https://vault.example.com:8200."""
    allowed = [s.strip() for s in str(schemes).split(",")]
    match = re.match(r"^([a-z][a-z0-9+.-]*)://([^/\s?#]*)([^\s]*)$", value) if isinstance(value, str) else None
    if not match or match.group(1) not in allowed or (match.group(1) != "file" and not match.group(2)):
        return "%s is not a URL (%s://host[:port][/path])" % (_show(value), "|".join(allowed))
    return None


def check_int(value, min=None, max=None):  # pylint: disable=redefined-builtin
    """An integer (or decimal digit string) within [min, max]."""
    number = _as_int(value)
    low = None if min is None else int(min)
    high = None if max is None else int(max)
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            span = "from %s to %s" % (low, high)
        elif low is not None:
            span = ">= %s" % low
        elif high is not None:
            span = "<= %s" % high
        else:
            return "%s is not an integer" % _show(value)
        return "%s is not an integer %s" % (_show(value), span)
    return None


def check_number(value, min=None, max=None):  # pylint: disable=redefined-builtin
    """A number (int or float, not a bool) within [min, max]."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    if ok and min is not None and value < float(min):
        ok = False
    if ok and max is not None and value > float(max):
        ok = False
    if not ok:
        return "%s is not a number%s" % (_show(value), " from %s to %s" % (min, max) if min is not None and max is not None else "")
    return None


def check_bool(value):
    """A real boolean (true/false), not a string."""
    if not isinstance(value, bool):
        return "%s is not a boolean: use true or false" % _show(value)
    return None


def check_string(value, min=0, max=None):  # pylint: disable=redefined-builtin
    """A string of min..max characters."""
    if not isinstance(value, str):
        return "%s is not a string" % _show(value)
    if len(value) < int(min):
        return "%s must not be empty" % _show(value) if int(min) == 1 else "%s is shorter than %s characters" % (_show(value), min)
    if max is not None and len(value) > int(max):
        return "%s is longer than %s characters" % (_show(value), max)
    return None


_PORT_RANGES = re.compile(r"^\s*[0-9]+(\s*-\s*[0-9]+)?(\s*,\s*[0-9]+(\s*-\s*[0-9]+)?)*\s*$")


def check_port_ranges(value):
    """Nomad's reserved_ports syntax: '22,80,8000-8100' (structs.ParsePortRanges: ports 0-65535, low <= high)."""
    allowed = "a list of ports and ranges such as '22,80,8000-8100' (0 to 65535)"
    if not isinstance(value, str) or not _PORT_RANGES.match(value):
        return "%s is not %s" % (_show(value), allowed)
    for part in value.split(","):
        bounds = [int(b) for b in part.split("-")]
        if any(b > 65535 for b in bounds) or bounds[0] > bounds[-1]:
            return "%s is not %s" % (_show(value), allowed)
    return None


def check_cpuset(value):
    """A CPU set such as '0-3,6' (Nomad's reserved.cores / reservable_cores, lib/cpuset.Parse)."""
    if not isinstance(value, str) or not re.match(r"^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$", value):
        return "%s is not a CPU set such as '0-3,6'" % _show(value)
    for part in value.split(","):
        bounds = [int(b) for b in part.split("-")]
        if bounds[0] > bounds[-1]:
            return "%s is not a CPU set such as '0-3,6' (a range starts after it ends)" % _show(value)
    return None


def check_file_mode(value):
    """An octal file mode given as a string, e.g. '0755' or '755'."""
    if not isinstance(value, str) or not re.match(r"^0?[0-7]{3,4}$", value):
        return "%s is not an octal mode string such as '0755' (quote it: YAML reads 0755 as a number)" % _show(value)
    return None


# Prometheus(-operator) durations: monitoringv1.Duration
# ^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$
_PROM_DURATION = re.compile(r"^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$")


def check_prometheus_duration(value):
    """A Prometheus duration such as 30s, 1m, 1h30m (units y w d h m s ms, largest first, integers)."""
    if not isinstance(value, str) or not value or not _PROM_DURATION.match(value):
        return "%s is not a Prometheus duration such as 30s, 1m or 1h30m (integers, units y w d h m s ms)" % _show(value)
    return None


def check_any(value):
    return None


VALIDATORS = {
    "go_duration": check_go_duration,
    "k8s_quantity": check_k8s_quantity,
    "ip": check_ip,
    "cidr": check_cidr,
    "dns_label": check_dns_label,
    "dns1035_label": check_dns1035_label,
    "dns_subdomain": check_dns_subdomain,
    "label_key": check_label_key,
    "label_value": check_label_value,
    "host": check_host,
    "port": check_port,
    "host_port": check_host_port,
    "cron": check_cron,
    "nomad_name": check_nomad_name,
    "node_pool": check_node_pool,
    "absolute_path": check_absolute_path,
    "url": check_url,
    "int": check_int,
    "number": check_number,
    "bool": check_bool,
    "string": check_string,
    "port_ranges": check_port_ranges,
    "cpuset": check_cpuset,
    "file_mode": check_file_mode,
    "prometheus_duration": check_prometheus_duration,
    "any": check_any,
}


# ---------------------------------------------------------------------------------------------
# Type specs: validate a whole (nested) value against a description of its types.
#
#   "go_duration"                      a type by name
#   "int(min=30000,max=32767)"         options as key=value (int, true/false or a bare word)
#   "host?"                            the trailing '?' also accepts "" and null (optional inputs)
#   {"key": spec, ...}                 a dict with these optional keys; any other key is refused
#                                      with the nearest known key
#   {"key": spec, "*": spec}           "*": the spec of every other key's value
#   {"@keys": spec, "*": spec}         "@keys": the spec every key must meet (e.g. label_key)
#   [spec]                             a list whose items all meet spec

_SPEC_RE = re.compile(r"^([a-z0-9_]+)(?:\((.*)\))?(\?)?$")


class SpecError(ValueError):
    """A bad type spec: a bug in the role, reported as such (never a user's fault)."""


def _option(text):
    text = text.strip()
    if re.match(r"^-?[0-9]+$", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def parse_spec(spec):
    """(validator, options, optional) for a type name spec."""
    match = _SPEC_RE.match(spec.strip()) if isinstance(spec, str) else None
    if not match or match.group(1) not in VALIDATORS:
        raise SpecError("unknown type spec %r (known: %s)" % (spec, ", ".join(sorted(VALIDATORS))))
    options = {}
    if match.group(2):
        for part in match.group(2).split(","):
            key, sep, val = part.partition("=")
            if not sep:
                raise SpecError("type spec %r: options are key=value" % spec)
            options[key.strip()] = _option(val)
    return VALIDATORS[match.group(1)], options, bool(match.group(3))


def check_value(value, spec, path):
    """Error strings 'path: problem' for value against spec (see above)."""
    errors = []
    if isinstance(spec, str):
        validator, options, optional = parse_spec(spec)
        if optional and (value is None or value == ""):
            return errors
        error = validator(value, **options)
        if error:
            errors.append("%s: %s" % (path, error))
        return errors
    if isinstance(spec, list):
        if len(spec) != 1:
            raise SpecError("a list spec holds exactly one item spec, got %r" % (spec,))
        if not isinstance(value, list):
            return ["%s: %s is not a list" % (path, _show(value))]
        for index, item in enumerate(value):
            errors.extend(check_value(item, spec[0], "%s[%d]" % (path, index)))
        return errors
    if isinstance(spec, Mapping):
        if not isinstance(value, Mapping):
            return ["%s: %s is not a dict" % (path, _show(value))]
        known = [k for k in spec if k not in ("*", "@keys")]
        for key, item in value.items():
            where = "%s.%s" % (path, key)
            if "@keys" in spec:
                errors.extend("%s: key %s" % (path, e.split(": ", 1)[1]) for e in check_value(key, spec["@keys"], path))
            if key in spec and key not in ("*", "@keys"):
                errors.extend(check_value(item, spec[key], where))
            elif "*" in spec:
                errors.extend(check_value(item, spec["*"], where))
            else:
                errors.append("%s: unknown key%s; allowed: %s" % (where, nearest(key, known), ", ".join(sorted(known))))
        return errors
    raise SpecError("bad type spec %r" % (spec,))


def nearest(key, known):
    """'; did you mean X?' for the closest known key (difflib), or ''."""
    close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=0.6)
    return " (did you mean '%s'?)" % close[0] if close else ""
