"""The store's writer/collector lock.

Writers (add, fetch) hold it shared; gc holds it exclusive. Without it a gc could delete a
chunk that an add in progress has just deduplicated against, and the add's manifest would
then name a chunk that no longer exists. `flock` locks vanish with their process, so a
`kill -9` never leaves the store locked.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from git_model.errors import StoreWriteError
from git_model.store.atomic import describe_os_error

LOCK_NAME = "store.lock"


@contextmanager
def store_lock(root: Path, exclusive: bool) -> Iterator[None]:
    path = root / LOCK_NAME
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise StoreWriteError(describe_os_error(path, err)) from err
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock
