# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mutation tool finds each break by its anchor (tests/tools/mutations/anchors.py): inside the named function,
task, key or Jinja statement only, formatting aside, exactly once; and every entry of mutations.yml still finds
its place in the checkout."""

import ast
from pathlib import Path

import pytest
import yaml

from tests.tools.mutations.anchors import StaleEntry, mutate

ROOT = Path(__file__).resolve().parents[4]

PYTHON = '''
LIMITS = ("a", "b")


def helper(x):
    if x > 1:
        return x + 1
    return x + 1


class Client:
    def request(self, method, retries):
        attempts = 1 + (retries if method == "GET" else 0)
        seen = set()
        seen.add(method)
        while attempts > 0 and 0 <= retries <= 5:
            attempts -= 1
        return attempts + 1
'''

YAML = '''---
- name: First task
  ansible.builtin.set_fact:
    value: "{{ a | int + 10 }}"
  tags: [one]

- ansible.builtin.include_tasks:
    file: x.yml
    apply:
      tags: [two]
  name: Second task
  tags: [two]

- name: Third task
  ansible.builtin.set_fact:
    value: "{{ a | int + 10 }}"
  vars:
    table:
      key.one: first
      key.two: second
'''

JINJA = '''{% set ports = [1,
                   2] %}
{% if tls %}
  secret: {{ names.tls }}
  {% if other %}x{% endif %}
{% else %}
  secret: {{ names.plain }}
{% endif %}
secret: {{ names.tls }}
'''


def entry(where, **op):
    return dict({"in": where}, **op)


def changed_lines(before, after):
    return [line for line in after.splitlines() if line not in before.splitlines()]


# --- Python ---------------------------------------------------------------------------------------------------------
def test_expr_is_found_inside_the_named_method_whatever_its_spelling():
    out = mutate(entry("Client.request", expr={"old": "1+(retries  if method=='GET' else 0)", "new": "1 + retries"}), PYTHON)
    assert "attempts = (1 + retries)" in out
    assert ast.parse(out)


def test_an_expression_found_twice_in_the_anchor_is_stale():
    with pytest.raises(StaleEntry, match="found 2 times"):
        mutate(entry("helper", expr={"old": "x + 1", "new": "x"}), PYTHON)


def test_the_change_is_looked_for_in_the_anchor_only():
    with pytest.raises(StaleEntry, match="found 0 times"):
        mutate(entry("helper", expr={"old": "attempts - 1", "new": "attempts"}), PYTHON)


def test_compare_changes_the_named_operator():
    out = mutate(entry("Client.request", compare={"expr": "0 <= retries <= 5", "op": 2, "to": "<"}), PYTHON)
    assert "(0 <= retries < 5)" in out


def test_negate_wraps_the_test_of_the_if_or_while():
    out = mutate(entry("helper", negate="x > 1"), PYTHON)
    assert "if not (x > 1):" in out


def test_drop_replaces_the_statement_with_pass():
    out = mutate(entry("Client.request", drop="seen.add(method)"), PYTHON)
    assert changed_lines(PYTHON, out) == ["        pass"]


def test_replace_is_whitespace_insensitive_and_stays_in_the_anchor():
    out = mutate(entry("LIMITS", replace={"old": '"a",   "b"', "new": '"b"'}), PYTHON)
    assert 'LIMITS = ("b")' in out
    with pytest.raises(StaleEntry, match="occurs 4 times"):
        mutate(entry("Client.request", replace={"old": "attempts", "new": "x"}), PYTHON)


def test_a_missing_anchor_is_stale():
    with pytest.raises(StaleEntry, match=r"Client\.send \(at send\) found 0 times"):
        mutate(entry("Client.send", drop="pass"), PYTHON)


def test_a_mutation_that_breaks_the_syntax_is_stale():
    with pytest.raises(StaleEntry, match="does not parse"):
        mutate(entry("helper", replace={"old": "return x + 1\n    return", "new": "return ("}), PYTHON)


# --- YAML and Jinja -------------------------------------------------------------------------------------------------
def test_a_task_anchor_covers_its_own_task_only():
    out = mutate(entry({"task": "Third task"}, replace={"old": "| int + 10 }}", "new": "| int }}"}), YAML)
    assert changed_lines(YAML, out) == ['    value: "{{ a | int }}"']
    assert out.index("| int }}") > out.index("Third task")


def test_a_task_whose_name_is_not_its_first_key():
    out = mutate(entry({"task": "Second task"}, drop="apply:"), YAML)
    assert "apply:" not in out and "tags: [two]" in out and out.count("tags: [two]") == 1
    assert yaml.safe_load(out)[1] == {"ansible.builtin.include_tasks": {"file": "x.yml"}, "name": "Second task", "tags": ["two"]}


def test_a_key_anchor_and_a_dropped_line():
    out = mutate(entry({"key": "table"}, drop="key.one: first"), YAML)
    assert yaml.safe_load(out)[2]["vars"]["table"] == {"key.two": "second"}


def test_text_found_twice_in_a_task_is_stale():
    with pytest.raises(StaleEntry, match="occurs 2 times"):
        mutate(entry({"task": "Second task"}, replace={"old": "tags: [two]", "new": ""}), YAML)


def test_a_jinja_set_and_an_if_block_up_to_its_own_endif():
    out = mutate(entry({"jinja": "set ports"}, replace={"old": "[1, 2]", "new": "[2]"}), JINJA)
    assert out.startswith("{% set ports = [2] %}")
    out = mutate(entry({"jinja": "if tls"}, replace={"old": "names.plain", "new": "names.tls"}), JINJA)
    assert "secret: {{ names.plain }}" not in out
    with pytest.raises(StaleEntry, match="occurs 2 times"):  # the if block: one names.tls inside, one after endif
        mutate(entry({"jinja": "if tls"}, replace={"old": "names.tls", "new": "names.x"}), JINJA.replace("plain", "tls"))


def test_python_operations_are_refused_on_yaml():
    with pytest.raises(StaleEntry, match="works on Python only"):
        mutate(entry({"task": "First task"}, negate="x"), YAML)


# --- the entries of mutations.yml -----------------------------------------------------------------------------------
ENTRIES = yaml.safe_load((ROOT / "tests" / "tools" / "mutations" / "mutations.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("item", ENTRIES, ids=[e["test"].rsplit("/", 1)[-1] for e in ENTRIES])
def test_every_entry_finds_its_place_and_changes_its_file(item):
    assert (ROOT / item["test"]).is_file(), "the test file is gone"
    text = (ROOT / item["file"]).read_text(encoding="utf-8")
    assert mutate(item, text) != text
    assert item["breaks"]


def test_one_entry_per_test_file():
    tests = [e["test"] for e in ENTRIES]
    assert len(tests) == len(set(tests))
