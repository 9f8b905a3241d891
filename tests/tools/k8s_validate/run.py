"""Offline validation of everything the nomad_server role renders.

For every input set in tests/tools/k8s_validate/inputs/*.yml the role renders its objects through its
GitOps path (the same object list the apply path sends), then:

1. kubernetes-validate --strict against Kubernetes 1.27 and 1.33 (built-in kinds);
2. every custom resource against its CRD in $EDGEOPS_SHARED/schemas/crds (strict jsonschema);
3. pod specs of OpenShift input sets against the restricted-v2 SCC rules;
4. no secrets in ConfigMaps; every pod shares the server pods' pull secrets, placement and security context;
5. every rendered server.hcl against Nomad's agent schema (tests/tools/nomad_schema);
6. no removed API (policy/v1beta1, batch/v1beta1: gone since Kubernetes 1.25; the minimum is 1.27)
   is rendered, and rendering twice gives the same bytes.

    python -m tests.tools.k8s_validate.run [SET ...]
"""
import glob
import os
import subprocess
import sys
import time

import yaml

from tests.tools.k8s_validate import checks

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HERE = os.path.join(ROOT, "tests", "tools", "k8s_validate")
OUT = os.path.join(ROOT, ".cache", "k8s-validate")
SHARED = os.environ.get("EDGEOPS_SHARED") or os.path.join(ROOT, "..", "shared")
KUBE_VERSIONS = ("1.27.0", "1.33.0")
REMOVED_APIS = ("policy/v1beta1", "batch/v1beta1")


def render_jobs(sets):
    """(name, inputs dict) for each render."""
    jobs = []
    for name in sets:
        with open(os.path.join(HERE, "inputs", name + ".yml"), encoding="utf-8") as handle:
            jobs.append((name, yaml.safe_load(handle) or {}))
    if "ce-full" in sets:
        full = dict(jobs[sets.index("ce-full")][1])
        jobs.append(("ce-full-again", full))
    return jobs


def render(jobs):
    """Render every job in one ansible-playbook run: one inventory host per input set."""
    hosts = {}
    for name, inputs in jobs:
        hosts[name] = dict(inputs, ansible_connection="local", ansible_python_interpreter=sys.executable,
                           render_dir=os.path.join(OUT, name))
    inventory = os.path.join(OUT, "inventory.yml")
    with open(inventory, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"all": {"hosts": hosts}}, handle)
    log = os.path.join(OUT, "render.log")
    with open(log, "w", encoding="utf-8") as handle:
        proc = subprocess.run(["ansible-playbook", "-i", inventory, "-f", "10", os.path.join(HERE, "render.yml")],
                              stdout=handle, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        with open(log, encoding="utf-8") as handle:
            sys.stderr.write(handle.read()[-6000:])
        return [job[0] for job in jobs]
    return []


def manifests(name):
    """The rendered manifest files of one job and their objects as (file, object) pairs."""
    files = sorted(f for f in glob.glob(os.path.join(OUT, name, "*.yaml")) if not f.endswith("kustomization.yaml"))
    objs = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            objs += [(path, doc) for doc in yaml.safe_load_all(handle) if doc]
    return files, objs


def hcl_errors(name, text, edition, version):
    from tests.tools.nomad_schema import check_agent_config  # pylint: disable=import-outside-toplevel
    path = os.path.join(OUT, name + ".server.hcl")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return check_agent_config(path, edition=edition, nomad_version=version)


def main(argv):
    sets = argv[1:] or sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(HERE, "inputs", "*.yml")))
    subprocess.run(["rm", "-rf", OUT], check=True)
    os.makedirs(OUT)
    start = time.time()
    failed = render(render_jobs(sets))
    if failed:
        sys.exit("render failed for: %s" % ", ".join(failed))
    print("rendered %d input sets in %.1fs" % (len(sets), time.time() - start))
    crds = checks.load_crds(os.path.join(SHARED, "schemas", "crds"))
    crd_groups = {key[0] for key in crds}
    with open(os.path.join(SHARED, "schemas", "scc-restricted-v2.yaml"), encoding="utf-8") as handle:
        scc = yaml.safe_load(handle)
    counts = {"objects": 0, "custom": 0, "pods_scc": 0, "server_hcl": 0, "builtin": 0, "pods_shared": 0}
    errors, builtin_files = [], []
    for name in sets:
        with open(os.path.join(HERE, "inputs", name + ".yml"), encoding="utf-8") as handle:
            inputs = yaml.safe_load(handle) or {}
        builtin = []
        objs = manifests(name)[1]
        if not objs:
            errors.append("%s: nothing rendered" % name)
        for path, obj in objs:
            counts["objects"] += 1
            group = obj["apiVersion"].rpartition("/")[0]
            if group in crd_groups:
                counts["custom"] += 1
                errors += ["%s: %s" % (name, e) for e in checks.check_custom_resource(obj, crds)]
            else:
                builtin.append(obj)
            if inputs.get("nomad_server_openshift") and obj["kind"] in checks.POD_KINDS:
                counts["pods_scc"] += 1
                errors += ["%s: %s" % (name, e) for e in checks.check_restricted_v2(obj, scc)]
            errors += ["%s: %s" % (name, e) for e in checks.check_no_secrets_in_configmap(obj)]
            if obj["kind"] == "ConfigMap" and "server.hcl" in obj.get("data", {}):
                counts["server_hcl"] += 1
                edition = inputs.get("nomad_server_edition", "ce")
                version = str(inputs.get("nomad_server_version", "2.0.5"))
                errors += ["%s: %s" % (name, e) for e in hcl_errors(name, obj["data"]["server.hcl"], edition, version)]
        errors += ["%s: %s" % (name, e) for e in checks.check_pods_share_common([obj for _path, obj in objs])]
        counts["pods_shared"] += len([obj for _path, obj in objs if obj["kind"] in checks.POD_KINDS])
        path = os.path.join(OUT, name + ".builtin.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump_all(builtin, handle)
        builtin_files.append(path)
        counts["builtin"] += len(builtin)
    # Same inputs, same bytes; and no removed API anywhere.
    if "ce-full" in sets:
        for one, two in zip(manifests("ce-full")[0], manifests("ce-full-again")[0]):
            with open(one, "rb") as h1, open(two, "rb") as h2:
                if h1.read() != h2.read():
                    errors.append("ce-full: rendering twice gave different bytes for %s" % os.path.basename(one))
    for name in sets:
        for _path, obj in manifests(name)[1]:
            if obj["apiVersion"] in REMOVED_APIS:
                errors.append("%s: %s/%s uses %s, removed in Kubernetes 1.25"
                              % (name, obj["kind"], obj["metadata"]["name"], obj["apiVersion"]))
    for version in KUBE_VERSIONS:
        proc = subprocess.run(["kubernetes-validate", "--strict", "--quiet", "-k", version] + builtin_files,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            errors.append("kubernetes-validate %s:\n%s%s" % (version, proc.stdout, proc.stderr))
    print("checked %(objects)d objects: %(custom)d custom resources against CRDs, %(pods_scc)d pod specs against "
          "restricted-v2, %(server_hcl)d server.hcl against the Nomad schema, %(pods_shared)d pod specs "
          "sharing the server pods' pull secrets and placement" % counts)
    print("kubernetes-validate --strict %s on %d built-in objects" % (" and ".join(KUBE_VERSIONS), counts["builtin"]))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit("%d problem(s)" % len(errors))
    print("all fine (%.1fs)" % (time.time() - start))


if __name__ == "__main__":
    main(sys.argv)
