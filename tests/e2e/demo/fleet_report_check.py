"""The fleet report's page as a person sees it, checked against the run it reports.

  fleet_report_check.py render PAGE OUTDIR     headless Chromium (Debian's package) loads PAGE from disk with a
                                               fresh profile and no background networking, dumps the DOM it built
                                               (OUTDIR/fleet-report.dom.html) and takes a screenshot
                                               (OUTDIR/fleet-report.png)
  fleet_report_check.py check --log LOG --dom DOM --json JSON --hosts H1,H2 --unreachable HOST
                                               the rendered page's numbers against the run's PLAY RECAP in LOG:
                                               per host the seven recap counts and the outcome; the totals and the
                                               counts per node pool; the host made unreachable on purpose is shown
                                               unreachable (its recap says ok/ignored: the callback saw the
                                               unreachable result); the disagreements against Nomad's node list
                                               (from the API double); the JSON file says the same as the page.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COUNTS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
OUTCOMES = ("ok", "changed", "failed", "unreachable", "not_run")
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+"
                        r"skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", re.M)
# /work/.library/env/machines/polyglot.md: headless as root, no background connections (the machine's network
# is closed), a new empty profile every time.
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--hide-scrollbars"]


def chromium(profile, *args):
    out = subprocess.run(CHROMIUM + ["--user-data-dir=" + profile, *args], capture_output=True, text=True,
                         timeout=120, check=False)
    if out.returncode != 0:
        raise SystemExit("chromium failed (%d): %s" % (out.returncode, out.stderr[-2000:]))
    return out.stdout


def render(page, outdir, width=1400, height=2000):
    page, outdir = Path(page).resolve(), Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="edgeops-chromium-")
    try:
        dom = chromium(profile, "--dump-dom", page.as_uri())
        (outdir / "fleet-report.dom.html").write_text(dom)
        chromium(profile, "--window-size=%d,%d" % (width, height), "--screenshot=%s" % (outdir / "fleet-report.png"),
                 page.as_uri())
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    png = (outdir / "fleet-report.png").read_bytes()
    if not png.startswith(b"\x89PNG") or len(dom) < 1000:
        raise SystemExit("render: no screenshot or an empty DOM")
    print("render: %s -> DOM %d bytes, screenshot %d bytes" % (page.name, len(dom), len(png)))


class Dom(HTMLParser):
    """Elements with their attributes, their text and the data-host of the row they sit in."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        row = attrs.get("data-host") or next((e["row"] for e in reversed(self.stack) if e["row"]), None)
        element = {"tag": tag, "attrs": attrs, "text": "", "row": row}
        self.elements.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element["text"] += data

    def all(self, attr, value=None):
        return [e for e in self.elements if attr in e["attrs"] and (value is None or e["attrs"][attr] == value)]


def nomad_nodes():
    env = dict(line.removeprefix("export ").split("=", 1) for line in
               (ROOT / ".cache" / "demo" / "env").read_text().splitlines() if "=" in line)
    with urllib.request.urlopen(env["NOMAD_ADDR"] + "/_double/peek?path=/v1/nodes", timeout=10) as resp:  # noqa: S310
        return json.load(resp)["data"]


def check(args):
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append("%s: page shows %r, the run says %r" % (what, got, want))

    log = Path(args.log).read_text()
    recap = {m.group(1): dict(zip(COUNTS, map(int, m.groups()[1:]))) for m in RECAP_LINE.finditer(log)}
    hosts = args.hosts.split(",")
    unreachable_in_log = set(re.findall(r"^fatal: \[([^\]]+)\]: UNREACHABLE!", log, re.M))
    # the rollout's own summary: hosts it did not attempt (with results, they were dropped from the play)
    not_attempted = set(re.findall(r"not attempted \(rollout stopped\): (\S+?)\"?,?$", log, re.M))
    dom = Dom()
    dom.feed(Path(args.dom).read_text())
    report = json.loads(Path(args.json).read_text())

    want = {}
    for host in hosts:
        if host not in recap and host not in not_attempted:
            problems.append("%s: not in the run's PLAY RECAP" % host)
            continue
        counts = recap.get(host)
        want[host] = ("not_run" if counts is None else
                      "unreachable" if counts["unreachable"] or host in unreachable_in_log else
                      "failed" if counts["failed"] or counts["rescued"] or host in not_attempted else
                      "changed" if counts["changed"] else "ok")
        rows = dom.all("data-host", host)
        if len(rows) != 1:
            problems.append("%s: %d rows on the page" % (host, len(rows)))
            continue
        expect("%s outcome" % host, rows[0]["attrs"].get("data-outcome"), want[host])
        shown = {e["attrs"]["data-recap"]: int(e["text"]) for e in dom.all("data-recap") if e["row"] == host}
        expect("%s recap" % host, shown, recap.get(host, {}))
    if args.unreachable not in unreachable_in_log:
        problems.append("%s: the log shows no UNREACHABLE result for it" % args.unreachable)
    expect("%s outcome (made unreachable)" % args.unreachable, want.get(args.unreachable), "unreachable")

    totals = {e["attrs"]["data-total"]: int(e["text"]) for e in dom.all("data-total")}
    expect("hosts in the run", totals.get("hosts"), len(want))
    for outcome in OUTCOMES:
        expect("total %s" % outcome, totals.get(outcome, 0), sum(1 for o in want.values() if o == outcome))
    pools = {}
    for row in dom.all("data-group", "node_pool"):
        start = dom.elements.index(row)
        cells = [e for e in dom.elements[start + 1:start + 1 + len(OUTCOMES) + 2] if "data-count" in e["attrs"]]
        pools[row["attrs"]["data-name"]] = {c["attrs"]["data-count"]: int(c["text"]) for c in cells}
    expect("hosts per node pool", {p: r["hosts"] for p, r in pools.items()},
           {p: sum(1 for h in hosts if h in want and report_pool(report, h) == p) for p in pools})
    expect("hosts in pool rows", sum(r["hosts"] for r in pools.values()), len(want))

    nodes = nomad_nodes()
    names = {h["host"]: h["node_name"] for h in report["hosts"]}
    kinds = [(e["attrs"]["data-kind"], e["attrs"].get("data-about")) for e in dom.all("data-kind")]
    expect("nodes no host of the run configured", sorted(n for k, n in kinds if k == "not_in_run"),
           sorted(n["Name"] for n in nodes if n["Name"] not in set(names.values())))
    expect("nodes not ready after the run", sorted(n for k, n in kinds if k == "not_ready"),
           sorted(n["Name"] for n in nodes if n["Name"] in set(names[h] for h in want) and n["Status"] != "ready"))
    expect("hosts Nomad does not know", sorted(n for k, n in kinds if k == "unknown_to_nomad"),
           sorted(names[h] for h in want if names[h] not in set(n["Name"] for n in nodes)))
    for key, value in report["totals"].items():
        expect("JSON total %s" % key, value, totals.get(key, 0))
    if not dom.all("http-equiv", "Content-Security-Policy"):
        problems.append("no Content-Security-Policy in the rendered page")
    if [e for e in dom.elements if e["tag"] == "script" or "src" in e["attrs"] or "href" in e["attrs"]]:
        problems.append("the rendered page has a script or loads something")
    for line in problems:
        print("fleet-report-check: " + line)
    print("fleet-report-check: %d hosts (%s), %d disagreements, %s" % (
        len(want), ", ".join("%s %s" % (h, o) for h, o in sorted(want.items())), len(kinds),
        "the page agrees with the run" if not problems else "%d problem(s)" % len(problems)))
    return 1 if problems else 0


def report_pool(report, host):
    return next((h["node_pool"] for h in report["hosts"] if h["host"] == host), None)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("page")
    r.add_argument("outdir")
    r.add_argument("--width", type=int, default=1400)
    r.add_argument("--height", type=int, default=2000)
    c = sub.add_parser("check")
    for opt in ("--log", "--dom", "--json", "--hosts", "--unreachable"):
        c.add_argument(opt, required=True)
    args = parser.parse_args()
    if args.cmd == "render":
        render(args.page, args.outdir, args.width, args.height)
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
