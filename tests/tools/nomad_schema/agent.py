# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a Nomad agent configuration against shared/nomad/agent-config.json.

Stricter than Nomad on purpose: unknown keys are errors everywhere (Nomad ignores them inside
consul/vault/plugin/... blocks), scalar types must match exactly (HCL1 would coerce "10" to an int),
deprecated and removed keys are errors, and the start-up checks that only `nomad agent` runs
(raft_protocol, rpc_max_conns_per_client, client_introduction ...) are applied statically.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import re
from pathlib import Path
from urllib.parse import urlparse

from . import hclload
from .common import (
    is_bytes,
    is_int,
    is_number,
    load_schema,
    parse_duration,
    show,
    type_name,
    version_tuple,
)
from .hclload import Expr

NAME_RE = re.compile(r"^[a-zA-Z0-9-_]{1,128}$")
META_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
PORTS_RE = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")
KEYRING_PROVIDERS = ("aead", "awskms", "azurekeyvault", "gcpckms", "transit")
ABSOLUTE_DIRS = {
    "data_dir": "data-dir",
    "plugin_dir": "plugin-dir",
    "client.alloc_dir": "alloc-dir",
    "client.alloc_mounts_dir": "alloc-mounts-dir",
    "client.host_volumes_dir": "host-volumes-dir",
    "client.host_volume_plugin_dir": "host-volume-plugin-dir",
    "client.state_dir": "state-dir",
}
CASE_INSENSITIVE_ALLOWED = {"log_level", "eventlog.level"}
SECRET_KEY_RE = re.compile(r"token|encrypt|password|secret|key$", re.IGNORECASE)


def load_agent_file(path):
    """Read a rendered agent config (.hcl or .json) into a plain dict."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return hclload.to_plain(hclload.loads(text))


def _editor_temp(name):
    return name.endswith("~") or name.startswith(".#") or (name.startswith("#") and name.endswith("#"))


# command/agent/config.go ServerConfig.Merge / ClientConfig.Merge: `enabled` only ever becomes true (a later file
# cannot turn a server off), and a client's `servers` are appended, not replaced.
STICKY_TRUE = {"server.enabled", "client.enabled"}
APPENDED = {"client.servers"}


def merge_configs(base, over, _path=""):
    """Merge two agent configs the way Nomad merges its config files (later file wins).

    Blocks merge key by key, repeatable blocks given as lists are appended, labeled blocks merge by
    label; `server.enabled` and `client.enabled` stay true once a file set them, `client.servers`
    is appended; any other value is replaced."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        where = f"{_path}.{key}" if _path else key
        if where in STICKY_TRUE and old is True:
            continue
        if where in APPENDED and isinstance(old, list) and isinstance(value, list):
            out[key] = old + value
            continue
        if where in ("server", "client") and old is not None:
            out[key] = merge_configs(_one(old), _one(value), where)  # one block, whatever form each file gave it
            continue
        if isinstance(old, dict) and isinstance(value, dict):
            out[key] = merge_configs(old, value, where)
        elif isinstance(old, list) and isinstance(value, list) and all(isinstance(v, dict) for v in old + value):
            out[key] = old + value
        elif isinstance(old, list) and isinstance(value, dict) and all(isinstance(v, dict) for v in old):
            out[key] = old + [value]
        elif isinstance(old, dict) and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[key] = [old] + value
        else:
            out[key] = value
    return out


def load_agent_dir(path):
    """Nomad's -config DIR: *.hcl and *.json (not recursive), sorted by name, merged in order."""
    files = sorted(p for p in Path(path).iterdir() if p.is_file() and p.suffix in (".hcl", ".json") and not _editor_temp(p.name))
    if not files:
        raise ValueError(f"no .hcl or .json files in {path}")
    merged = {}
    for file in files:
        try:
            merged = merge_configs(merged, load_agent_file(file))
        except (OSError, ValueError) as err:
            raise ValueError(f"{file.name}: {err}") from err
    return merged


def _one(block):
    """A block's body: a dict, or the only dict of a one-item list (HCL1 JSON form)."""
    if isinstance(block, list) and len(block) == 1:
        block = block[0]
    return block if isinstance(block, dict) else {}


def _is_absolute(path):
    return isinstance(path, str) and (path.startswith("/") or bool(re.match(r"^[A-Za-z]:[\\/]", path)) or path.startswith("\\\\"))


class AgentChecker:
    def __init__(self, edition=None, nomad_version=None, shared=None, allow_deprecated=False, partial=False):
        self.partial = partial
        self.doc = load_schema("agent-config.json", shared)
        self.removed = self.doc.get("removed_keys", {})
        self.edition = edition
        self.version = version_tuple(nomad_version) if nomad_version else None
        self.allow_deprecated = allow_deprecated
        self.errors = []

    def err(self, path, message):
        self.errors.append(f"{path or '(top level)'}: {message}")

    # ---- structure and types -----------------------------------------------------------------
    def check(self, config):
        if not isinstance(config, dict):
            self.err("", f"the agent configuration must be an object, got {type_name(config)}")
            return self.errors
        self.body(config, self.doc["schema"]["keys"], "")
        self.rules(config)
        return self.errors

    def body(self, data, keys, path, free_string_extras=False):
        for key, value in data.items():
            where = f"{path}.{key}" if path else key
            spec = keys.get(key)
            if spec is None:
                if free_string_extras:  # keyring: provider options are free string keys
                    if not isinstance(value, str):
                        self.err(where, f"keyring provider option must be a string, got {type_name(value)}")
                    continue
                self.unknown(where, key, keys)
                continue
            self.key_meta(where, spec)
            self.value(where, value, spec)

    def unknown(self, where, key, keys):
        removed = self.removed.get(re.sub(r"\[[^]]*\]", "", where))
        if removed:
            self.err(where, f"removed from Nomad (last seen in v{removed['last_seen']})")
            return
        hint = difflib.get_close_matches(key, list(keys), n=1)
        self.err(where, "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else ""))

    def key_meta(self, where, spec):
        if spec.get("enterprise_only") and self.edition == "ce":
            self.err(where, "Nomad Enterprise only (checking for --edition ce)")
        since = spec.get("since")
        if self.version and since and version_tuple(since) > self.version:
            backports = [version_tuple(v) for v in spec.get("also_in_earlier_patch_releases", [])]
            if not any(b[:2] == self.version[:2] and self.version >= b for b in backports):
                self.err(where, f"needs Nomad >= {since} (checking for {'.'.join(map(str, self.version))})")
        notes = spec.get("notes", "")
        if not self.allow_deprecated and re.match(r"^(DEPRECATED|Deprecated)", notes):
            self.err(where, f"deprecated: {notes}")

    def value(self, where, value, spec):
        kind = spec["type"]
        if isinstance(value, Expr):
            self.err(where, f"{type_name(value)} is not a literal value (agent config has no expressions)")
            return
        if kind == "block":
            self.block(where, value, spec)
            return
        if kind == "labeled block":
            self.labeled(where, value, spec)
            return
        problem = self.scalar_problem(value, kind)
        if problem:
            if SECRET_KEY_RE.search(where.rsplit(".", 1)[-1]):
                problem = problem.split(", got ")[0] + f", got {type_name(value)} (value not shown: secret)"
            self.err(where, problem)
            return
        allowed = spec.get("allowed")
        if allowed is not None:
            plain = re.sub(r"\[[^]]*\]", "", where)
            candidate = value.upper() if plain in CASE_INSENSITIVE_ALLOWED and isinstance(value, str) else value
            if candidate not in allowed:
                self.err(where, f"{show(value)} is not one of {', '.join(show(a) for a in allowed)}")

    @staticmethod
    def scalar_problem(value, kind):
        want = None
        if kind == "string":
            ok = isinstance(value, str)
        elif kind == "int":
            ok = is_int(value)
        elif kind == "float":
            ok = is_number(value)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "duration":
            ok = isinstance(value, str) and parse_duration(value) is not None
            want = 'a duration string such as "30s"'
        elif kind == "list(string)":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            want = "a list of strings"
        elif kind == "map(string)":
            ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
            want = "an object of string values"
        elif kind == "map(any)":
            ok = isinstance(value, dict)
            want = "an object"
        elif kind.startswith("string(bytes"):
            ok = is_bytes(value)
            want = 'a size string such as "100GB"'
        else:
            return f"schema type {kind!r} is not known to this checker"
        if ok:
            return None
        return f"expected {want or kind}, got {type_name(value)} {show(value)}"

    def block(self, where, value, spec):
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) > 1 and not spec.get("repeatable"):
            self.err(where, f"block given {len(value)} times; give it once")
        for i, item in enumerate(items):
            at = f"{where}[{i}]" if isinstance(value, list) and len(value) > 1 else where
            if not isinstance(item, dict):
                self.err(at, f"expected a block, got {type_name(item)} {show(item)}")
                continue
            self.body(item, spec.get("keys", {}), at)

    def labeled(self, where, value, spec):
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            # HCL1 JSON form: "host_volume": [{"data": [{"path": "/x"}]}, ...]
            merged = {}
            for item in value:
                for label, bodies in item.items():
                    merged.setdefault(label, []).extend(bodies if isinstance(bodies, list) else [bodies])
            value = {label: bodies[0] if len(bodies) == 1 else bodies for label, bodies in merged.items()}
        if not isinstance(value, dict):
            self.err(
                where, f"expected labeled blocks ({where.split('.')[-1]} \"<{spec.get('label', 'name').lower()}>\" {{}}), got {type_name(value)}"
            )
            return
        for label, bodies in value.items():
            items = bodies if isinstance(bodies, list) else [bodies]
            for item in items:
                at = f"{where}[{label!r}]"
                if not isinstance(item, dict):
                    self.err(at, f"expected a block, got {type_name(item)}")
                    continue
                self.body(item, spec.get("keys", {}), at, free_string_extras=where.endswith("keyring"))

    # ---- validation_on_start rules, checked statically ---------------------------------------
    def rules(self, c):  # noqa: C901 - one flat list of independent rules reads best
        server, client = _one(c.get("server")), _one(c.get("client"))
        server_on = server.get("enabled") is True
        client_on = client.get("enabled") is True
        if self.partial:  # a fragment of a config directory: whole-config rules do not apply
            self.client_rules(client, client_on)
            self.server_rules(server)
            self.misc_rules(c)
            return
        if not server_on and not client_on:
            self.err("", "Must specify either server, client or dev mode for the agent. (set server.enabled or client.enabled)")
        if isinstance(c.get("region"), str) and "\x00" in c["region"]:
            self.err("region", "Region contains invalid characters")
        if isinstance(c.get("datacenter"), str) and ("\x00" in c["datacenter"] or "*" in c["datacenter"]):
            self.err("datacenter", "Datacenter contains invalid characters (null or '*')")
        for dotted, flag in ABSOLUTE_DIRS.items():
            value = self.get(c, dotted)
            if isinstance(value, str) and value and not _is_absolute(value):
                self.err(dotted, f"{flag} must be given as an absolute path: got {value}")
        if server_on and not (c.get("data_dir") or server.get("data_dir")):
            self.err("data_dir", 'Must specify "data_dir" config option or "data-dir" CLI flag (server.enabled is true)')
        if client_on and not c.get("data_dir"):
            missing = [k for k in ("state_dir", "alloc_dir", "alloc_mounts_dir") if not client.get(k)]
            if missing or not c.get("plugin_dir"):
                self.err("data_dir", "Must specify the state, alloc-dir, alloc-mounts-dir and plugin-dir if data-dir is omitted.")
        self.client_rules(client, client_on)
        self.server_rules(server)
        self.misc_rules(c)

    @staticmethod
    def get(config, dotted):
        node = config
        for part in dotted.split("."):
            node = _one(node) if isinstance(node, list) else node
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def client_rules(self, client, client_on):
        meta = client.get("meta")
        if client_on and isinstance(meta, dict):
            for key in meta:
                if not META_KEY_RE.match(key):
                    self.err(f"client.meta[{key!r}]", f"Invalid Client.Meta key: {key}")
        pool = client.get("node_pool")
        if isinstance(pool, str):
            if not NAME_RE.match(pool):
                self.err("client.node_pool", f'Invalid node pool: invalid name "{pool}", must match regex ^[a-zA-Z0-9-_]{{1,128}}$')
            elif pool == "all":
                self.err("client.node_pool", 'Invalid node pool: node is not allowed to register in node pool "all"')
        lo, hi = client.get("min_dynamic_port"), client.get("max_dynamic_port")
        for name, port in (("min_dynamic_port", lo), ("max_dynamic_port", hi)):
            if is_int(port) and not 0 <= port <= 65535:
                self.err(f"client.{name}", f"Invalid dynamic port range: {name}={port}")
        lo = lo if is_int(lo) else 20000  # Nomad's defaults
        hi = hi if is_int(hi) else 32000
        if lo > hi:
            self.err("client.min_dynamic_port", f"Invalid dynamic port range: min_dynamic_port={lo} and max_dynamic_port={hi}")
        reserved = _one(client.get("reserved"))
        if reserved:
            self.ports("client.reserved.reserved_ports", reserved.get("reserved_ports"))
        for kind in ("host_volume", "host_network"):
            blocks = client.get(kind)
            if not isinstance(blocks, dict):
                continue
            for label, bodies in blocks.items():
                for body in bodies if isinstance(bodies, list) else [bodies]:
                    if not isinstance(body, dict):
                        continue
                    at = f"client.{kind}[{label!r}]"
                    if kind == "host_volume":
                        if not body.get("path"):
                            self.err(at, "Missing path in host_volume config")
                        elif not _is_absolute(body["path"]):
                            self.err(f"{at}.path", f"host volume path must be absolute: got {body['path']}")
                    else:
                        self.ports(f"{at}.reserved_ports", body.get("reserved_ports"))
                        if not body.get("cidr") and not body.get("interface"):
                            self.err(at, "host_network needs cidr or interface")

    def ports(self, where, value):
        if not isinstance(value, str) or value == "":
            return
        if not PORTS_RE.match(value):
            self.err(where, f"{show(value)} invalid: not a list of ports and port ranges")
            return
        for part in value.split(","):
            bounds = [int(p) for p in part.split("-")]
            if any(p > 65535 for p in bounds) or (len(bounds) == 2 and bounds[0] > bounds[1]):
                self.err(where, f"{show(value)} invalid: bad port or range {part.strip()}")

    def server_rules(self, s):
        def intval(key):
            value = s.get(key)
            return value if is_int(value) else None

        if intval("raft_protocol") is not None and s["raft_protocol"] != 3:
            pass  # reported by `allowed`: raft_protocol must be 3 in Nomad v1.4 and later
        value = intval("raft_multiplier")
        if value is not None and not 1 <= value <= 10:
            self.err("server.raft_multiplier", f"raft_multiplier cannot be {value}. Must be between 1 and 10")
        value = intval("bootstrap_expect")
        if value is not None:
            if value < 1:
                self.err("server.bootstrap_expect", f"must be at least 1, got {value}")
            elif value % 2 == 0:
                self.err("server.bootstrap_expect", f"WARNING: Number of bootstrap servers should ideally be set to an odd number (got {value})")
        max_priority = intval("job_max_priority")
        if max_priority is not None and not 100 <= max_priority <= 32766:
            self.err("server.job_max_priority", f"job_max_priority cannot be {max_priority}. Must be between 100 and 32766")
        default_priority = intval("job_default_priority")
        top = max_priority if max_priority is not None else 100
        if default_priority is not None and not 50 <= default_priority <= top:
            self.err("server.job_default_priority", f"job_default_priority cannot be {default_priority}. Must be between 50 and {top}")
        value = intval("job_max_count")
        if value is not None and value < 0:
            self.err("server.job_max_count", f"job_max_count ({value}) cannot be negative")
        value = intval("job_tracked_versions")
        if value is not None and value <= 0:
            self.err("server.job_tracked_versions", "job_tracked_versions must be greater than 0")
        value = s.get("deploy_query_rate_limit")
        if is_number(value) and value <= 0:
            self.err("server.deploy_query_rate_limit", "deploy_query_rate_limit must be greater than 0")
        value = intval("num_schedulers")
        if value is not None and value < 0:
            self.err("server.num_schedulers", f"number of schedulers should be between 0 and the number of CPUs, got {value}")
        if "raft_boltdb" in s and "raft_logstore" in s:
            self.err("server.raft_boltdb", "cannot specify both deprecated 'raft_boltdb' and 'raft_logstore' blocks; use 'raft_logstore' only")
        value = s.get("raft_snapshot_interval")
        seconds = parse_duration(value)
        if seconds is not None and seconds <= 0.005:
            self.err("server.raft_snapshot_interval", "raft_snapshot_interval must be greater than 5ms")
        seconds = parse_duration(s.get("start_timeout"))
        if seconds is not None and seconds <= 0:
            self.err("server.start_timeout", "start_timeout should be greater than 0s")
        encrypt = s.get("encrypt")
        if isinstance(encrypt, str):
            try:
                key = base64.b64decode(encrypt, validate=True)
            except (binascii.Error, ValueError):
                self.err("server.encrypt", "Invalid encryption key: not valid base64")
            else:
                if len(key) != 32:
                    self.err(
                        "server.encrypt",
                        f"Invalid encryption key: decodes to {len(key)} bytes; use a 32-byte key (nomad operator gossip keyring generate)",
                    )
        intro = _one(s.get("client_introduction"))
        if intro:
            default_ttl = parse_duration(intro.get("default_identity_ttl"))
            max_ttl = parse_duration(intro.get("max_identity_ttl"))
            for key, ttl in (("default_identity_ttl", default_ttl), ("max_identity_ttl", max_ttl)):
                if ttl is not None and ttl <= 0:
                    self.err(f"server.client_introduction.{key}", "invalid server.client_introduction configuration: TTL must be positive")
            if default_ttl is not None and max_ttl is not None and default_ttl > max_ttl:
                self.err(
                    "server.client_introduction",
                    "invalid server.client_introduction configuration: default_identity_ttl is greater than max_identity_ttl",
                )
        issuer = s.get("oidc_issuer")
        if isinstance(issuer, str):
            parsed = urlparse(issuer)
            if parsed.scheme != "https" or not parsed.netloc:
                self.err("server.oidc_issuer", f'Error using server.oidc_issuer = "{issuer}" as a base URL: must be an https:// URL')
        for key in ("start_join", "retry_join", "retry_max", "retry_interval"):
            pass  # deprecated keys are flagged from their schema notes

    def misc_rules(self, c):
        limits = _one(c.get("limits"))
        if limits:
            value = limits.get("rpc_max_conns_per_client")
            if is_int(value) and value != 0 and value <= 25:
                self.err("limits.rpc_max_conns_per_client", f"rpc_max_conns_per_client must be > 25; found: {value}")
            value = limits.get("http_max_conns_per_client")
            if is_int(value) and value < 0:
                self.err("limits.http_max_conns_per_client", "must not be negative")
        rpc = _one(c.get("rpc"))
        if rpc:
            for key, value in rpc.items():
                seconds = parse_duration(value)
                if (seconds is not None and seconds < 0) or (is_int(value) and value < 0):
                    self.err(f"rpc.{key}", f"rpc block invalid: {key} must not be negative")
        telemetry = _one(c.get("telemetry"))
        if telemetry:
            interval = parse_duration(telemetry.get("in_memory_collection_interval"))
            retention = parse_duration(telemetry.get("in_memory_retention_period"))
            for key, seconds in (("in_memory_collection_interval", interval), ("in_memory_retention_period", retention)):
                if seconds is not None and seconds <= 0:
                    self.err(f"telemetry.{key}", "telemetry block invalid: must be greater than 0")
            if interval is not None and retention is not None and interval > retention:
                self.err("telemetry", "telemetry block invalid: in_memory_collection_interval must be <= in_memory_retention_period")
        keyring = c.get("keyring")
        if isinstance(keyring, dict):
            for provider in keyring:
                if provider not in KEYRING_PROVIDERS:
                    self.err(f"keyring[{provider!r}]", f'keyring "{provider}" invalid: unknown keyring provider: "{provider}"')
        for kind in ("consul", "vault"):
            blocks = c.get(kind)
            for body in blocks if isinstance(blocks, list) else [blocks]:
                if not isinstance(body, dict):
                    continue
                name = body.get("name", "default")
                if isinstance(name, str) and not NAME_RE.match(name):
                    self.err(
                        f"{kind}.name", f'Invalid {kind.capitalize()} configuration: invalid name "{name}", must match regex ^[a-zA-Z0-9-_]{{1,128}}$'
                    )
                elif name != "default" and self.edition == "ce":
                    self.err(f"{kind}.name", f'{kind} blocks named other than "default" are Nomad Enterprise only')
            if isinstance(blocks, list):
                names = [b.get("name", "default") for b in blocks if isinstance(b, dict)]
                dupes = sorted({n for n in names if names.count(n) > 1})
                if dupes:
                    self.err(kind, f"{kind} blocks with the same name are merged by Nomad; give each block its own name: {', '.join(dupes)}")


def load_agent_paths(paths):
    """What `nomad agent -config P1 -config P2 ...` loads: each path (a file, or a directory merged as
    LoadConfigDir does) merged in the order given (command/agent/command.go readConfig)."""
    merged = {}
    for path in paths:
        merged = merge_configs(merged, load_agent_dir(path) if Path(path).is_dir() else load_agent_file(path))
    return merged


def agent_mode_errors(config, mode):
    """The agent must run as `mode` only ("client" or "server"): one agent that is both, or neither, is an error."""
    server_on = _one(config.get("server")).get("enabled") is True
    client_on = _one(config.get("client")).get("enabled") is True
    errors = []
    if mode == "client" and server_on:
        errors.append("server.enabled: true in the loaded configuration: this agent would run a Nomad server as well as "
                      "the client (a file with server { enabled = true } was merged; no later file can turn it off)")
    if mode == "server" and client_on:
        errors.append("client.enabled: true in the loaded configuration: this agent would run a Nomad client as well")
    if not (client_on if mode == "client" else server_on):
        errors.append(f"{mode}.enabled: not true in the loaded configuration: this agent is no {mode}")
    return errors


def check_agent_config(config, *, edition=None, nomad_version=None, shared=None, allow_deprecated=False, partial=False,
                       mode=None):
    """Errors (list of str, empty when fine) for an agent config.

    config: a dict (as given to edgeops.nomad.to_nomad_hcl, or what load_agent_paths merged from
    several -config paths), a .hcl/.json file path, or a directory path (merged like `nomad agent
    -config DIR`). partial=True checks a fragment (one file of a config directory): keys, types and
    value rules, but not the whole-config rules (agent mode, data_dir). mode="client" or "server":
    the merged configuration must run that agent only."""
    if isinstance(config, (str, Path)):
        try:
            config = load_agent_dir(config) if Path(config).is_dir() else load_agent_file(config)
        except (OSError, ValueError) as err:
            return [f"{config}: {err}"]
    checker = AgentChecker(edition=edition, nomad_version=nomad_version, shared=shared, allow_deprecated=allow_deprecated, partial=partial)
    errors = checker.check(config)
    if mode and isinstance(config, dict):
        errors += agent_mode_errors(config, mode)
    return errors
