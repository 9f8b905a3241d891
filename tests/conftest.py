# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lets the unit tests (tests/unit) and the role tests (tests/roles) run on every ansible-core of the
supported range (mk/core-range.mk).

ansible-core 2.19 added three test-facing names the tests use: `ansible.module_utils.testing.
patch_module_args`, `ansible.template.trust_as_template` (data tagging) and
`Templar.evaluate_conditional`. On older cores (2.17, 2.18) the same effect is the classic
`basic._ANSIBLE_ARGS` patch, a plain string (every string is a template there) and the
`{% if ... %} True {% else %} False {% endif %}` template that 2.17's Conditional renders, so they are
provided here only when the running core lacks them. This is the one compatibility shim of the test
suite: tests import the 2.19 names as they are.
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

if not hasattr(ansible.template.Templar, "evaluate_conditional"):  # ansible-core < 2.19

    def _evaluate_conditional(self, conditional):
        """One `when` entry, evaluated as ansible-core 2.17's Conditional._check_conditional does it."""
        if isinstance(conditional, bool):
            return conditional
        return self.template("{%% if %s %%} True {%% else %%} False {%% endif %%}" % conditional).strip() == "True"

    ansible.template.Templar.evaluate_conditional = _evaluate_conditional
