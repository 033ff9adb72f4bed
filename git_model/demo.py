"""The end-to-end demo: two people share versions of a model through a bare repository.

Runs in a temporary directory with its own Git config, so the user's setup is untouched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

from git_model.errors import GitModelError

Echo = Callable[[str], None]


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Shell:
    def __init__(self, root: Path) -> None:
        self.env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": str(root / "gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Demo",
            "GIT_AUTHOR_EMAIL": "demo@example.com",
            "GIT_COMMITTER_NAME": "Demo",
            "GIT_COMMITTER_EMAIL": "demo@example.com",
        }
        self.env.pop("GIT_MODEL_SKIP_SMUDGE", None)

    def run(self, cwd: Path, *args: str) -> str:
        """Run a command; returns its stdout, raises with its last stderr line on failure."""
        proc = subprocess.run(args, cwd=cwd, env=self.env, capture_output=True, text=True)
        if proc.returncode != 0:
            detail = proc.stderr.strip().splitlines()
            raise GitModelError(f"demo: '{' '.join(args)}' failed: {detail[-1] if detail else proc.returncode}")
        return proc.stdout

    def git(self, cwd: Path, *args: str) -> str:
        return self.run(cwd, "git", *args)

    def gm(self, cwd: Path, *args: str) -> str:
        return self.run(cwd, sys.executable, "-m", "git_model", *args)


def run_demo(size_mib: int, keep: bool, echo: Echo) -> None:
    from git_model.synthetic import fine_tune, tensor_specs, write_safetensors

    root = Path(tempfile.mkdtemp(prefix="git-model-demo-"))
    sh = _Shell(root)
    try:
        bare, alice, bob = root / "shared.git", root / "alice", root / "bob"
        sh.git(root, "init", "-q", "--bare", "-b", "main", str(bare))
        sh.gm(root, "install")
        sh.git(root, "clone", "-q", str(bare), str(alice))
        sh.git(alice, "checkout", "-q", "-b", "main")
        sh.gm(alice, "track", "*.safetensors")
        echo(f"demo directory: {root}")
        echo(f"alice: git model track '*.safetensors'; writes model.safetensors v1 ({size_mib} MiB, 64 tensors)")
        specs = tensor_specs(size_mib << 20, 64)
        model = write_safetensors(alice / "model.safetensors", specs)
        v1 = _sha(model)
        sh.git(alice, "add", ".")
        sh.git(alice, "commit", "-qm", "v1")
        store = alice / ".git" / "model"
        after_v1 = _dir_bytes(store / "packs")
        sh.git(alice, "push", "-q", "origin", "main")
        echo(f"alice: committed and pushed v1; store {after_v1 / 2**20:.1f} MiB")

        changed = fine_tune(specs, 0.1, seed=1)
        write_safetensors(model, specs, seeds=changed)
        v2 = _sha(model)
        sh.git(alice, "commit", "-qam", f"v2: fine-tuned {len(changed)} of {len(specs)} tensors")
        after_v2 = _dir_bytes(store / "packs")
        remote_before = _dir_bytes(bare / "model" / "packs")
        sh.git(alice, "push", "-q", "origin", "main")
        pushed = _dir_bytes(bare / "model" / "packs") - remote_before
        changed_bytes = len(changed) * (size_mib << 20) // len(specs)
        echo(
            f"alice: v2 changes {len(changed)} tensors ({changed_bytes / 2**20:.1f} MiB); "
            f"store grew {(after_v2 - after_v1) / 2**20:.1f} MiB, push sent {pushed / 2**20:.1f} MiB"
        )

        sh.git(root, "clone", "-q", str(bare), str(bob))
        ok_v2 = _sha(bob / "model.safetensors") == v2
        sh.git(bob, "checkout", "-q", "HEAD~1")
        ok_v1 = _sha(bob / "model.safetensors") == v1
        status = sh.git(bob, "status", "--porcelain")
        echo(f"bob:   git clone gives v2 bit-exact: {'yes' if ok_v2 else 'NO'}; "
             f"git checkout HEAD~1 gives v1 bit-exact: {'yes' if ok_v1 else 'NO'}; "
             f"git status clean: {'yes' if not status.strip() else 'NO'}")
        logical = 2 * (size_mib << 20)
        echo(
            f"two versions = {logical / 2**20:.0f} MiB of model; stored {after_v2 / 2**20:.1f} MiB "
            f"(deduplication saved {(1 - after_v2 / logical) * 100:.0f}%)"
        )
        if not (ok_v1 and ok_v2) or status.strip():
            raise GitModelError("demo: a checkout did not reproduce the committed model")
    finally:
        if keep:
            echo(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
