"""`kill -9` at random moments of add, push, fetch and gc: afterwards fsck is clean and every
committed version still checks out bit-exact."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gitutil import git, gm, remote_and_clone
from modelgen import fine_tune, tensor_specs, write_safetensors

SIZE = 24 << 20
N = 24


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kill_after(args: list[str], cwd: Path, delay: float, stdin_path: Path | None = None) -> None:
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(args, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(delay)
        try:
            import os

            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: git and the filter it started
        except ProcessLookupError:
            pass
        proc.wait()
    finally:
        if stdin_path:
            stdin.close()  # type: ignore[union-attr]


@pytest.fixture
def team(tmp_path: Path) -> tuple[Path, Path]:
    bare, work = remote_and_clone(tmp_path, "*.safetensors", name="work")
    git(work, "config", "model.packSize", str(2 << 20))
    git(work, "add", ".gitattributes")
    git(work, "commit", "-qm", "track")
    return work, bare


def test_twenty_kills_during_add_and_push(team: tuple[Path, Path]) -> None:
    work, bare = team
    rng = random.Random(2026)
    specs = tensor_specs(SIZE, N)
    committed: dict[str, str] = {}
    model = work / "model.safetensors"
    for i in range(10):
        write_safetensors(model, specs, seeds=fine_tune(specs, 0.2, seed=i) if i else None)
        kill_after(["git", "add", "model.safetensors"], work, rng.uniform(0.05, 0.6))
        (work / ".git" / "index.lock").unlink(missing_ok=True)  # git's own lock: its kill leaves it
        git(work, "add", "model.safetensors")
        git(work, "commit", "-qm", f"v{i}")
        committed[git(work, "rev-parse", "HEAD").stdout.decode().strip()] = sha(model)
        kill_after([sys.executable, "-m", "git_model", "push", "origin", "main"], work, rng.uniform(0.05, 0.8))
    git(work, "push", "-q", "origin", "main")
    assert gm(work, "fsck", "--all", "--remote").returncode == 0
    for commit, digest in committed.items():
        git(work, "checkout", "-q", commit)
        assert sha(model) == digest, commit
    git(work, "checkout", "-q", "main")


def test_kills_during_fetch_and_gc(team: tuple[Path, Path], tmp_path: Path) -> None:
    work, bare = team
    specs = tensor_specs(SIZE, N)
    model = work / "model.safetensors"
    digests = []
    for i in range(3):
        write_safetensors(model, specs, seeds=fine_tune(specs, 0.5, seed=i) if i else None)
        git(work, "add", "model.safetensors")
        git(work, "commit", "-qm", f"v{i}")
        digests.append(sha(model))
    git(work, "push", "-q", "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone), env={"GIT_MODEL_SKIP_SMUDGE": "1"})
    rng = random.Random(7)
    for _ in range(5):
        kill_after([sys.executable, "-m", "git_model", "fetch", "origin", "HEAD", "HEAD~1", "HEAD~2"], clone,
                   rng.uniform(0.05, 0.7))
        report = json.loads(gm(clone, "fsck", "--json", check=False).stdout)
        # a partly fetched clone may lack models (not an error of the store); nothing is damaged
        assert all("(missing)" in p["message"] for p in report["problems"]), report
    for _ in range(5):
        kill_after([sys.executable, "-m", "git_model", "gc", "--recent-days", "0"], work, rng.uniform(0.05, 0.6))
        assert gm(work, "fsck").returncode == 0
    gm(clone, "pull")
    assert sha(clone / "model.safetensors") == digests[-1]
    for back, digest in zip(("main~2", "main~1"), digests):
        git(clone, "checkout", "-q", back)
        assert sha(clone / "model.safetensors") == digest


def test_concurrent_add_and_gc(team: tuple[Path, Path]) -> None:
    work, _ = team
    specs = tensor_specs(8 << 20, 16)
    model = work / "model.safetensors"
    stop = False
    errors: list[bytes] = []

    def gc_loop() -> None:
        while not stop:
            proc = gm(work, "gc", "--recent-days", "0", "--force", check=False)
            if proc.returncode:
                errors.append(proc.stderr)

    import threading

    thread = threading.Thread(target=gc_loop)
    thread.start()
    digests = {}
    try:
        for i in range(6):
            write_safetensors(model, specs, seeds=fine_tune(specs, 0.3, seed=i) if i else None)
            git(work, "add", "model.safetensors")
            git(work, "commit", "-qm", f"v{i}")
            digests[git(work, "rev-parse", "HEAD").stdout.decode().strip()] = sha(model)
    finally:
        stop = True
        thread.join()
    assert not errors, errors
    assert gm(work, "fsck").returncode == 0
    model.unlink()
    git(work, "checkout", "--", "model.safetensors")
    assert sha(model) == list(digests.values())[-1]
