# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test tool: check rendered Nomad agent configuration and job files against shared/nomad.

See README.md beside this file. Python API: ``check_agent_config`` and ``check_job`` (lists of
error strings, empty when the input passes). CLI: ``python -m tests.nomad_schema agent|job FILE...``.
"""

from __future__ import annotations
