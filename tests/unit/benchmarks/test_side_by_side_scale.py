# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/side_by_side.py --scale (make benchmark-scale): the scaling table's arithmetic and verdicts.

Per host count the medians over repetitions (a failed run left out of the time medians), the cost per added host
as the difference of the medians over the hosts added, re-converge of 12 hosts over 3 hosts against 1.2x, and the
controller CPU per added host from 12 to 50 hosts flat within 20% (largest step over smallest).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("side_by_side", ROOT / "benchmarks" / "side_by_side.py")
side_by_side = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(side_by_side)


def phase(wall, cpu, hosts, rc=0, modules=1):
    return {"rc": rc, "wall": wall, "cpu": cpu, "rss_mb": 70.0, "forks": 12,
            "recap": {"h%d" % i: {"ok": 9, "changed": 0, "failed": 0, "modules": modules} for i in range(hosts)}}


def results(again_cpu_per_host, again_wall, reps=3):
    out = []
    for n in (3, 6, 12, 25, 50):
        for rep in range(reps):
            jitter = (rep - 1) * 0.5  # medians must pick the middle repetition
            out.append({"impl": "ours", "hosts": n, "scenario": str(n),
                        "first": phase(10.0 * n + jitter, 4.0 * n + jitter, n, modules=10),
                        "again": phase(again_wall[n] + jitter, again_cpu_per_host(n) + jitter, n),
                        "check": phase(again_wall[n] + 1 + jitter, again_cpu_per_host(n) + 1 + jitter, n)})
    return out


LINEAR = {3: 10.0, 6: 10.5, 12: 11.5, 25: 14.0, 50: 19.0}


def test_per_added_host_is_the_difference_of_the_medians(capsys):
    rows, steps = side_by_side.scale_table(results(lambda n: 2.0 * n, LINEAR))
    assert rows[50]["again"] == 19.0 and rows[50]["reps"] == 3 and rows[50]["first_trips"] == 10
    assert abs(steps[(12, 25)]["again"] - 2.5 / 13) < 1e-9
    assert abs(steps[(25, 50)]["first_cpu"] - 4.0) < 1e-9 and abs(steps[(25, 50)]["again_cpu"] - 2.0) < 1e-9
    out = capsys.readouterr().out
    assert "re-converge 12 hosts / 3 hosts: 1.15x (target <= 1.2x of 3 hosts: met)" in out
    assert "controller CPU per added host, re-converge, 12->25, 25->50: 2.00 s, 2.00 s; largest / smallest 1.00x " \
           "(target <= 1.2x: met)" in out


def test_targets_missed_are_said(capsys):
    # re-converge of 12 hosts 1.5x that of 3; CPU per added host 2 s from 12 to 25, 3 s from 25 to 50 (1.5x)
    wall = {**LINEAR, 12: 15.0}
    side_by_side.scale_table(results(lambda n: 2.0 * n if n <= 25 else 50.0 + 3.0 * (n - 25), wall))
    out = capsys.readouterr().out
    assert "re-converge 12 hosts / 3 hosts: 1.50x (target <= 1.2x of 3 hosts: MISSED)" in out
    assert "2.00 s, 3.00 s; largest / smallest 1.50x (target <= 1.2x: MISSED)" in out


def test_a_failed_run_is_left_out_of_the_time_medians(capsys):
    runs = results(lambda n: 2.0 * n, LINEAR, reps=1)
    runs.append(dict(runs[-1], again=phase(500.0, 500.0, 50, rc=2)))
    rows, dummy = side_by_side.scale_table(runs)
    assert rows[50]["again"] == 18.5 and rows[50]["failed"] == 1 and rows[50]["reps"] == 2
    assert "no 3-host point" not in capsys.readouterr().out
