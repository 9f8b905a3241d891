# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a Nomad job file (HCL2) against shared/nomad/jobspec-group.json.

Unknown attributes and blocks are reported with Nomad's HCL2 wording ("Unsupported argument",
"Unsupported block type"); on top of that the group/task validation rules listed in the JSON are
applied, and the deprecated group disconnect fields are errors (this collection never ships them).
Free-form bodies (task config, meta, env, ...) are checked only as the JSON describes them.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import hclload
from .common import is_int, load_schema, parse_duration, show, type_name
from .hclload import Block, Body, Expr

TOP_LEVEL_BLOCKS = {"job", "variable", "variables", "locals"}
RTARGET_OPTIONAL = {"distinct_hosts", "distinct_property", "is_set", "is_not_set"}
NO_RTARGET = {"is_set", "is_not_set"}
SHORTHANDS = {
    "distinct_hosts",
    "distinct_property",
    "regexp",
    "version",
    "semver",
    "set_contains",
    "set_contains_all",
    "set_contains_any",
    "is_set",
    "is_not_set",
}


# nomad/structs/structs.go TaskArtifact.validateChecksum: "type:value", value hex of the type's digest length.
CHECKSUM_BYTES = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}
_VAR_REF = re.compile(r"\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}")


def _duration_seconds(value):
    if is_int(value):
        return value / 1e9
    return parse_duration(value)


class JobChecker:
    def __init__(self, shared=None):
        self.doc = load_schema("jobspec-group.json", shared)
        self.errors = []
        self.defaults = {}  # variable name -> its default (a value given at parse time when there is none)

    def err(self, path, message):
        self.errors.append(f"{path}: {message}")

    # ---- schema resolution -------------------------------------------------------------------
    def resolve(self, node):
        ref = node.get("ref", "")
        if not ref:
            return node
        if ref.startswith("see `group`"):
            return self.doc["group"]
        match = re.search(r"group\.blocks\.task(?:\.blocks\.(\w+))?", ref)
        task = self.doc["group"]["blocks"]["task"]
        if ref.startswith("same schema as task "):
            return task["blocks"][ref.split()[-1]]
        if match:
            return task["blocks"][match.group(1)] if match.group(1) else task
        raise KeyError(f"cannot resolve schema reference {ref!r}")

    # ---- generic walk ------------------------------------------------------------------------
    def body(self, body, node, path):
        attrs = node.get("attributes", {})
        blocks = node.get("blocks", {})
        for name, value in body.attrs.items():
            where = f"{path}.{name}"
            if name in attrs:
                self.attr(where, value, attrs[name])
            elif name in blocks and blocks[name].get("type") == "block-as-map":
                if body.blocks_of(name):
                    self.err(where, f"Duplicate {name} block")
                self.free_map(where, value, blocks[name])
            else:
                self.err(where, f'Unsupported argument; An argument named "{name}" is not expected here.')
        for name, spec in attrs.items():
            if spec.get("required") and name not in body.attrs:
                self.err(path, f'Missing required argument; The argument "{name}" is required, but no definition was found.')
        seen = {}
        for block in body.blocks:
            where = f"{path}.{block.type}" + "".join(f"[{label!r}]" for label in block.labels)
            if block.type == "dynamic":
                self.dynamic(block, blocks, where)
                continue
            spec = blocks.get(block.type)
            if spec is None:
                self.err(where, f'Unsupported block type; Blocks of type "{block.type}" are not expected here.')
                continue
            seen[block.type] = seen.get(block.type, 0) + 1
            if seen[block.type] == 2 and not spec.get("repeatable"):
                self.err(where, f"Duplicate {block.type} block")
            if spec.get("type") == "block-as-map":
                self.free_block(where, block, spec)
                continue
            resolved = self.resolve(spec)
            want = len(spec.get("_labels") or resolved.get("_labels") or [])
            if len(block.labels) != want:
                self.err(where, f"{block.type} block needs {want} label(s), got {len(block.labels)}")
            self.body(block.body, resolved, where)

    def dynamic(self, block, blocks, where):
        """HCL2 dynamic "<type>" { for_each = ..., content { ... } }: check content as <type>."""
        if len(block.labels) != 1:
            self.err(where, "dynamic block needs 1 label (the block type it generates)")
            return
        spec = blocks.get(block.labels[0])
        if spec is None:
            self.err(where, f'Unsupported block type; Blocks of type "{block.labels[0]}" are not expected here.')
            return
        for name in block.body.attrs:
            if name not in ("for_each", "iterator", "labels"):
                self.err(f"{where}.{name}", f'Unsupported argument; An argument named "{name}" is not expected here.')
        if "for_each" not in block.body.attrs:
            self.err(where, 'Missing required argument; The argument "for_each" is required, but no definition was found.')
        contents = block.body.blocks_of("content")
        others = [b.type for b in block.body.blocks if b.type != "content"]
        if len(contents) != 1 or others:
            self.err(where, "dynamic block needs exactly one content block and nothing else")
        for content in contents:
            if spec.get("type") == "block-as-map":
                self.free_block(f"{where}.content", content, spec)
            else:
                self.body(content.body, self.resolve(spec), f"{where}.content")

    def attr(self, where, value, spec):
        if spec.get("deprecated"):
            self.err(
                where,
                f"deprecated since Nomad {spec.get('deprecated_since')} and ignored since "
                f"{spec.get('ignored_since')}: use {spec.get('replacement')}",
            )
        if isinstance(value, Expr):
            return  # cannot evaluate expressions statically
        kind = spec.get("type", "string")
        problem = None
        if kind.startswith("string"):
            problem = None if isinstance(value, str) else "a string"
        elif kind.startswith("number(int"):
            problem = None if is_int(value) else "a whole number"
        elif kind == "bool":
            problem = None if isinstance(value, bool) else "a bool"
        elif kind == "list(string)":
            ok = isinstance(value, list) and all(isinstance(v, (str, Expr)) for v in value)
            problem = None if ok else "a list of strings"
        elif kind.startswith("duration"):
            problem = None if _duration_seconds(value) is not None else 'a duration such as "30s"'
        elif kind == "map(string)":
            ok = isinstance(value, dict) and all(isinstance(v, (str, Expr)) for v in value.values())
            problem = None if ok else "an object of strings"
        elif kind == "[]uint16":
            ok = isinstance(value, list) and all(is_int(v) and 0 <= v <= 65535 for v in value)
            problem = None if ok else "a list of port numbers"
        if problem:
            self.err(where, f"Unsuitable value type; expected {problem}, got {type_name(value)} {show(value)}")
            return
        allowed = spec.get("allowed")
        if allowed and value not in allowed:
            self.err(where, f"{show(value)} is not one of {', '.join(show(a) for a in allowed)}")

    def free_map(self, where, value, spec):
        if not isinstance(value, dict):
            self.err(where, f"expected an object, got {type_name(value)}")
            return
        self.free_values(where, value, spec.get("value_type"))

    def free_block(self, where, block, spec):
        if block.labels:
            self.err(where, f"{block.type} block takes no labels")
        vtype = spec.get("value_type")
        if vtype != "any" and block.body.blocks:
            self.err(where, f'Unsupported block type; Blocks of type "{block.body.blocks[0].type}" are not expected here.')
        self.free_values(where, block.body.attrs, vtype)

    def free_values(self, where, values, vtype):
        for key, value in values.items():
            if isinstance(value, Expr) or vtype == "any":
                continue
            if vtype == "string" and not isinstance(value, str):
                self.err(f"{where}[{key!r}]", f"expected a string, got {type_name(value)} {show(value)} (quote it)")
            if vtype == "[]string" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                self.err(f"{where}[{key!r}]", f"expected a list of strings, got {type_name(value)}")

    # ---- job -------------------------------------------------------------------------------
    def check(self, body):
        for block in body.blocks:
            if block.type not in TOP_LEVEL_BLOCKS:
                self.err(block.type, f'Unsupported block type; Blocks of type "{block.type}" are not expected here.')
        for name in body.attrs:
            self.err(name, f'Unsupported argument; An argument named "{name}" is not expected here.')
        for block in body.blocks_of("variable"):
            if block.labels and "default" in block.body.attrs:
                self.defaults[block.labels[0]] = block.body.attrs["default"]
        jobs = body.blocks_of("job")
        if not jobs:
            self.err("(file)", "Missing job block")
            return self.errors
        if len(jobs) > 1:
            self.err("(file)", "Duplicate job block")
        job = jobs[0]
        if len(job.labels) != 1:
            self.err("job", f"job block needs 1 label (the job ID), got {len(job.labels)}")
            return self.errors
        path = f"job[{job.labels[0]!r}]"
        self.body(job.body, self.doc["job"], path)
        self.job_rules(job, path)
        return self.errors

    def job_rules(self, job, path):
        jtype = job.body.attrs.get("type", "service")
        if not isinstance(jtype, str):
            jtype = "service"
        label = job.labels[0]
        if not label or "\x00" in label or " " in label:
            self.err(path, "job ID must be non-empty and contain no spaces or NUL")
        datacenters = job.body.attrs.get("datacenters")
        if isinstance(datacenters, list) and any(dc == "" for dc in datacenters):
            self.err(f"{path}.datacenters", "Job datacenter must be non-empty string")
        priority = job.body.attrs.get("priority")
        if is_int(priority) and not 1 <= priority <= 100:
            self.err(f"{path}.priority", f"job priority must be between 1 and 100 (server job_max_priority default), got {priority}")
        groups = job.body.blocks_of("group") + job.body.blocks_of("task")
        if not groups:
            self.err(path, "job has no group (Missing task groups)")
        names = [g.labels[0] for g in groups if g.labels]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.err(path, f"group name {name!r} is used twice")
        self.constraints(job.body, path)
        if job.body.blocks_of("update") and jtype not in ("service", "system"):
            self.err(f"{path}.update", f'Job type "{jtype}" does not allow update block (only service, system)')
        if job.body.blocks_of("migrate") and jtype != "service":
            self.err(f"{path}.migrate", f'Job type "{jtype}" does not allow migrate block (only service)')
        if job.body.blocks_of("reschedule") and jtype in ("system", "sysbatch"):
            self.err(f"{path}.reschedule", "System or sysbatch jobs should not have a reschedule policy")
        for group in job.body.blocks_of("group"):
            if group.labels:
                self.group_rules(group, f"{path}.group[{group.labels[0]!r}]", jtype)
        for task in job.body.blocks_of("task"):  # wrapped into a group of its own by Nomad
            if task.labels:
                self.task_rules(task, f"{path}.task[{task.labels[0]!r}]", {})

    def group_rules(self, group, path, jtype):
        body = group.body
        count = body.attrs.get("count")
        if is_int(count):
            if count < 0:
                self.err(f"{path}.count", "Task group count can't be negative")
            if jtype == "system" and count > 1:
                self.err(f"{path}.count", f"Job task group {group.labels[0]} has count {count}. Count cannot exceed 1 with system scheduler")
        tasks = body.blocks_of("task")
        if not tasks:
            self.err(path, "Missing tasks for task group")
        if jtype == "system" and body.blocks_of("affinity"):
            self.err(f"{path}.affinity", "System jobs may not have an affinity block")
        if jtype == "system" and body.blocks_of("spread"):
            self.err(f"{path}.spread", "System jobs may not have a spread block")
        if jtype in ("system", "sysbatch") and body.blocks_of("reschedule"):
            self.err(f"{path}.reschedule", "System or sysbatch jobs should not have a reschedule policy")
        if body.blocks_of("update") and jtype not in ("service", "system"):
            self.err(f"{path}.update", f'Job type "{jtype}" does not allow update block (only service, system)')
        if body.blocks_of("migrate") and jtype != "service":
            self.err(f"{path}.migrate", f'Job type "{jtype}" does not allow migrate block (only service)')
        if "max_run_duration" in body.attrs and jtype not in ("batch", "sysbatch"):
            self.err(f"{path}.max_run_duration", f'Job type "{jtype}" does not allow max_run_duration (only batch, sysbatch)')
        leaders = [t for t in tasks if t.body.attrs.get("leader") is True]
        if len(leaders) > 1:
            self.err(path, "Only one task may be marked as leader")
        self.constraints(body, path)
        for block in body.blocks_of("disconnect"):
            self.disconnect(block.body, f"{path}.disconnect", jtype)
        for block in body.blocks_of("restart"):
            self.restart(block.body, f"{path}.restart")
        for block in body.blocks_of("reschedule"):
            self.reschedule(block.body, f"{path}.reschedule")
        volumes = {}
        for block in body.blocks_of("volume"):
            if block.labels:
                volumes[block.labels[0]] = block
                self.volume(block, f"{path}.volume[{block.labels[0]!r}]", jtype)
        for task in tasks:
            if task.labels:
                self.task_rules(task, f"{path}.task[{task.labels[0]!r}]", volumes)

    def disconnect(self, body, path, jtype):
        attrs = body.attrs
        lost = _duration_seconds(attrs.get("lost_after")) if "lost_after" in attrs else None
        stop = _duration_seconds(attrs.get("stop_on_client_after")) if "stop_on_client_after" in attrs else None
        if stop is not None and stop < 0:
            self.err(f"{path}.stop_on_client_after", "stop_after cannot be a negative duration")
        if lost is not None and lost < 0:
            self.err(f"{path}.lost_after", "lost_after cannot be a negative duration")
        if "stop_on_client_after" in attrs and jtype not in ("service", "batch"):
            self.err(f"{path}.stop_on_client_after", "stop_after can only be used with service or batch job types")
        if "stop_on_client_after" in attrs and lost:
            self.err(path, "Disconnect cannot be configured with both lost_after and stop_after")

    def restart(self, body, path):
        mode = body.attrs.get("mode")
        if mode is not None and mode not in ("delay", "fail"):
            self.err(f"{path}.mode", f'Unsupported restart mode: "{mode}"')
        interval = _duration_seconds(body.attrs.get("interval")) if "interval" in body.attrs else None
        if interval is not None and interval < 5:
            self.err(f"{path}.interval", f"Interval can not be less than 5s (got {body.attrs['interval']})")
        attempts, delay = body.attrs.get("attempts"), _duration_seconds(body.attrs.get("delay"))
        if attempts == 0 and mode == "delay":
            self.err(path, 'Restart policy "delay" with 0 attempts is ambiguous')
        if is_int(attempts) and delay is not None and interval is not None and attempts * delay > interval:
            self.err(
                path,
                f"Nomad can't restart the TaskGroup {attempts} times in an interval of {body.attrs['interval']} with a delay of {body.attrs['delay']}",
            )

    def reschedule(self, body, path):
        attrs = body.attrs
        function = attrs.get("delay_function")
        if function is not None and function not in ("constant", "exponential", "fibonacci"):
            self.err(f"{path}.delay_function", f'Invalid delay function "{function}", must be one of ["constant" "exponential" "fibonacci"]')
        delay = _duration_seconds(attrs.get("delay")) if "delay" in attrs else None
        if delay is not None and delay < 5:
            self.err(f"{path}.delay", "Delay cannot be less than 5s")
        max_delay = _duration_seconds(attrs.get("max_delay")) if "max_delay" in attrs else None
        if delay is not None and max_delay is not None and max_delay < delay:
            self.err(f"{path}.max_delay", "Max Delay cannot be less than Delay")
        if is_int(attrs.get("attempts")) and attrs["attempts"] > 0 and attrs.get("unlimited") is True:
            self.err(path, "If Attempts >0, Unlimited cannot also be set to true")

    def volume(self, block, path, jtype):
        attrs = block.body.attrs
        vtype = attrs.get("type")
        if vtype not in ("host", "csi"):
            self.err(f"{path}.type", f"volume has unrecognized type {vtype}")
        if not attrs.get("source"):
            self.err(f"{path}.source", "volume has an empty source")
        if vtype == "host" and block.body.blocks_of("mount_options"):
            self.err(f"{path}.mount_options", "host volumes cannot have mount options")
        if vtype == "csi" and not attrs.get("attachment_mode"):
            self.err(f"{path}.attachment_mode", "CSI volumes must have an attachment mode")
        if attrs.get("per_alloc") is True and jtype in ("system", "sysbatch"):
            self.err(f"{path}.per_alloc", "per_alloc volumes are not allowed in system or sysbatch jobs")

    def task_rules(self, task, path, volumes):
        name = task.labels[0]
        if name == "alloc" or "/" in name or "\x00" in name or not name:
            self.err(path, f"invalid task name {name!r} (not 'alloc', no '/' or NUL)")
        attrs = task.body.attrs
        if not attrs.get("driver"):
            self.err(path, "Missing task driver")
        if not task.body.blocks_of("config") and "config" not in attrs:
            self.err(path, "task has no config block (every driver needs one)")
        self.constraints(task.body, path)
        for res in task.body.blocks_of("resources"):
            r = res.body.attrs
            if "disk" in r:
                self.err(f"{path}.resources.disk", "Task can't ask for disk resources, they have to be specified at the task group level.")
            if "cpu" in r and "cores" in r:
                self.err(f"{path}.resources", "cpu and cores are mutually exclusive")
            if is_int(r.get("memory")) and r["memory"] < 10:
                self.err(f"{path}.resources.memory", f"minimum MemoryMB value is 10; got {r['memory']}")
            if is_int(r.get("cpu")) and r["cpu"] < 1:
                self.err(f"{path}.resources.cpu", f"minimum CPU value is 1; got {r['cpu']}")
            mem, mem_max = r.get("memory", 300), r.get("memory_max")
            if is_int(mem_max) and mem_max != -1 and is_int(mem) and mem_max < mem:
                self.err(f"{path}.resources.memory_max", f"MemoryMaxMB value ({mem_max}) should be larger than MemoryMB value ({mem})")
        for i, mount in enumerate(task.body.blocks_of("volume_mount")):
            ref = mount.body.attrs.get("volume")
            if isinstance(ref, str) and ref not in volumes:
                self.err(f"{path}.volume_mount", f"Volume Mount ({i}) references undefined volume {ref}")
            mode = mount.body.attrs.get("propagation_mode")
            if mode is not None and mode not in ("private", "host-to-task", "bidirectional"):
                self.err(f"{path}.volume_mount.propagation_mode", f"unknown propagation mode {show(mode)}")
            label = mount.body.attrs.get("selinux_label")
            if label is not None and label not in ("", "z", "Z"):
                self.err(f"{path}.volume_mount.selinux_label", f"unknown selinux_label {show(label)}")
        for i, artifact in enumerate(task.body.blocks_of("artifact")):
            options = artifact.body.attrs.get("options")
            for block in artifact.body.blocks_of("options"):
                options = block.body.attrs
            if isinstance(options, dict) and "checksum" in options:
                self.checksum(f"{path}.artifact[{i}].options.checksum", options["checksum"])
        kill_timeout = _duration_seconds(attrs.get("kill_timeout")) if "kill_timeout" in attrs else None
        if kill_timeout is not None and kill_timeout < 0:
            self.err(f"{path}.kill_timeout", "KillTimeout must be a positive value")

    def checksum(self, where, value):
        """nomad/structs/structs.go TaskArtifact.validateChecksum, plus a rule of ours: a digest whose hex digits are
        all the same (the all-zero placeholder of an example) is no artifact's checksum. A reference to a variable
        with a default is checked with that default; one without a default is given when the job is parsed
        (deploy_jobs passes the operator's value), and what is left of ${...} is interpolated by Nomad later and
        skipped, as Nomad skips it."""
        if isinstance(value, Expr):
            match = re.fullmatch(r"var\.([A-Za-z_][A-Za-z0-9_-]*)", value.text.strip())
            if not match or match.group(1) not in self.defaults:
                return
            value = self.defaults[match.group(1)]
        if not isinstance(value, str):
            self.err(where, f"Unsuitable value type; expected a string, got {type_name(value)} {show(value)}")
            return
        value = _VAR_REF.sub(lambda m: self.defaults[m.group(1)] if isinstance(self.defaults.get(m.group(1)), str)
                             else m.group(0), value)
        if "${" in value:
            return
        check = value.strip()
        if not check:
            self.err(where, "checksum value cannot be empty")
            return
        parts = check.split(":")
        if len(parts) != 2:
            self.err(where, f'checksum must be given as "type:value"; got {show(check)}')
            return
        kind, digest = parts
        if not re.fullmatch(r"([0-9a-fA-F]{2})*", digest):
            self.err(where, f"invalid checksum: {show(digest)} is not hexadecimal")
            return
        if kind not in CHECKSUM_BYTES:
            self.err(where, f"unsupported checksum type: {kind}")
            return
        if len(digest) != 2 * CHECKSUM_BYTES[kind]:
            self.err(where, f"invalid {kind} checksum: {digest}")
            return
        if len(set(digest.lower())) == 1:
            self.err(where, f"{kind}:{digest[:8]}... is a placeholder (every digit {digest[0]}), not the checksum of an "
                            "artifact: take it from a variable the operator sets to the artifact's real checksum")

    def constraints(self, body, path):
        for kind in ("constraint", "affinity"):
            for i, block in enumerate(body.blocks_of(kind)):
                self.constraint(block.body, f"{path}.{kind}[{i}]", kind)

    def constraint(self, body, path, kind):
        attrs = body.attrs
        shorthands = [k for k in attrs if k in SHORTHANDS]
        if len(shorthands) > 1:
            self.err(path, f"only one of {', '.join(shorthands)} may be set")
        operator = attrs.get("operator", shorthands[0] if shorthands else "=")
        if shorthands and "operator" in attrs:
            self.err(path, f"use either operator or the {shorthands[0]} shorthand, not both")
        if kind == "affinity":
            if operator in ("distinct_hosts", "distinct_property", "is_set", "is_not_set"):
                self.err(f"{path}.operator", f"Unknown affinity operator {show(operator)}")
            weight = attrs.get("weight", 50)
            if is_int(weight) and weight == 0:
                self.err(f"{path}.weight", "Affinity weight cannot be zero")
            elif is_int(weight) and not -100 <= weight <= 100:
                self.err(f"{path}.weight", "Affinity weight must be within the range [-100,100]")
        value = attrs.get("value")
        if shorthands and shorthands[0] not in ("distinct_hosts", "distinct_property"):
            value = attrs[shorthands[0]]
        target = attrs.get("attribute")
        if operator in NO_RTARGET and "value" in attrs:
            self.err(path, f'Operator "{operator}" does not support an RTarget')
        if operator not in RTARGET_OPTIONAL and value in (None, ""):
            self.err(path, f'Operator "{operator}" requires an RTarget')
        if operator not in ("distinct_hosts",) and not target and operator != "distinct_property":
            self.err(path, "no attribute provided but is required by operator")
        if operator == "regexp" and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as err:
                self.err(path, f"Regular expression failed to compile: {err}")
        if operator == "distinct_property" and not (target or attrs.get("distinct_property")):
            self.err(path, "no attribute provided but is required by operator")
        if isinstance(target, str) and target.startswith("$"):
            if not target.startswith("${"):
                self.err(f"{path}.attribute", f'attribute "{target}" is missing an opening brace')
            elif not target.endswith("}"):
                self.err(f"{path}.attribute", f'attribute "{target}" is missing a closing brace')
            else:
                inner = target[2:-1]
                if not re.match(r"^(attr|meta|node|device)\.|^(node\.unique\.id|node\.datacenter|node\.unique\.name|node\.class|node\.pool)$", inner):
                    self.err(f"{path}.attribute", f'unsupported attribute "{target}"')


def check_job(job, *, shared=None):
    """Errors (list of str, empty when fine) for a job given as HCL text, a file path or a Body."""
    if isinstance(job, Path) or (isinstance(job, str) and "\n" not in job and job.endswith((".hcl", ".nomad"))):
        try:
            job = hclload.load(job)
        except (OSError, hclload.HCLError) as err:
            return [f"{job}: {err}"]
    elif isinstance(job, str):
        try:
            job = hclload.loads(job)
        except hclload.HCLError as err:
            return [str(err)]
    if not isinstance(job, Body):
        return [f"check_job takes HCL text, a path or a Body, got {type(job).__name__}"]
    return JobChecker(shared=shared).check(job)


__all__ = ["check_job", "JobChecker", "Block", "Body"]
