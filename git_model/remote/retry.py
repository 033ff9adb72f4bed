"""Retrying remote calls that failed in a way that may pass.

Backends classify their failures; only ``RemoteTransientError`` is worth another try.
``RemoteNotFound`` and ``RemotePermanentError`` (and anything else) propagate at once, so a
wrong bucket or a missing object costs one request, not a minute of backoff. Backoff is
exponential with jitter so that many threads or clients hitting the same throttled remote do
not retry in lock-step.
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from git_model.errors import RemoteTransientError

T = TypeVar("T")


def with_retries(
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 0.2,
    max_delay: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> T:
    """Call ``fn`` until it returns, at most ``attempts`` times; return its result.

    After the n-th transient failure (n from 0) it sleeps
    ``min(max_delay, base_delay * 2**n) * (0.5 + jitter() / 2)``, i.e. between half and all
    of the capped exponential delay. The last ``RemoteTransientError`` is re-raised when the
    attempts run out. ``fn`` must be safe to repeat: e.g. a download must restart into a
    fresh or truncated destination.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(attempts):
        try:
            return fn()
        except RemoteTransientError:
            if attempt == attempts - 1:
                raise
            delay = min(max_delay, base_delay * 2**attempt)
            sleep(delay * (0.5 + jitter() / 2))
    raise AssertionError("unreachable")  # pragma: no cover
