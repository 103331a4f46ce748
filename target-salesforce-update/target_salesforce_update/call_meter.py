"""Per-stream API call meters: which stream each Salesforce call was made for.

The client counts every API call once for the whole run; a :class:`CallMeter` additionally
counts the calls made *on behalf of* one stream. A sink runs its work inside
``with metering(meter):`` and the client adds each call it makes to the meter current in
that thread (a :mod:`contextvars` variable, so two streams working at the same time never
count each other's calls). Work handed to a thread pool keeps the meter through
:func:`carry_meter`.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

__all__ = ["CallMeter", "carry_meter", "count_call", "metering"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class CallMeter:
    """A thread-safe counter of the API calls made for one stream."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls = 0

    def add(self, calls: int = 1) -> None:
        with self._lock:
            self._calls += calls

    def take(self) -> int:
        """The calls counted since the last ``take`` (the counter starts again at 0)."""
        with self._lock:
            calls, self._calls = self._calls, 0
        return calls


_CURRENT: contextvars.ContextVar[CallMeter | None] = contextvars.ContextVar(
    "salesforce_call_meter", default=None
)


@contextmanager
def metering(meter: CallMeter) -> Iterator[CallMeter]:
    """Count the calls this thread makes inside the block on ``meter``."""
    token = _CURRENT.set(meter)
    try:
        yield meter
    finally:
        _CURRENT.reset(token)


def count_call() -> None:
    """Called by the client for every counted API call: add it to the current meter."""
    meter = _CURRENT.get()
    if meter is not None:
        meter.add()


def carry_meter(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` to run in another thread with the meter current here (one context copy
    per call, so the pool's threads may run it at the same time)."""
    context = contextvars.copy_context()

    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        return context.copy().run(function, *args, **kwargs)

    return run
