# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/side_by_side.py --smoke (in make test): a converged Linux host must take exactly one module run.

The counting and the verdict on -vvv log lines as the podman connection writes them: the role's compare module
alone passes; the same with a `setup` run before it (what a converged host cost before the compare module brought
the facts) fails.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("side_by_side", ROOT / "benchmarks" / "side_by_side.py")
side_by_side = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(side_by_side)

HOST = "sbs1-ours-1-amd64"


def run_line(module):
    # a module run as MODULE_RUN reads it from the -vvv log, after the chmod of the same file (a RUN of its own)
    tmp = "/root/.ansible/tmp/ansible-tmp-1-2"
    return ("<%s> RUN [b'podman', b'exec', b'%s', b'/bin/sh', b'-c', b'chmod u+rwx %s/AnsiballZ_%s.py && sleep 0']\n"
            "<%s> RUN [b'podman', b'exec', b'%s', b'/bin/sh', b'-c', b'/usr/bin/python3 %s/AnsiballZ_%s.py && sleep 0']\n"
            % (HOST, HOST, tmp, module, HOST, HOST, tmp, module))


def measured(modules_again, modules_check):
    def phase(log):
        return {"rc": 0, "recap": {HOST: {"ok": 20, "changed": 0, "failed": 0,
                                          "modules": side_by_side.module_runs(log, HOST)}}}
    return {"first": phase(run_line("nomad_client_state") * 10), "again": phase(modules_again),
            "check": phase(modules_check), "work": "/tmp/sbs"}


def test_one_module_run_per_converged_host_passes():
    log = run_line("nomad_client_state")
    assert side_by_side.module_runs(log, HOST) == 1
    assert side_by_side.smoke_failure(measured(log, log)) is None


def test_a_setup_run_besides_the_compare_fails():
    log = run_line("setup") + run_line("nomad_client_state")
    verdict = side_by_side.smoke_failure(measured(log, run_line("nomad_client_state")))
    assert verdict and "module runs" in verdict and "want <= 1" in verdict
