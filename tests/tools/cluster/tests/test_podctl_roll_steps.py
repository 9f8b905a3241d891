# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podctl.py watch-roll's steps: one per pod the StatefulSet controller took down, in order, with the pod that
came back Ready before the next (pkg/controller/statefulset/stateful_set_control.go updates one pod at a time,
from the highest ordinal, each Running and Ready before the next). The Molecule verify compares these steps
with the roll the role is expected to make."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from podctl import roll_steps  # noqa: E402


def deleted(pod, uid, was_ready=True):
    return {"event": "deleted", "pod": pod, "uid": uid, "was_ready": was_ready}


def ready(pod, uid):
    return {"event": "ready", "pod": pod, "uid": uid}


def test_one_step_per_pod_with_the_pod_ready_before_the_next():
    events = [deleted("n-2", "a2"), ready("n-2", "b2"), deleted("n-1", "a1"), ready("n-1", "b1"),
              deleted("n-0", "a0"), ready("n-0", "b0")]
    assert roll_steps(events) == [{"deleted": "n-2", "ready_before_next": "n-2"},
                                  {"deleted": "n-1", "ready_before_next": "n-1"},
                                  {"deleted": "n-0", "ready_before_next": "n-0"}]


def test_a_replacement_deleted_before_it_was_ready_extends_its_pods_step():
    events = [deleted("n-1", "a1"), ready("n-1", "b1"), deleted("n-0", "a0"), deleted("n-0", "b0", was_ready=False),
              ready("n-0", "c0")]
    assert roll_steps(events) == [{"deleted": "n-1", "ready_before_next": "n-1"},
                                  {"deleted": "n-0", "ready_before_next": "n-0", "replaced_before_ready": ["b0"]}]


def test_a_serving_pod_taken_down_again_is_a_step_of_its_own():
    """The roll touching a pod twice (e.g. a second template change) must stay visible to the verify."""
    events = [deleted("n-0", "a0"), ready("n-0", "b0"), deleted("n-0", "b0"), ready("n-0", "c0")]
    assert [s["deleted"] for s in roll_steps(events)] == ["n-0", "n-0"]
    events = [deleted("n-1", "a1"), deleted("n-0", "a0", was_ready=False)]
    assert [s["deleted"] for s in roll_steps(events)] == ["n-1", "n-0"]
