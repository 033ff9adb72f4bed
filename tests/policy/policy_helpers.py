"""Shared pieces of the policy tests: the policy of the issue, small models with or without
metadata, and a bare server repository with the pre-receive hook."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from modelgen import tensor_specs, write_onnx


def _root_conftest() -> ModuleType:
    """tests/conftest.py by path: `from gitutil import …` is ambiguous in a whole-suite run
    (tests/formats/conftest.py and tests/remote/conftest.py are imported as `conftest` too)."""
    name = "_git_model_root_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "conftest.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_root = _root_conftest()
git, gm, ROOT = _root.git, _root.gm, _root.ROOT

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
