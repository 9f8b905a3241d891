# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CLI: python -m tests.tools.nomad_schema agent|job FILE... (see __init__.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .agent import check_agent_config
from .job import check_job


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.tools.nomad_schema",
        description="Check Nomad agent config / job files against shared/nomad (test tool, stricter than Nomad).",
    )
    parser.add_argument("--shared", help="shared/ directory (default: $EDGEOPS_SHARED or <repo>/../shared)")
    sub = parser.add_subparsers(dest="kind", required=True)
    agent = sub.add_parser("agent", help="agent configuration files (.hcl or .json)")
    agent.add_argument("--edition", choices=["ce", "ent"], help="ce: Enterprise-only keys are errors")
    agent.add_argument("--nomad-version", help="keys newer than this Nomad version are errors")
    agent.add_argument("--allow-deprecated", action="store_true", help="do not report deprecated keys")
    agent.add_argument("--partial", action="store_true", help="each file is a fragment of a config directory")
    agent.add_argument("--mode", choices=["client", "server"], help="the merged configuration must run this agent only")
    agent.add_argument("files", nargs="+", help="files, or directories merged like nomad agent -config DIR")
    job = sub.add_parser("job", help="job files (HCL2)")
    job.add_argument("files", nargs="+")
    args = parser.parse_args(argv)

    failed = 0
    for path in args.files:
        if args.kind == "agent":
            errors = check_agent_config(
                path,
                edition=args.edition,
                nomad_version=args.nomad_version,
                shared=args.shared,
                allow_deprecated=args.allow_deprecated,
                partial=args.partial,
                mode=args.mode,
            )
        else:
            errors = check_job(Path(path), shared=args.shared)
        if errors:
            failed += 1
            print(f"{path}: {len(errors)} error(s)")
            for error in errors:
                print(f"  - {error}")
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
