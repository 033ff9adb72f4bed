"""`kill -9` at random moments of `git model migrate import`: refs either stay as they were or
point at the complete rewrite, the store stays intact, and a rerun finishes the job."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from gitutil import git, gm
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "migrate"))
from migrate_helpers import make_plain_repo, refs, write_versions


def test_kills_during_migrate_import(tmp_path: Path) -> None:
    repo = make_plain_repo(tmp_path)
    contents = write_versions(repo, "model.safetensors", 12 << 20, 3)
    original = refs(repo)
    rng = random.Random(11)
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "git_model", "migrate", "import", "-I", "*.safetensors"], cwd=repo,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        time.sleep(rng.uniform(0.1, 1.5))
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        for lock in (repo / ".git").rglob("*.lock"):
            lock.unlink()  # git's own locks, left by its killed processes
        now = refs(repo)
        assert now["refs/heads/main"] == original["refs/heads/main"] or "refs/git-model/migrate-backup/refs/heads/main" in now
        report = json.loads(gm(repo, "fsck", "--json", check=False).stdout)
        assert all("(missing)" in p["message"] for p in report["problems"]), report
        assert git(repo, "fsck", "--no-progress").returncode == 0
        if now["refs/heads/main"] != original["refs/heads/main"]:
            break  # the rewrite completed before the kill
        git(repo, "reset", "-q", "--hard")
    git(repo, "reset", "-q", "--hard")  # what a user does after a killed command
    if refs(repo)["refs/heads/main"] == original["refs/heads/main"]:
        gm(repo, "migrate", "import", "-I", "*.safetensors")
    for back, expected in zip(("main~2", "main~1", "main"), contents):
        git(repo, "checkout", "-q", back)
        assert (repo / "model.safetensors").read_bytes() == expected
        assert git(repo, "cat-file", "-p", f"{back}:model.safetensors").stdout.startswith(b"version https://git-model.dev/")
