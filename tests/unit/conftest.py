# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lets the unit tests run on every ansible-core of the supported range (mk/core-range.mk).

ansible-core 2.19 added two test-facing names the tests use: `ansible.module_utils.testing.
patch_module_args` and `ansible.template.trust_as_template` (data tagging). On older cores (2.17,
2.18) the same effect is the classic `basic._ANSIBLE_ARGS` patch and a plain string (every string
is a template there), so both are provided here only when the running core lacks them.
"""

from __future__ import annotations

import contextlib
import json
import sys
import types
from unittest import mock

import ansible.template
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose the given module args to AnsibleModule instances created within this context."""
        with mock.patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))):
            yield

    testing = types.ModuleType("ansible.module_utils.testing")
    testing.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = testing

if not hasattr(ansible.template, "trust_as_template"):  # ansible-core < 2.19: no data tagging
    ansible.template.trust_as_template = lambda value: value
