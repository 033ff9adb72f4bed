"""A/B timing of `git add` of v2 between git-model revisions (no Git LFS, no report file).

For comparing two versions of the clean path on a noisy machine: each round adds v1 and
commits it in a fresh repository, then times `git add` of v2 (10% of tensors changed), for
every revision in turn, so that machine noise hits all of them alike. Prints the median and
all times per revision. The per-step table in docs/benchmarks.md was measured with this
procedure.

    python bench/ab_add.py HEAD~3 HEAD --rounds 6
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import MIB, ROOT, copy_in, extract_rev, isolated_env, sh  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from modelgen import fine_tune, tensor_specs, write_safetensors  # noqa: E402


def time_add_v2(work: Path, v1: Path, v2: Path, env: dict[str, str]) -> float:
    """A fresh repository with v1 committed; the wall time of `git add` of v2."""
    repo = work / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir()
    sh(["git", "init", "-q"], repo, env)
    sh([sys.executable, "-m", "git_model", "install", "--local"], repo, env)
    sh([sys.executable, "-m", "git_model", "track", "*.safetensors"], repo, env)
    copy_in(v1, repo / "model.safetensors")
    sh(["git", "add", "model.safetensors"], repo, env)
    sh(["git", "commit", "-q", "-m", "v1"], repo, env)
    copy_in(v2, repo / "model.safetensors")
    start = time.perf_counter()
    sh(["git", "add", "model.safetensors"], repo, env)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="+", help="git-model revisions to compare (e.g. HEAD~1 HEAD)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="git-model-ab-", dir=args.workdir) as tmp:
        base = Path(tmp)
        specs = tensor_specs(args.size_mib * MIB, 64, "F32")
        v1 = write_safetensors(base / "v1.safetensors", specs, base_seed=0)
        v2 = write_safetensors(base / "v2.safetensors", specs, seeds=fine_tune(specs, 0.1, 1), base_seed=0)
        envs = {rev: isolated_env(base / f"home-{i}", extract_rev(rev, base / f"tree-{i}")) for i, rev in enumerate(args.revs)}
        times: dict[str, list[float]] = {rev: [] for rev in args.revs}
        for _ in range(args.rounds):
            for rev, env in envs.items():
                times[rev].append(time_add_v2(base, v1, v2, env))
        for rev, values in times.items():
            print(f"{rev}: median {statistics.median(values):.2f} s  all {' '.join(f'{v:.2f}' for v in values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
