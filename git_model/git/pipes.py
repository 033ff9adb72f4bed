"""Wider pipes between Git and its filter.

A Linux pipe holds 64 KiB by default, exactly one pkt-line: Git and the filter then run in
lock-step, each waking the other for every packet, and moving 1 GiB through the pipe took
1.5-2 s here. At 1 MiB (the unprivileged limit, /proc/sys/fs/pipe-max-size) Git writes ahead
while the filter chunks, and the same transfer takes ~0.6 s. Either end of a pipe may resize it.
"""

from __future__ import annotations

import fcntl
import os
import stat

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux; Python < 3.10 lacks the name
WANTED_BYTES = 1 << 20


def _max_pipe_size() -> int:
    try:
        with open("/proc/sys/fs/pipe-max-size", "rb") as f:
            return min(WANTED_BYTES, int(f.read()))
    except (OSError, ValueError):
        return WANTED_BYTES


def widen(*fds: int) -> None:
    """Best effort: grow each fd's pipe buffer; non-pipes and refusals are left as they are."""
    size = None
    for fd in fds:
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                continue
            size = size or _max_pipe_size()
            fcntl.fcntl(fd, F_SETPIPE_SZ, size)
        except OSError:
            continue  # e.g. EPERM when over the user's pipe quota: the default still works
