"""Two writers at once, `kill -9` during add, and a file larger than any buffer."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from gitutil import git, gm

from git_model.store.atomic import TEMP_PREFIX


def test_two_worktrees_adding_at_once(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "other")
    trees = [repo, tmp_path / "wt"]
    shared = os.urandom(3 << 20)
    payloads = [shared + os.urandom(2 << 20) for _ in trees]
    for tree, data in zip(trees, payloads):
        (tree / "m.bin").write_bytes(data)
    errors: list[str] = []

    def add(tree: Path) -> None:
        proc = git(tree, "add", "m.bin", check=False)
        if proc.returncode:
            errors.append(proc.stderr.decode())

    threads = [threading.Thread(target=add, args=(t,)) for t in trees]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for tree, data in zip(trees, payloads):
        git(tree, "commit", "-qm", "add")
        (tree / "m.bin").unlink()
        git(tree, "checkout", "--", "m.bin")
        assert (tree / "m.bin").read_bytes() == data
    assert b"0 problem(s)" in gm(repo, "fsck").stdout


def test_kill_during_add_never_leaves_a_visible_partial_object(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(48 << 20))
    rng = random.Random(7)
    for _ in range(8):
        with open(source, "rb") as stdin:
            proc = subprocess.Popen([sys.executable, "-m", "git_model", "clean", "big.bin"], cwd=repo,
                                    stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.2, 1.2))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        report = gm(repo, "fsck", "--json")
        assert b'"problems": []' in report.stdout
    gm(repo, "fsck", "--prune-temp")
    model_dir = repo / ".git" / "model"
    assert not [p for p in model_dir.rglob(f"{TEMP_PREFIX}*")]
    (repo / "big.bin").write_bytes(source.read_bytes())
    git(repo, "add", "big.bin")
    git(repo, "commit", "-qm", "big")
    (repo / "big.bin").unlink()
    git(repo, "checkout", "--", "big.bin")
    assert (repo / "big.bin").read_bytes() == source.read_bytes()


def test_file_of_256_mib_round_trips(repo: Path) -> None:
    block = os.urandom(1 << 20)
    path = repo / "huge.bin"
    with open(path, "wb") as out:
        for i in range(256):
            out.write(block if i % 3 else os.urandom(1 << 20))
    size = path.stat().st_size
    git(repo, "add", "huge.bin")
    git(repo, "commit", "-qm", "huge")
    expected = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True).stdout.split()[0]
    path.unlink()
    git(repo, "-c", "model.directCheckoutSize=1073741824", "checkout", "--", "huge.bin")
    assert path.stat().st_size == size
    assert subprocess.run(["sha256sum", str(path)], capture_output=True, text=True).stdout.split()[0] == expected
    assert git(repo, "status", "--porcelain").stdout == b""
