"""A bare repository with two pushed versions of a model (tags v1, v2), for the `get` tests.

v2 changes 10% of the tensors, so a `get` of v2 after v1 should move about that much.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path



from gitutil import ROOT, git, gm, isolate_git, remote_and_clone  # noqa: E402,F401  (re-exported to the get tests)
from modelgen import fine_tune, tensor_specs, write_safetensors  # noqa: E402  (tests/ is on sys.path now)

MODEL = "model.safetensors"


@dataclass(frozen=True)
class Published:
    bare: Path
    alice: Path
    v1: Path  # copies of the two versions' bytes, outside any repository
    v2: Path
    changed_bytes: int  # bytes of the tensors v2 changed
    n_changed: int

    def sha(self, version: int) -> str:
        return sha256_of(self.v1 if version == 1 else self.v2)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def publish(tmp_path: Path, size: int, n_tensors: int = 40, gitmodel: str | None = None, model: str = MODEL) -> Published:
    """Push v1 and v2 of ``model`` (``size`` bytes) to a new bare repository."""
    bare, alice = remote_and_clone(tmp_path, "*.safetensors")
    if gitmodel is not None:
        (alice / ".gitmodel").write_text(gitmodel)
    (alice / "README.md").write_text("a model\n")
    specs = tensor_specs(size, n_tensors)
    target = alice / model
    target.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(target, specs)
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "v1")
    git(alice, "tag", "v1")
    v1 = shutil.copyfile(target, tmp_path / "v1.bin")
    changed = fine_tune(specs, 0.1, seed=7)
    write_safetensors(target, specs, seeds=changed)
    git(alice, "commit", "-qam", "v2")
    git(alice, "tag", "v2")
    v2 = shutil.copyfile(target, tmp_path / "v2.bin")
    git(alice, "push", "-q", "origin", "main", "--tags")
    return Published(bare, alice, v1, v2, len(changed) * size // n_tensors, len(changed))


def get_json(cwd: Path, *args: str, env: dict | None = None) -> dict:
    """Run `git model get ... --json` (must succeed) and return its report."""
    proc = gm(cwd, "get", *args, "--json", env=env)
    return json.loads(proc.stdout)


def moved_bound(published: Published) -> float:
    """What moving "about the changed bytes" allows: 15% over, plus a chunk's worth of
    boundary on each side of every changed tensor, plus indexes and manifests."""
    return 1.15 * published.changed_bytes + 2 * 256 * 1024 * published.n_changed + 64 * 1024
