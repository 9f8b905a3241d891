"""Jobs as the Nomad API double keeps them: HCL (python-hcl2) -> api.Job JSON, api.Job.Canonicalize's
defaults, the server-set fields, and the plan diff (JobDiff)."""

import json

from .common import parse_duration


def pascal(key):
    """HCL snake_case key -> api.Job PascalCase field (with Nomad's acronyms)."""
    special = {"id": "ID", "cpu": "CPU", "memory": "MemoryMB", "memory_max": "MemoryMaxMB",
               "datacenters": "Datacenters", "node_pool": "NodePool"}
    if key in special:
        return special[key]
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


DURATION_FIELDS = {"MaxClientDisconnect", "StopAfterClientDisconnect", "LostAfter", "StopOnClientAfter", "KillTimeout",
                   "ShutdownDelay", "Delay", "Interval", "MinHealthyTime", "HealthyDeadline", "ProgressDeadline",
                   "StaggerPeriod"}


def hcl_value(key, value):
    if isinstance(value, str):
        value = value.strip('"') if value.startswith('"') and value.endswith('"') else value
        if key in DURATION_FIELDS:
            try:
                return parse_duration(value)
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        value = dict((k, v) for k, v in value.items() if k != "__is_block__")
        if key in ("Meta", "Env", "Config"):
            return dict((k, hcl_value(k, v)) for k, v in value.items())
        return dict((pascal(k), hcl_value(pascal(k), v)) for k, v in value.items())
    if isinstance(value, list):
        return [hcl_value(key, v) for v in value]
    return value


# jobspec2/types.variables.go (Variable.Value, parseVarFile): the texts Nomad's parser gives when a declared
# variable has no value and when a value is given for a variable the job does not declare.
UNSET_VARIABLE = ('Unset variable "%s"; A used variable must be set or have a default value; see '
                  'https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables  for details.')
UNDEFINED_VARIABLE = ('Undefined variable; A "%s" variable was set but was not found in known variables. To declare '
                      'variable "%s", place this block in your job files')
_VAR_REF = r"\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}"


class VariableError(ValueError):
    """The job's variables cannot be resolved (Nomad answers 400 "Failed to parse job: ...")."""


def hcl_diagnostics(texts):
    """hcl.Diagnostics.Error(): the first diagnostic, and how many others there were."""
    if len(texts) == 1:
        return texts[0]
    return "%s, and %d other diagnostic(s)" % (texts[0], len(texts) - 1)


def resolve_variables(parsed, var_file):
    """HCL2 input variables of a job (jobspec2 ParseWithConfig with VarContent): every declared `variable` needs a
    value (the var file's, else its default; Variables.Values asks each one, used or not), a value for an
    undeclared variable is an error, and `var.NAME` references are replaced by the values. python-hcl2 keeps string
    literals quoted; a bare reference comes back as "${var.NAME}". Validation blocks are not evaluated here."""
    import re  # pylint: disable=import-outside-toplevel
    var_ref = re.compile(_VAR_REF)
    declared = {}
    for block in parsed.get("variable") or []:
        for name, body in block.items():
            declared[name.strip('"')] = body.get("default")
    given = {}
    if var_file and var_file.strip():
        # python-hcl2 comes with the dev venv; imported here like the handlers import it, only when needed
        import hcl2  # pylint: disable=import-outside-toplevel
        given = hcl2.loads(var_file)
    problems = ["input.hcl: " + UNDEFINED_VARIABLE % (name, name) for name in given if name not in declared]
    values = {}
    for name, default in declared.items():
        value = given.get(name, default)
        if value is None:
            problems.append("input.hcl: " + UNSET_VARIABLE % name)
        values[name] = value
    if problems:
        raise VariableError(hcl_diagnostics(problems))

    def text_of(value):
        return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else str(value)

    def substitute(node):
        if isinstance(node, dict):
            return dict((k, substitute(v)) for k, v in node.items())
        if isinstance(node, list):
            return [substitute(v) for v in node]
        if isinstance(node, str):
            whole = var_ref.fullmatch(node)
            if whole:
                return values.get(whole.group(1), node)
            return var_ref.sub(lambda m: text_of(values[m.group(1)]) if m.group(1) in values else m.group(0), node)
        return node

    return dict((k, substitute(v)) for k, v in parsed.items() if k != "variable")


# api.TaskArtifact's JSON names of the artifact block's keys (api/tasks.go TaskArtifact hcl tags).
ARTIFACT_FIELDS = {"source": "GetterSource", "mode": "GetterMode", "insecure": "GetterInsecure",
                   "destination": "RelativeDest", "chown": "Chown", "options": "GetterOptions", "headers": "GetterHeaders"}


def hcl_artifact(block):
    """One artifact block -> api.TaskArtifact: options and headers are string maps (block or attribute form)."""
    out = {}
    for key, value in block.items():
        if key == "__is_block__":
            continue
        name = ARTIFACT_FIELDS.get(key, pascal(key))
        if key in ("options", "headers"):
            body = value[0] if isinstance(value, list) and value else value
            out[name] = dict((k, hcl_value(k, v)) for k, v in (body or {}).items() if k != "__is_block__")
        else:
            out[name] = hcl_value(name, value)
    return out


def hcl_job_to_api(job_id, spec):
    """HCL2 (python-hcl2 dict) -> api.Job JSON shape: PascalCase fields, labeled blocks as Name."""
    job = {"ID": job_id, "Name": job_id}
    spec = dict((k, v) for k, v in spec.items() if k != "__is_block__")
    for key, value in spec.items():
        if key == "group":
            groups = []
            for block in value:
                for gname, gspec in block.items():
                    group = {"Name": gname.strip('"')}
                    for gkey, gval in gspec.items():
                        if gkey == "__is_block__":
                            continue
                        if gkey == "task":
                            tasks = []
                            for tblock in gval:
                                for tname, tspec in tblock.items():
                                    task = {"Name": tname.strip('"')}
                                    for tkey, tval in tspec.items():
                                        if tkey == "__is_block__":
                                            continue
                                        if tkey == "artifact":
                                            task["Artifacts"] = [hcl_artifact(a) for a in tval]
                                            continue
                                        tval = tval[0] if isinstance(tval, list) and tkey in (
                                            "config", "resources", "env", "meta") else tval
                                        task[pascal(tkey)] = hcl_value(pascal(tkey), tval)
                                    tasks.append(task)
                            group["Tasks"] = tasks
                        else:
                            gval = gval[0] if isinstance(gval, list) and gkey in (
                                "disconnect", "restart", "update", "meta", "network") else gval
                            group[pascal(gkey)] = hcl_value(pascal(gkey), gval)
                    groups.append(group)
            job["TaskGroups"] = groups
        else:
            value = value[0] if isinstance(value, list) and key in ("meta", "update") else value
            job[pascal(key)] = hcl_value(pascal(key), value)
    return job


def _default(obj, key, value):
    """Set a default where the key is missing or JSON null (api.Job's nil pointers arrive as null)."""
    if obj.get(key) is None:
        obj[key] = value
    return obj[key]


def canonicalize(job):
    """Fill defaults like api.Job.Canonicalize does for the fields the double keeps."""
    _default(job, "Name", job.get("ID"))
    _default(job, "Type", "service")
    _default(job, "Priority", 50)
    _default(job, "Region", "global")
    _default(job, "Namespace", "default")
    _default(job, "Datacenters", ["*"])
    if not job.get("NodePool"):
        job["NodePool"] = "default"
    _default(job, "Stop", False)
    job.setdefault("Meta", None)
    for group in job.get("TaskGroups") or []:
        _default(group, "Count", 1)
        for task in group.get("Tasks") or []:
            resources = _default(task, "Resources", {})
            _default(resources, "CPU", 100)
            _default(resources, "MemoryMB", 300)
    return job


SERVER_FIELDS = ("Status", "StatusDescription", "Version", "SubmitTime", "CreateIndex", "ModifyIndex", "JobModifyIndex",
                 "Stable", "Namespace")


def job_spec(job):
    return dict((k, v) for k, v in job.items() if k not in SERVER_FIELDS)


def _field_diffs(old, new, prefix=""):
    out = []
    for key in sorted(set(old) | set(new)):
        if key in ("TaskGroups", "Tasks") or key in SERVER_FIELDS:
            continue
        a, b = old.get(key), new.get(key)
        name = prefix + key
        if isinstance(a, dict) or isinstance(b, dict):
            out.extend(_field_diffs(a or {}, b or {}, name + "."))
        elif a != b:
            kind = "Added" if a is None else "Deleted" if b is None else "Edited"
            out.append({"Type": kind, "Name": name, "Old": "" if a is None else json.dumps(a).strip('"'),
                        "New": "" if b is None else json.dumps(b).strip('"'), "Annotations": None})
    return out


def plan_diff(old, new):
    """A JobDiff shaped like Nomad's (Type, ID, Fields, Objects, TaskGroups[{Type, Name, Fields, Tasks}])."""
    old_spec = job_spec(old) if old else {}
    kind = "Added" if old is None else ("None" if old_spec == job_spec(new) else "Edited")
    groups = []
    old_groups = dict((g["Name"], g) for g in (old or {}).get("TaskGroups", []))
    new_groups = dict((g["Name"], g) for g in new.get("TaskGroups", []))
    for name in sorted(set(old_groups) | set(new_groups)):
        a, b = old_groups.get(name), new_groups.get(name)
        gtype = "Added" if a is None else "Deleted" if b is None else ("None" if a == b else "Edited")
        tasks = []
        old_tasks = dict((t["Name"], t) for t in (a or {}).get("Tasks", []))
        new_tasks = dict((t["Name"], t) for t in (b or {}).get("Tasks", []))
        for tname in sorted(set(old_tasks) | set(new_tasks)):
            ta, tb = old_tasks.get(tname), new_tasks.get(tname)
            ttype = "Added" if ta is None else "Deleted" if tb is None else ("None" if ta == tb else "Edited")
            tasks.append({"Type": ttype, "Name": tname, "Fields": _field_diffs(ta or {}, tb or {}), "Objects": None,
                          "Annotations": None})
        groups.append({"Type": gtype, "Name": name, "Fields": _field_diffs(a or {}, b or {}), "Objects": None,
                       "Tasks": tasks, "Updates": None})
    return {"Type": kind, "ID": new["ID"], "Fields": _field_diffs(old_spec, job_spec(new)) if old else [],
            "Objects": None, "TaskGroups": groups}
