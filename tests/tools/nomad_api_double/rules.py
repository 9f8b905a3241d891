"""Nomad 2.0.5's validation rules, re-stated for the Nomad API double (a test double, not Nomad).

Each function names the Nomad file and function (tag v2.0.5 of github.com/hashicorp/nomad) whose
rule it restates; the texts are Nomad's. Read from the source, not copied: only the rules and
the error strings, which the HTTP API returns to callers, are the same.
"""

import datetime
import json
import re

try:
    import hcl2
except ImportError:  # pragma: no cover - the dev venv has python-hcl2
    hcl2 = None

VAR_PATH_RE = re.compile(r"^[a-zA-Z0-9-_~/]{1,128}$")
ROLE_NAME_RE = re.compile(r"^[a-zA-Z0-9-]{1,128}$")  # structs/acl.go ValidACLRoleName, ValidACLAuthMethod
ACL_NS_RE = re.compile(r"^[a-zA-Z0-9-*]{1,128}$")  # acl/policy.go validNamespace
ACL_POOL_RE = re.compile(r"^[a-zA-Z0-9-_*]{1,128}$")  # acl/policy.go validNodePool
ACL_VOLUME_RE = re.compile(r"^[a-zA-Z0-9-*]{1,128}$")  # acl/policy.go validVolume
NS = 10 ** 9
TOKEN_MIN_TTL = 60 * NS  # nomad/config.go DefaultConfig ACLTokenMinExpirationTTL
TOKEN_MAX_TTL = 24 * 3600 * NS  # ... ACLTokenMaxExpirationTTL

# acl/policy.go isNamespaceCapabilityValid
NAMESPACE_CAPABILITIES = frozenset((
    "deny", "list-jobs", "parse-job", "read-job", "submit-job", "dispatch-job", "read-logs", "read-fs",
    "alloc-exec", "alloc-node-exec", "alloc-lifecycle", "csi-register-plugin", "csi-write-volume",
    "csi-read-volume", "csi-list-volume", "csi-mount-volume", "host-volume-create", "host-volume-register",
    "host-volume-read", "host-volume-write", "host-volume-delete", "list-scaling-policies",
    "read-scaling-policy", "read-job-scaling", "scale-job", "register-job", "revert-job", "deregister-job",
    "purge-job", "evaluate-job", "plan-job", "tag-job-version", "stable-job", "fail-deployment",
    "pause-deployment", "promote-deployment", "unblock-deployment", "cancel-deployment",
    "set-alloc-health-deployment", "gc-allocation", "pause-allocation", "force-periodic-job",
    "delete-service-registration", "sentinel-override", "submit-recommendation"))
# acl/policy.go expandNamespacePolicy
NAMESPACE_READ = ("list-jobs", "parse-job", "read-job", "csi-list-volume", "csi-read-volume", "read-job-scaling",
                  "list-scaling-policies", "read-scaling-policy", "host-volume-read")
NAMESPACE_WRITE = NAMESPACE_READ + ("scale-job", "submit-job", "dispatch-job", "read-logs", "read-fs", "alloc-exec",
                                    "alloc-lifecycle", "csi-mount-volume", "csi-write-volume",
                                    "submit-recommendation", "host-volume-create")
NAMESPACE_SCALE = ("list-scaling-policies", "read-scaling-policy", "read-job-scaling", "scale-job", "read-job",
                   "submit-recommendation")
POLICY_LEVELS = ("deny", "read", "write", "scale")  # acl/policy.go isPolicyValid
NODE_POOL_CAPABILITIES = frozenset(("delete", "read", "write", "deny"))  # isNodePoolCapabilityValid
OPERATOR_CAPABILITIES = frozenset(("deny", "snapshot-save", "keyring-rotate", "keyring-read", "keyring-delete",
                                   "license-read"))  # isOperatorCapabilityValid
VARIABLE_CAPABILITIES = frozenset(("write", "read", "list", "destroy", "deny"))  # isPathCapabilityValid
HOST_VOLUME_CAPABILITIES = frozenset(("deny", "mount-readonly", "mount-readwrite"))
RECONCILE_OPTIONS = ("", "best_score", "longest_running", "keep_original", "keep_replacement")  # structs/group.go
# command/agent/job_endpoint.go ApiTgToStructsTG: not copied into the server's job since 1.10.0 (GH-25284)
DEPRECATED_GROUP_KEYS = ("MaxClientDisconnect", "StopAfterClientDisconnect", "PreventRescheduleOnLost")


class RuleError(Exception):
    """A refused request: HTTP status and Nomad's error text."""

    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


def multierror(errors):
    """go-multierror's ListFormatFunc (the text every Nomad `*multierror.Error` prints)."""
    if len(errors) == 1:
        return "1 error occurred:\n\t* %s\n\n" % errors[0]
    return "%d errors occurred:\n\t%s\n\n" % (len(errors), "\n\t".join("* %s" % e for e in errors))


def field(obj, name, default=None):
    """Go encoding/json matches field names case-insensitively."""
    if not isinstance(obj, dict):
        return default
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if key.lower() == lowered:
            return value
    return default


def go_duration(ns):
    """Go time.Duration.String(): 90s -> 1m30s, 0 -> 0s, 1.5s -> 1.5s, 200ms -> 200ms."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < NS:
        for unit, size in (("ms", 10 ** 6), ("µs", 1000)):
            if ns >= size:
                return sign + ("%.9f" % (ns / size)).rstrip("0").rstrip(".") + unit
        return "%s%dns" % (sign, ns)
    secs, rem = divmod(ns, NS)
    hours, secs = divmod(secs, 3600)
    mins, secs = divmod(secs, 60)
    sec_text = "%d" % secs if not rem else ("%d.%09d" % (secs, rem)).rstrip("0")
    if hours:
        return "%s%dh%dm%ss" % (sign, hours, mins, sec_text)
    if mins:
        return "%s%dm%ss" % (sign, mins, sec_text)
    return "%s%ss" % (sign, sec_text)


# -- jobs --------------------------------------------------------------------------------------
def disconnect_errors(disconnect, job_type):
    """nomad/structs/group.go DisconnectStrategy.Validate."""
    errors = []
    if not isinstance(disconnect, dict):
        return errors
    stop_after = field(disconnect, "StopOnClientAfter")
    lost_after = field(disconnect, "LostAfter") or 0
    if stop_after is not None:
        if stop_after < 0:
            errors.append("stop_after cannot be a negative duration")
        if job_type not in ("service", "batch"):
            errors.append("stop_after can only be used with service or batch job types")
    if lost_after < 0:
        errors.append("lost_after cannot be a negative duration")
    if stop_after is not None and lost_after != 0:
        errors.append("Disconnect cannot be configured with both lost_after and stop_after")
    reconcile = field(disconnect, "Reconcile") or ""
    if reconcile not in RECONCILE_OPTIONS:
        errors.append("reconcile option is invalid: %s" % reconcile)
    return errors


def task_errors(task):
    """The first rules of nomad/structs/structs.go Task.Validate (name, driver, kill timeout)."""
    errors = []
    name = field(task, "Name") or ""
    if not name:
        errors.append("Missing task name")
    if name == "alloc":
        errors.append('Task cannot be named "alloc"')
    if "/" in name or "\\" in name:
        errors.append("Task name cannot include slashes")
    elif "\0" in name:
        errors.append("Task name cannot include null characters")
    if not field(task, "Driver"):
        errors.append("Missing task driver")
    kill = field(task, "KillTimeout")
    if isinstance(kill, int) and kill < 0:
        errors.append("KillTimeout must be a positive value")
    return errors


def group_errors(group, job_type):
    """nomad/structs/structs.go TaskGroup.Validate (the rules a job from the API can hit)."""
    errors = []
    name = field(group, "Name") or ""
    if not name:
        errors.append("Missing task group name")
    elif "\0" in name:
        errors.append("Task group name contains null character")
    count = field(group, "Count")
    if isinstance(count, int) and count < 0:
        errors.append("Task group count can't be negative")
    tasks = field(group, "Tasks") or []
    if not tasks:
        errors.append("Missing tasks for task group")
    if field(group, "Disconnect") is not None:
        errors.extend(disconnect_errors(field(group, "Disconnect"), job_type))  # multierror.Append flattens
    max_run = field(group, "MaxRunDuration")
    if max_run is not None:
        if max_run <= 0:
            errors.append("MaxRunDuration must be greater than zero")
        if job_type not in ("batch", "sysbatch"):
            errors.append('Job type "%s" does not allow max_run_duration' % job_type)
    if job_type in ("system", "sysbatch") and field(group, "ReschedulePolicy") is not None:
        errors.append("System or sysbatch jobs should not have a reschedule policy")
    if field(group, "Update") is not None and job_type not in ("service", "system"):
        errors.append('Job type "%s" does not allow update block' % job_type)
    if field(group, "Migrate") is not None and job_type != "service":
        errors.append('Job type "%s" does not allow migrate block' % job_type)
    seen = {}
    leaders = 0
    for idx, task in enumerate(tasks):
        tname = field(task, "Name") or ""
        if not tname:
            errors.append("Task %d missing name" % (idx + 1))
        elif tname in seen:
            errors.append("Task %d redefines '%s' from task %d" % (idx + 1, tname, seen[tname] + 1))
        else:
            seen[tname] = idx
        leaders += 1 if field(task, "Leader") else 0
    if leaders > 1:
        errors.append("Only one task may be marked as leader")
    for task in tasks:
        terrs = task_errors(task)
        if terrs:
            errors.append("Task %s validation failed: %s" % (field(task, "Name") or "", multierror(terrs)))
    return errors


def job_errors(job):
    """nomad/structs/structs.go Job.Validate + nomad/job_endpoint_hooks.go jobValidate.Validate.

    Returns the flat list of errors (multierror.Append flattens nested *multierror.Error values; a
    task group's errors are wrapped with fmt.Errorf("Task group %s validation failed: %v"))."""
    errors = []
    jtype = field(job, "Type") or ""
    if not field(job, "Region") and field(job, "Multiregion") is None:
        errors.append("Missing job region")
    jid = field(job, "ID") or ""
    if not jid:
        errors.append("Missing job ID")
    elif " " in jid:
        errors.append("Job ID contains a space")
    elif "\0" in jid:
        errors.append("Job ID contains a null character")
    if not field(job, "Name"):
        errors.append("Missing job name")
    if not field(job, "Namespace"):
        errors.append("Job must be in a namespace")
    if jtype == "":
        errors.append("Missing job type")
    elif jtype not in ("_core", "service", "batch", "system", "sysbatch"):
        errors.append('Invalid job type: "%s"' % jtype)
    datacenters = field(job, "Datacenters") or []
    if not datacenters and field(job, "Multiregion") is None:
        errors.append("Missing job datacenters")
    elif any(dc == "" for dc in datacenters):
        errors.append("Job datacenter must be non-empty string")
    groups = field(job, "TaskGroups") or []
    if not groups:
        errors.append("Missing job task groups")
    if jtype == "system" and field(job, "Affinities") is not None:
        errors.append("System jobs may not have an affinity block")
    if jtype == "system" and field(job, "Spreads") is not None:
        errors.append("System jobs may not have a spread block")
    seen = {}
    for idx, group in enumerate(groups):
        gname = field(group, "Name") or ""
        if not gname:
            errors.append("Job task group %d missing name" % (idx + 1))
        elif gname in seen:
            errors.append("Job task group %d redefines '%s' from group %d" % (idx + 1, gname, seen[gname] + 1))
        else:
            seen[gname] = idx
        if jtype == "system" and (field(group, "Count") or 0) > 1:
            errors.append("Job task group %s has count %d. Count cannot exceed 1 with system scheduler"
                          % (gname, field(group, "Count")))
    for group in groups:
        gerrs = group_errors(group, jtype)
        if gerrs:
            errors.append("Task group %s validation failed: %s" % (field(group, "Name") or "", multierror(gerrs)))
    periodic = field(job, "Periodic")
    if isinstance(periodic, dict) and field(periodic, "Enabled", True) and jtype not in ("batch", "sysbatch"):
        errors.append('Periodic can only be used with "batch" or "sysbatch" scheduler')
    if field(job, "ParameterizedJob") is not None and jtype not in ("batch", "sysbatch"):
        errors.append('Parameterized job can only be used with "batch" or "sysbatch" scheduler')
    # job_endpoint_hooks.go jobValidate.Validate
    if jtype == "_core":
        errors.append("job type cannot be core")
    priority = field(job, "Priority")
    if isinstance(priority, int) and not 1 <= priority <= 100:
        errors.append("job priority must be between [1, 100]")
    return errors


def job_namespace(query_namespace, body, job):
    """command/agent/job_endpoint.go namespaceForJob: ?namespace=, then the request body's
    Namespace (api.WriteRequest), then job.Namespace, then "default"."""
    return query_namespace or field(body, "Namespace") or field(job, "Namespace") or "default"


# -- ACL -----------------------------------------------------------------------------------
def _unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _blocks(parsed, kind):
    """python-hcl2 labeled blocks -> [(label, body)]; JSON policies -> the same."""
    out = []
    raw = parsed.get(kind)
    if isinstance(raw, dict):  # JSON form: {"namespace": {"default": {...}}}
        raw = [raw]
    for block in raw or []:
        if not isinstance(block, dict):
            continue
        for label, body in block.items():
            if label == "__is_block__":
                continue
            out.append((_unquote(label), body if isinstance(body, dict) else {}))
    return out


def _single(parsed, kind):
    raw = parsed.get(kind)
    if raw is None:
        return None
    if isinstance(raw, list):
        raw = raw[0] if raw else {}
    return dict((k, v) for k, v in raw.items() if k != "__is_block__") if isinstance(raw, dict) else {}


def _go_struct(name, **fields):
    """An approximation of Go's %#v of an acl.*Policy struct (only used inside Nomad's texts)."""
    parts = []
    for key, value in fields.items():
        if isinstance(value, list):
            parts.append('%s:[]string{%s}' % (key, ", ".join('"%s"' % v for v in value)) if value
                         else "%s:[]string(nil)" % key)
        else:
            parts.append('%s:"%s"' % (key, value or ""))
    return "&acl.%s{%s}" % (name, ", ".join(parts))


def parse_policy(rules):
    """acl/policy.go Parse(rules, PolicyParseStrict): the parsed policy (dict) or RuleError text.

    The parser here is python-hcl2 (HCL2) rather than Nomad's HCL1; policy files that use both
    syntaxes' common subset (blocks, `key = "value"`, lists) parse the same."""
    if not rules:
        return {}
    try:
        if rules.lstrip().startswith("{"):
            parsed = json.loads(rules)
        else:
            parsed = hcl2.loads(rules)
    except Exception as exc:  # noqa: BLE001 - any parser error is Nomad's "Failed to parse ACL Policy"
        raise ValueError("Failed to parse ACL Policy: %s" % str(exc).splitlines()[0])
    known = ("namespace", "node_pool", "host_volume", "agent", "node", "operator", "sentinel", "quota", "plugin")
    if not any(parsed.get(k) is not None for k in known):
        raise ValueError("Invalid policy: %s" % rules)
    for name, body in _blocks(parsed, "namespace"):
        policy = _unquote(body.get("policy", ""))
        caps = [_unquote(c) for c in body.get("capabilities") or []]
        if not ACL_NS_RE.match(name):
            raise ValueError("Invalid namespace name: %s" % _go_struct("NamespacePolicy", Name=name, Policy=policy))
        if policy and policy not in POLICY_LEVELS:
            dump = _go_struct("NamespacePolicy", Name=name, Policy=policy, Capabilities=caps)
            raise ValueError("Invalid namespace policy: %s" % dump)
        for cap in caps:
            if cap not in NAMESPACE_CAPABILITIES:
                raise ValueError("Invalid namespace capability '%s': %s" % (
                    cap, _go_struct("NamespacePolicy", Name=name, Policy=policy, Capabilities=caps)))
        variables = body.get("variables")
        if variables is not None:
            variables = variables[0] if isinstance(variables, list) and variables else variables
            paths = _blocks(variables if isinstance(variables, dict) else {}, "path")
            if not paths:
                raise ValueError("Invalid variable policy: no variable paths in namespace %s" % name)
            for spec, pbody in paths:
                if not spec:
                    raise ValueError("Invalid missing variable path in namespace %s" % name)
                if spec.startswith("/"):
                    raise ValueError("Invalid variable path \"%s\" in namespace %s: cannot start with a leading '/'`"
                                     % (spec, name))
                for cap in pbody.get("capabilities") or []:
                    if _unquote(cap) not in VARIABLE_CAPABILITIES:
                        raise ValueError("Invalid variable capability '%s' in namespace %s" % (_unquote(cap), name))
    for name, body in _blocks(parsed, "node_pool"):
        policy = _unquote(body.get("policy", ""))
        if not ACL_POOL_RE.match(name):
            raise ValueError("Invalid node pool name '%s'" % name)
        if policy and policy not in POLICY_LEVELS:
            raise ValueError("Invalid node pool policy '%s' for '%s'" % (policy, name))
        for cap in body.get("capabilities") or []:
            if _unquote(cap) not in NODE_POOL_CAPABILITIES:
                raise ValueError("Invalid node pool capability '%s' for '%s'" % (_unquote(cap), name))
    for name, body in _blocks(parsed, "host_volume"):
        policy = _unquote(body.get("policy", ""))
        if not ACL_VOLUME_RE.match(name):
            raise ValueError("Invalid host volume name: %s" % _go_struct("HostVolumePolicy", Name=name, Policy=policy))
        if policy and policy not in POLICY_LEVELS:
            raise ValueError("Invalid host volume policy: %s" % _go_struct("HostVolumePolicy", Name=name,
                                                                           Policy=policy))
        for cap in body.get("capabilities") or []:
            if _unquote(cap) not in HOST_VOLUME_CAPABILITIES:
                raise ValueError("Invalid host volume capability '%s': %s" % (
                    _unquote(cap), _go_struct("HostVolumePolicy", Name=name, Policy=policy)))
    extra = [k for k in parsed if k not in known]
    if extra:
        raise ValueError("Invalid or duplicate policy keys: %s" % ", ".join(extra))
    for kind, struct in (("agent", "AgentPolicy"), ("node", "NodePolicy"), ("quota", "QuotaPolicy")):
        block = _single(parsed, kind)
        if block is not None and _unquote(block.get("policy", "")) not in POLICY_LEVELS:
            raise ValueError("Invalid %s policy: %s" % (kind, _go_struct(struct, Policy=_unquote(block.get("policy")))))
    operator = _single(parsed, "operator")
    if operator is not None:
        policy = _unquote(operator.get("policy", ""))
        if policy and policy not in POLICY_LEVELS:
            raise ValueError("Invalid operator policy: %s" % _go_struct("OperatorPolicy", Policy=policy))
        for cap in operator.get("capabilities") or []:
            if _unquote(cap) not in OPERATOR_CAPABILITIES:
                raise ValueError("Invalid operator capability '%s'" % _unquote(cap))
    plugin = _single(parsed, "plugin")
    if plugin is not None and _unquote(plugin.get("policy", "")) not in ("deny", "read", "list", "write"):
        raise ValueError("Invalid plugin policy: %s" % _go_struct("PluginPolicy", Policy=_unquote(plugin.get("policy"))))
    return parsed


def policy_errors(name, description, rules, job_acl):
    """nomad/structs/acl.go ACLPolicy.Validate."""
    errors = []
    if not ROLE_NAME_RE.match(name or ""):  # ValidPolicyName has the same pattern
        errors.append("invalid name '%s'" % (name or ""))
    try:
        parse_policy(rules or "")
    except ValueError as exc:
        errors.append("failed to parse rules: %s" % exc)
    if len(description or "") > 256:
        errors.append("description longer than 256")
    if isinstance(job_acl, dict):
        if field(job_acl, "JobID") and not field(job_acl, "Namespace"):
            errors.append("namespace must be set to set job ID")
        if field(job_acl, "Group") and not field(job_acl, "JobID"):
            errors.append("job ID must be set to set group")
        if field(job_acl, "Task") and not field(job_acl, "Group"):
            errors.append("group must be set to set task")
    return errors


def _instant(value):
    """An RFC 3339 time -> a comparable instant (Go's time.Equal ignores the written form)."""
    if not isinstance(value, str) or not value:
        return value
    text = value.replace("Z", "+00:00")
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if not match:
        return value
    frac = (match.group(2) or ".0")[1:]
    try:
        base = datetime.datetime.fromisoformat(match.group(1) + match.group(3))
    except ValueError:
        return value
    return (base.timestamp(), int((frac + "000000000")[:9]))


def token_errors(token, existing):
    """nomad/structs/acl.go ACLToken.Validate(minTTL, maxTTL, existing)."""
    errors = []
    if len(token["Name"]) > 256:
        errors.append("token name too long")
    if token["Type"] == "client":
        if not token["Policies"] and not token["Roles"]:
            errors.append("client token missing policies or roles")
    elif token["Type"] == "management":
        if token["Policies"] or token["Roles"]:
            errors.append("management token cannot be associated with policies or roles")
    else:
        errors.append("token type must be client or management")
    ttl = token["ExpirationTTL"]
    if existing is None:
        if ttl < 0:
            errors.append("token expiration TTL '%s' should not be negative" % go_duration(ttl))
        elif ttl:
            if ttl > TOKEN_MAX_TTL:
                errors.append("expiration time cannot be more than %s in the future (was %s)"
                              % (go_duration(TOKEN_MAX_TTL), go_duration(ttl)))
            elif ttl < TOKEN_MIN_TTL:
                errors.append("expiration time cannot be less than %s in the future (was %s)"
                              % (go_duration(TOKEN_MIN_TTL), go_duration(ttl)))
    else:
        if bool(existing["Global"]) != bool(token["Global"]):
            errors.append("cannot toggle global mode")
        if (existing["ExpirationTTL"] or 0) != ttl:
            errors.append("cannot update expiration TTL")
        if token.get("ExpirationTime") is not None and \
                _instant(token["ExpirationTime"]) != _instant(existing["ExpirationTime"]):  # time.Equal
            errors.append("cannot update expiration time")
    return errors


def role_errors(role):
    """nomad/structs/acl.go ACLRole.Validate."""
    errors = []
    if not ROLE_NAME_RE.match(role["Name"] or ""):
        errors.append("invalid name '%s'" % (role["Name"] or ""))
    if len(role["Description"] or "") > 256:
        errors.append("description longer than 256")
    if not role["Policies"]:
        errors.append("at least one policy should be specified")
    return errors


def auth_method_errors(method):
    """nomad/structs/acl.go ACLAuthMethod.Validate + ACLAuthMethodConfig.Validate."""
    errors = []
    if not ROLE_NAME_RE.match(method["Name"] or ""):
        errors.append("invalid name '%s'" % (method["Name"] or ""))
    if method["TokenLocality"] not in ("local", "global"):
        errors.append("invalid token locality '%s'" % (method["TokenLocality"] or ""))
    if method["Type"] not in ("OIDC", "JWT"):
        errors.append("invalid token type '%s'" % (method["Type"] or ""))
    config = method["Config"]
    if not isinstance(config, dict):
        errors.append("invalid config: missing auth method Config")
    elif method["Type"] == "OIDC":
        missing = [m for f, m in (("OIDCDiscoveryURL", "missing OIDCDiscoveryURL"),
                                  ("OIDCClientID", "missing OIDCClientID")) if not field(config, f)]
        if missing:  # helper.FlattenMultierror: one error stays itself, more stay a list
            errors.append("invalid config: %s" % (missing[0] if len(missing) == 1 else multierror(missing)))
    elif method["Type"] == "JWT":
        if not (field(config, "OIDCDiscoveryURL") or field(config, "JWKSURL") or field(config, "JWTValidationPubKeys")):
            errors.append("invalid config: JWT auth method requires either OIDCDiscoveryURL, or JWKS URL, or "
                          "JWTValidationPubKeys set")
    ttl = method["MaxTokenTTL"]
    if ttl < TOKEN_MIN_TTL or ttl > TOKEN_MAX_TTL:
        errors.append("invalid MaxTokenTTL value '%s' (should be between %s and %s)"
                      % (go_duration(ttl), go_duration(TOKEN_MIN_TTL), go_duration(TOKEN_MAX_TTL)))
    return errors


def binding_rule_errors(rule):
    """nomad/structs/acl.go ACLBindingRule.Validate (the selector is not parsed by the double)."""
    errors = []
    if not rule["AuthMethod"]:
        errors.append("auth method is missing")
    if len(rule["Description"] or "") > 256:
        errors.append("description longer than 256")
    bind_type, bind_name = rule["BindType"], rule["BindName"]
    if bind_type == "":
        errors.append("bind type is missing")
    elif bind_type in ("role", "policy"):
        if not bind_name:
            errors.append("bind name is missing")
    elif bind_type == "management":
        if bind_name:
            errors.append("bind name should be empty")
    else:
        errors.append('unsupported bind type: "%s"' % bind_type)
    return errors


# -- variables ---------------------------------------------------------------------------------
def variable_path_error(path):
    """nomad/structs/variables.go ValidatePath."""
    if not path:
        return "variable requires path"
    if not VAR_PATH_RE.match(path):
        return 'invalid path "%s"' % path
    parts = path.split("/")
    if parts[0] != "nomad":
        return None
    if len(parts) == 1:
        return ('"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", '
                '"nomad/job-templates", "nomad/sentinel", or below')
    if parts[1] in ("jobs", "sentinel"):
        return None
    if parts[1] == "job-templates" and len(parts) == 3:
        return None
    if parts[1] == "job-templates":
        return ('"nomad/job-templates" is a reserved directory path, but you may write variables at the level '
                'below it, for example, "nomad/job-templates/template-name"')
    return ('only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level '
            '"nomad" directory')


# -- constraints ---------------------------------------------------------------------------------
CONSTRAINT_EXACT_TARGETS = ("${node.unique.id}", "${node.datacenter}", "${node.unique.name}", "${node.class}",
                            "${node.pool}")
CONSTRAINT_PREFIX_TARGETS = ("${attr.", "${device.", "${meta.")


def constraint_attribute_error(target):
    """nomad/structs/constraint.go validateConstraintAttribute."""
    if not target.startswith("$"):
        return None
    if not target.startswith("${"):
        return 'attribute "%s" is missing an opening brace' % target
    if not target.endswith("}"):
        return 'attribute "%s" is missing a closing brace' % target
    if target in CONSTRAINT_EXACT_TARGETS or target.startswith(CONSTRAINT_PREFIX_TARGETS):
        return None
    return 'unsupported attribute "%s"' % target


def constraint_errors(ltarget, rtarget, operand):
    """nomad/structs/structs.go Constraint.Validate, for the operands the double knows how to check
    (regexp compiled with Python's re, version/semver only checked for an empty RTarget)."""
    errors = []
    if operand == "":
        errors.append("Missing constraint operand")
    require_ltarget = True
    if operand == "distinct_hosts":
        require_ltarget = False
    elif operand in ("set_contains_all", "set_contains_any", "set_contains"):
        if rtarget == "":
            errors.append("Set contains constraint requires an RTarget")
    elif operand == "regexp":
        try:
            re.compile(rtarget)
        except re.error as exc:
            errors.append("Regular expression failed to compile: %s" % exc)
    elif operand in ("version", "semver"):
        if rtarget == "":
            errors.append("%s constraint is invalid: Malformed constraint: " % operand.capitalize())
    elif operand == "distinct_property":
        if rtarget != "" and (not rtarget.isdigit() or int(rtarget) < 1):
            errors.append('Failed to convert RTarget "%s" to uint64' % rtarget)
    elif operand in ("is_set", "is_not_set"):
        if rtarget != "":
            errors.append('Operator "%s" does not support an RTarget' % operand)
    elif operand in ("=", "==", "is", "!=", "not", "<", "<=", ">", ">="):
        if rtarget == "":
            errors.append('Operator "%s" requires an RTarget' % operand)
    elif operand != "":
        errors.append('Unknown constraint type "%s"' % operand)
    if require_ltarget:
        if ltarget == "":
            errors.append("no attribute provided but is required by operator")
        else:
            problem = constraint_attribute_error(ltarget)
            if problem:
                errors.append(problem)
    return errors
