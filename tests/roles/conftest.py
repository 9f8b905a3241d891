# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role tests share one harness, tests/roles/_role_harness.py.

pytest (import mode "prepend") puts this conftest's folder on sys.path, so the tests of both roles import it as
`from _role_harness import ...`.
"""
