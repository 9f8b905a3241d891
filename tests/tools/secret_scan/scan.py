"""Secret leak scanner for the apply-mode tests: one implementation for the
control-plane and the client runs.

    python tests/tools/secret_scan/scan.py sample PSFILE -- CMD...
        run CMD; while it runs, read the arguments of every process (/proc/*/cmdline, what
        `ps -eo args` prints) every 20 ms and keep each distinct line in PSFILE. Exits with
        CMD's exit code.
    python tests/tools/secret_scan/scan.py check SECRETS.json FILE...
        look for every secret of SECRETS.json ({"name": "value", ...}) in FILE...; prints one
        line per leak (secret name, form, file, line; never the value) and exits 1 when any.

Forms looked for, for each value and, for a multi-line value (a PEM key), for each of its lines of
16 characters or more: the plain text; the JSON-escaped text (inside any JSON document); base64 of
it at the three byte alignments, standard and URL-safe alphabets (so the value is found inside the
base64 of ANY larger document: a Secret's data, base64 of JSON or HCL holding it); base64 of the
base64 form (a Kubernetes Secret's data holding an already base64 value, e.g. a gossip key) at the
three alignments; percent-encoding.
"""

import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse

MIN_NEEDLE = 12


def _b64_aligned(data, urlsafe=False):
    """The base64 characters that encode DATA whatever the bytes before and after it: for each of the
    3 alignments, the characters that depend only on DATA."""
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    out = []
    for pad in range(3):
        text = enc(b"\0" * pad + data).decode()
        start = (0, 2, 3)[pad]  # characters that also hold bits of the preceding bytes
        end = ((pad + len(data)) // 3) * 4  # drop the last group, which holds bits of what follows
        piece = text[start:end]
        if len(piece) >= MIN_NEEDLE:
            out.append(piece)
    return out


def pieces(value):
    """The parts of VALUE to look for: the whole value, and each long line of a multi-line value
    (PEM header and footer lines are public text and skipped)."""
    value = value.strip("\n")
    parts = [value]
    if "\n" in value:
        parts += [line.strip() for line in value.splitlines()
                  if len(line.strip()) >= 16 and not line.startswith("-----")]
    return parts


def needles(value):
    """[(form, text)] for one secret value."""
    found = {}
    for part in pieces(value):
        escaped = json.dumps(part)[1:-1]
        forms = {"plain": [part], "json": [escaped], "url": [urllib.parse.quote(part, safe="")]}
        forms["base64"] = _b64_aligned(part.encode()) + _b64_aligned(escaped.encode())
        forms["base64url"] = _b64_aligned(part.encode(), urlsafe=True)
        forms["base64(base64)"] = [outer for inner in _b64_aligned(part.encode()) for outer in _b64_aligned(inner.encode())]
        for form, texts in forms.items():
            for text in texts:
                if len(text) >= MIN_NEEDLE:
                    found.setdefault(text, form)
    return [(form, text) for text, form in found.items()]


def scan(secrets, paths):
    """[(name, form, path, line number)] for every needle of every secret found in PATHS."""
    table = [(name, form, text) for name, value in secrets.items() for form, text in needles(value)]
    leaks = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                for name, form, text in table:
                    if text in line:
                        leaks.append((name, form, path, number))
    return leaks


def _cmdlines():
    lines = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                raw = handle.read()
        except OSError:
            continue
        if raw:
            lines.add(raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace"))
    return lines


def sample(psfile, cmd):
    seen = set()
    proc = subprocess.Popen(cmd)  # pylint: disable=consider-using-with
    rounds = 0
    while proc.poll() is None:
        seen |= _cmdlines()
        rounds += 1
        time.sleep(0.02)
    with open(psfile, "w", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in sorted(seen)))
    print(f"secret-scan: {rounds} process list samples, {len(seen)} distinct command lines -> {psfile}",
          file=sys.stderr)
    return proc.returncode


def check(secrets_file, paths):
    with open(secrets_file, encoding="utf-8") as handle:
        secrets = json.load(handle)
    empty = [name for name, value in secrets.items() if len(value.strip()) < MIN_NEEDLE]
    if empty:
        print(f"secret-scan: planted values too short to look for: {', '.join(empty)}")
        return 2
    leaks = scan(secrets, paths)
    for name, form, path, number in sorted(set(leaks)):
        print(f"secret-scan: LEAK of {name} ({form} form) in {path} line {number}")
    size = sum(os.path.getsize(p) for p in paths)
    count = sum(len(needles(v)) for v in secrets.values())
    print(f"secret-scan: {len(secrets)} secrets ({', '.join(sorted(secrets))}), {count} forms, "
          f"{len(paths)} files, {size} bytes: {'LEAKS FOUND' if leaks else 'no leak'}")
    return 1 if leaks else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "sample" and argv[3] == "--":
        return sample(argv[2], argv[4:])
    if len(argv) >= 4 and argv[1] == "check":
        return check(argv[2], argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
