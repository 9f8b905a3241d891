"""Nomad's clock in the double: one time source, real time plus an offset the tests move forward.

Every rule that reads time (heartbeat deadlines, StatusUpdatedAt, node GC cutoffs, JWT iat/exp, an
allocation's lost_after, drain deadlines) reads Clock.now_ns(), never time.time(). Tests advance it through
the control route POST /_double/clock {"advance": "72h"} (resources/control.py), which runs
DoubleState.advance: the transitions due on the way are applied in time order, each at its own instant.
"""

import threading
import time


class Clock:
    """Real time plus an offset; while an advance runs, time stands at the instant being evaluated."""

    def __init__(self):
        self.offset_ns = 0
        self._frozen = None  # (thread, instant): the instant an advance is evaluating, for that thread only

    def now_ns(self):
        frozen = self._frozen
        if frozen is not None and frozen[0] is threading.current_thread():
            return frozen[1]
        return time.time_ns() + self.offset_ns

    def now(self):
        """Unix seconds (float)."""
        return self.now_ns() / 1e9

    def freeze(self, instant_ns):
        """Evaluate the next transitions at instant_ns (DoubleState.advance, under the state lock)."""
        self._frozen = (threading.current_thread(), instant_ns)

    def release(self, offset_ns):
        """End an advance: time runs again, offset_ns ahead of real time."""
        self.offset_ns = offset_ns
        self._frozen = None

    def rfc3339(self, ns=None):
        """A Go time.Time as JSON (RFC 3339, UTC, nanoseconds trimmed as Go's MarshalJSON does)."""
        ns = self.now_ns() if ns is None else ns
        secs, frac = divmod(ns, 10 ** 9)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
        if frac:
            text += ("." + "%09d" % frac).rstrip("0")
        return text + "Z"
