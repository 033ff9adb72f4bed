"""`kill -9` during `git model get`: the output directory holds the old complete file or
nothing new, never a partial file; the cache recovers; the next run completes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from get_support import MODEL, Published, gm, isolate_git, publish, sha256_of

MODEL_BYTES = 64 << 20


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Published:
    base = tmp_path_factory.mktemp("big")
    with pytest.MonkeyPatch.context() as mp:
        isolate_git(mp, base / "home")
        return publish(base, MODEL_BYTES, 64)


def start_get(cwd: Path, bare: Path, rev: str, out: str, cache: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "git_model", "get", str(bare), "--rev", rev, MODEL, "-o", out, "--cache", cache],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )


def versions_in(out: Path, big: Published) -> dict[str, int]:
    """Every entry of ``out`` and which version it holds; fails on anything partial or foreign.
    A `.tmp-*` entry may exist only complete (killed between its link and its rename)."""
    known = {big.sha(1): 1, big.sha(2): 2}
    found = {}
    for name in os.listdir(out) if out.exists() else []:
        path = out / name
        assert name == MODEL or name.startswith(".tmp-"), f"unexpected {name} in the output directory"
        digest = sha256_of(path)
        assert digest in known, f"{name}: partial or foreign content ({path.stat().st_size} bytes)"
        found[name] = known[digest]
    return found


def writing_into(pid: int, out: Path) -> bool:
    """True while ``pid`` holds an unnamed (O_TMPFILE) or temp file in ``out`` open."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(out) + "/") and ("(deleted)" in target or "/.tmp-" in target):
            return True
    return False


def test_kill_while_the_file_is_being_written(big: Published, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    gm(clean, "get", str(big.bare), "--rev", "v1", MODEL, "-o", "out", "--cache", "cache")
    out = clean / "out"
    for attempt in range(3):
        proc = start_get(clean, big.bare, "v2", "out", f"cache-{attempt}")
        deadline = time.monotonic() + 120
        while proc.poll() is None and not writing_into(proc.pid, out) and time.monotonic() < deadline:
            time.sleep(0.002)
        assert proc.poll() is None, "get ended before it started writing"
        time.sleep(0.05 * attempt)  # a little further into the file each time
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert versions_in(out, big) == {MODEL: 1}  # the old file, whole; nothing new
    gm(clean, "get", str(big.bare), "--rev", "v2", MODEL, "-o", "out", "--cache", "cache-0")
    assert versions_in(out, big) == {MODEL: 2}


def test_random_kills_never_leave_a_partial_file(big: Published, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    started = time.monotonic()
    gm(clean, "get", str(big.bare), "--rev", "v1", MODEL, "-o", "out", "--cache", "probe")
    cold = time.monotonic() - started  # a whole get with an empty cache
    started = time.monotonic()
    gm(clean, "get", str(big.bare), "--rev", "v2", MODEL, "-o", "probe-out", "--cache", "probe")
    warm = time.monotonic() - started  # the chunks are mostly cached: mostly writing
    out, fresh_out = clean / "out", clean / "fresh"
    rng = random.Random(20261128)
    current, kills = 1, 0
    for i in range(12):
        target = 2 if current == 1 else 1
        # a new cache every other time, so that kills land in the fetch as well as the write;
        # the process group (git fetch included) or only git-model itself
        cache = f"cache-{i}" if i % 2 else "cache"
        dest = "fresh" if i % 5 == 4 else "out"
        proc = start_get(clean, big.bare, f"v{target}", dest, cache)
        time.sleep(rng.uniform(0.05, 0.95) * (cold if i % 2 else warm))
        if proc.poll() is None:
            kills += 1
            if i % 3:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        proc.wait()
        if dest == "fresh":
            assert set(versions_in(fresh_out, big).values()) <= {target}
            continue
        seen = versions_in(out, big)
        assert seen.get(MODEL) in (current, target)
        current = seen[MODEL]
    assert kills >= 6, kills  # most runs were killed
    proc = gm(clean, "get", str(big.bare), "--rev", "v2", MODEL, "-o", "out", "--cache", "cache")
    assert versions_in(out, big) == {MODEL: 2}  # any complete temp file left was removed
    assert sha256_of(out / MODEL) == big.sha(2)
