"""`git diff` shows the model summary even where no user identity is configured (a textconv
cache would make Git commit notes, which needs one, and the diff came out empty)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gitutil import git
from modelgen import tensor_specs, write_safetensors


def test_diff_of_two_versions_without_identity(repo: Path) -> None:
    specs = tensor_specs(1 << 20, 4)
    write_safetensors(repo / "m.safetensors", specs)
    git(repo, "add", "m.safetensors")
    git(repo, "commit", "-qm", "v1")
    write_safetensors(repo / "m.safetensors", specs, seeds={specs[0][0]: 9})
    git(repo, "commit", "-qam", "v2")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_"))}
    env["EMAIL"] = ""
    proc = subprocess.run(["git", "diff", "HEAD~1", "HEAD"], cwd=repo, env=env, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert b"tensor   layers.0.weight" in proc.stdout
    assert b"identity" not in proc.stderr
