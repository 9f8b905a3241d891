# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST DOUBLE: ansible.windows.win_stat, recorded and answered on the controller (tests/tools/ansible_windows_double)."""

from __future__ import annotations

from ansible_collections.ansible.windows.plugins.action._recorder import Stat


class ActionModule(Stat):
    MODULE = "win_stat"
