"""Check the edge job files: Nomad's jobspec schema (tests/tools/nomad_schema, strict: it also refuses an artifact
checksum that is a placeholder, such as all zeros) plus what the edge use cases require of every job: a node_pool,
constraints on ${attr.cpu.arch} and ${attr.kernel.name} (job or group level), in every group a disconnect block
with lost_after, replace and reconcile (never the deprecated max_client_disconnect / stop_after_client_disconnect /
prevent_reschedule_on_lost), and a task that downloads an artifact runs what the artifact brings (its command or
jar_path lies in the artifact's destination), not a binary of the host.

Usage: python tests/e2e/demo/check_jobs.py FILE...   (a built-in negative case runs first: the checker
must reject a job that breaks each rule, or the check itself fails).
"""

import sys
from pathlib import Path

import hcl2

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.tools.nomad_schema import check_job  # noqa: E402  (repo root on the path first)

DEPRECATED = ("max_client_disconnect", "stop_after_client_disconnect", "prevent_reschedule_on_lost")
BAD_JOB = """
job "bad" {
  group "g" {
    max_client_disconnect = "1h"
    task "t" {
      driver = "exec"
      config { command = "/usr/local/bin/tool" }
      artifact {
        source      = "https://artifacts.example.test/tool.tar.gz"
        destination = "local/"
      }
    }
  }
}
"""
# An artifact's destination is relative to the task directory (default "local/"); ${NOMAD_TASK_DIR} is that "local".
DEFAULT_DESTINATION = "local/"


def _unquote(key):
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _labelled(blocks):
    for block in blocks or []:
        for label, body in block.items():
            yield _unquote(label), body


def _attrs(constraints):
    return {_unquote(str(c.get("attribute", ""))) for c in constraints or []}


def edge_rules(text):
    errors = []
    jobs = list(_labelled(hcl2.loads(text).get("job")))
    if len(jobs) != 1:
        return ["exactly one job block expected"]
    name, job = jobs[0]
    if not job.get("node_pool"):
        errors.append(f"job {name}: no node_pool")
    job_attrs = _attrs(job.get("constraint"))
    for gname, group in _labelled(job.get("group")):
        attrs = job_attrs | _attrs(group.get("constraint"))
        for needed in ("${attr.cpu.arch}", "${attr.kernel.name}"):
            if needed not in attrs:
                errors.append(f"job {name} group {gname}: no constraint on {needed}")
        disconnect = (group.get("disconnect") or [{}])[0]
        for key in ("lost_after", "replace", "reconcile"):
            if key not in disconnect:
                errors.append(f"job {name} group {gname}: disconnect block without {key}")
        for key in DEPRECATED:
            if key in group:
                errors.append(f"job {name} group {gname}: deprecated {key} (use the disconnect block)")
        for tname, task in _labelled(group.get("task")):
            errors += _runs_its_artifact(f"job {name} group {gname} task {tname}", task)
    return errors


def _task_path(path):
    path = _unquote(str(path)).replace("${NOMAD_TASK_DIR}", "local")
    return path[2:] if path.startswith("./") else path


def _runs_its_artifact(where, task):
    """A task that downloads an artifact must run what it downloaded: its command (or the java driver's jar_path)
    is a path inside one of the artifacts' destinations, relative to the task directory."""
    artifacts = task.get("artifact") or []
    if not artifacts:
        return []
    config = (task.get("config") or [{}])[0]
    runs = config.get("command", config.get("jar_path"))
    if runs is None:
        return []
    runs = _task_path(runs)
    destinations = [_task_path(a.get("destination", DEFAULT_DESTINATION)).rstrip("/") + "/" for a in artifacts]
    if any(runs.startswith(d) for d in destinations):
        return []
    return [f"{where}: downloads an artifact into {', '.join(destinations)} but runs {runs} (a binary of the host): "
            "run what the artifact brings"]


def main(paths):
    bad = edge_rules(BAD_JOB)
    expected = ["no node_pool", "${attr.cpu.arch}", "${attr.kernel.name}", "without lost_after", "deprecated max_client_disconnect",
                "runs /usr/local/bin/tool (a binary of the host)"]
    missing = [e for e in expected if not any(e in b for b in bad)]
    if missing:
        print(f"check_jobs: the negative case was not rejected for: {missing}")
        return 1
    failed = 0
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        errors = check_job(Path(path)) + edge_rules(text)
        for err in errors:
            print(f"{path}: {err}")
        failed += bool(errors)
        if not errors:
            print(f"{path}: ok (jobspec schema and edge rules)")
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
