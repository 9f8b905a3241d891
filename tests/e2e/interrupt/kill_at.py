"""Run a command in its own session and SIGKILL the whole session at a chosen point.

    python tests/e2e/interrupt/kill_at.py LOG BANNER [PROCESS_REGEX] -- CMD...

Output of CMD goes to LOG. Once a line of LOG contains BANNER (a task name), and, when PROCESS_REGEX is
given, once a process whose arguments match it runs (sampled from /proc every 10 ms), every process of
the session gets SIGKILL, as a killed CI job or a closed terminal would. Exits 0 after the kill
(printing the kill point), 3 when CMD ended before the kill point was reached, 4 on a timeout (300 s).
"""
import os
import re
import signal
import subprocess
import sys
import time


def cmdlines():
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    line = handle.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "kill_at.py" not in line:  # its own arguments hold the pattern
                yield line


def main(argv):
    sep = argv.index("--")
    log, banner = argv[1], argv[2]
    pattern = re.compile(argv[3]) if sep > 3 else None
    cmd = argv[sep + 1:]
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                start_new_session=True)
    seen_banner = None
    while proc.poll() is None and time.monotonic() - start < 300:
        if seen_banner is None:
            with open(log, encoding="utf-8", errors="replace") as handle:
                if banner in handle.read():
                    seen_banner = time.monotonic()
        if seen_banner is not None:
            hit = "" if pattern is None else next((c for c in cmdlines() if pattern.search(c)), None)
            if hit is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                where = f"task '{banner}'" + (f", process '{hit[:120]}'" if hit else "")
                print(f"kill-at: SIGKILL to the session after {time.monotonic() - start:.1f}s at {where}")
                return 0
        time.sleep(0.01)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        return 4
    print(f"kill-at: the run ended (rc {proc.returncode}) before the kill point ({banner!r}, {pattern})")
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
