"""Shared pieces of the policy tests: the policy of the issue, small models with or without
metadata, and a bare server repository with the pre-receive hook."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gitutil import git, gm
from modelgen import tensor_specs, write_onnx

POLICY = '[policy "*.onnx"]\n\trequire = license\n\trequire = metrics.accuracy\n\tmin = metrics.accuracy 0.5\n'
GOOD = {"license": "MIT", "metrics.accuracy": "0.91"}


def onnx_model(path: Path, metadata: Mapping[str, str] | None = None, seed: int = 0) -> Path:
    """A ~96 KiB ONNX model (two chunks at most) with ``metadata`` as metadata_props."""
    return write_onnx(path, tensor_specs(96 * 1024, 3), metadata=metadata, base_seed=seed)


def add_policy(repo: Path, text: str = POLICY) -> None:
    (repo / ".gitmodel").write_text(text)
    git(repo, "add", ".gitmodel")
    git(repo, "commit", "-qm", "policy")


def commit(repo: Path, *paths: str, message: str = "change", verify: bool = True, check: bool = False):  # type: ignore[no-untyped-def]
    git(repo, "add", *paths)
    args = ["commit", "-qm", message] + ([] if verify else ["--no-verify"])
    return git(repo, *args, check=check)


def head(repo: Path, ref: str = "HEAD") -> str:
    return git(repo, "rev-parse", ref).stdout.decode().strip()


def stderr_lines(proc) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in proc.stderr.decode().splitlines() if line.strip()]


def set_meta(repo: Path, model: str, *pairs: str) -> None:
    gm(repo, "meta", "set", model, *pairs)
