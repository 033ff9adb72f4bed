"""Shared pieces of the inspection tests: the history every test reads (three safetensors
versions on main, two ONNX versions on the branch ``exp``), with the bytes each version had,
so that tests can check against them. `git`/`gm` come from tests/gitutil.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from gitutil import ROOT, git, gm  # noqa: F401  (re-exported to the inspection tests)
from modelgen import fine_tune, tensor_specs, write_onnx, write_safetensors

ST_SPECS = tensor_specs(3 << 20, 12)  # 12 tensors of 256 KiB
ONNX_SPECS = tensor_specs(1 << 20, 8)  # 8 tensors of 128 KiB
ST_V2_CHANGED = sorted(fine_tune(ST_SPECS, 0.25, seed=2))  # layers.0, 4, 8
ST_V3_CHANGED = ["layers.1.weight", "layers.5.weight"]
ONNX_V2_CHANGED = ["layers.3.weight"]


@dataclass
class History:
    """The repository and what each version was: bytes' sha256, and the changed tensors."""

    path: Path
    versions: dict[str, list[bytes]] = field(default_factory=dict)  # path → contents, oldest first
    commits: dict[str, str] = field(default_factory=dict)  # name → commit id

    def sha(self, path: str, n: int) -> str:
        return hashlib.sha256(self.versions[path][n]).hexdigest()


def build_history(path: Path) -> History:
    """main: track → v1 (both models) → st v2 → st v3; exp (from st v2): onnx v2.
    Installed with --local so the filter works whatever HOME the test runs with."""
    path.mkdir()
    git(path, "init", "-q")
    gm(path, "install", "--local")
    gm(path, "track", "*.safetensors", "*.onnx", "*.gguf", "*.bin")
    git(path, "add", ".gitattributes")
    git(path, "commit", "-qm", "track models")
    history = History(path)
    st, onnx = path / "model.safetensors", path / "model.onnx"

    def commit(name: str, message: str, *files: Path) -> None:
        for f in files:
            history.versions.setdefault(f.name, []).append(f.read_bytes())
        git(path, "add", *(f.name for f in files))
        git(path, "commit", "-qm", message)
        history.commits[name] = git(path, "rev-parse", "HEAD").stdout.decode().strip()

    write_safetensors(st, ST_SPECS, metadata={"stage": "base"})
    write_onnx(onnx, ONNX_SPECS, metadata={"stage": "base"})
    commit("v1", "v1: base models", st, onnx)
    write_safetensors(st, ST_SPECS, seeds={n: 2 for n in ST_V2_CHANGED}, metadata={"stage": "base"})
    commit("st2", "st v2: fine-tune", st)
    git(path, "branch", "exp")
    seeds3 = {**{n: 2 for n in ST_V2_CHANGED}, **{n: 3 for n in ST_V3_CHANGED}}
    write_safetensors(st, ST_SPECS, seeds=seeds3, metadata={"stage": "tuned"})
    commit("st3", "st v3: more tuning", st)
    git(path, "checkout", "-q", "exp")
    write_onnx(onnx, ONNX_SPECS, seeds={n: 5 for n in ONNX_V2_CHANGED}, metadata={"stage": "base"})
    commit("onnx2", "onnx v2 on exp", onnx)
    git(path, "checkout", "-q", "main")
    return history
