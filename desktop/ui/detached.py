"""Run a blocking call with :func:`desktop.ui.tasks.run_task`, safely for windows that
may close (and be deleted) before the call returns.

A task parented to a window is deleted with it, while its worker thread may still be
about to emit the result on it: that emit then touches a deleted object (a crash, seen
in the tests when a window closes during a backup job). Here the task has no parent: a
module-level set keeps it until it has reported, and its signals reach the window only
through slots of the window, which Qt disconnects when the window is deleted.

The callable must not hold the window either (capture the client and ids, not
``self``): otherwise the task would keep the window alive from another thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.ui.tasks import Task, run_task

_pending: set[Task] = set()


def run_detached(fn: Callable[[], Any]) -> Task:
    task = run_task(fn, None)
    _pending.add(task)
    task.finished.connect(lambda: _pending.discard(task))
    return task


def pending() -> int:
    """Tasks that have not reported yet (tests wait for 0)."""
    return len(_pending)
