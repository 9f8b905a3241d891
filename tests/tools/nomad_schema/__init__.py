# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test tool: check rendered Nomad agent configuration and job files against shared/nomad.

Not a Nomad validator: it is derived from the schema facts in shared/nomad/*.json and is stricter
than Nomad on purpose (see README.md beside this file).

Python API (each returns a list of error strings, empty when the input passes)::

    from tests.tools.nomad_schema import check_agent_config, check_job
    check_agent_config({"client": {...}} or "nomad.hcl", edition="ce", nomad_version="1.11.0")
    check_job("web.nomad.hcl" or hcl_text)

CLI::

    python -m tests.tools.nomad_schema agent [--edition ce] [--nomad-version X] FILE...
    python -m tests.tools.nomad_schema job FILE...

(run from the repository root; exit 0 when every file passes, 1 otherwise, 2 on usage errors).
"""

from __future__ import annotations

from .agent import check_agent_config
from .job import check_job

__all__ = ["check_agent_config", "check_job"]
