"""The Python API: the example in docs/api.md runs as written, and an old version is read
without a checkout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from inspect_support import ONNX_V2_CHANGED, ROOT, ST_V3_CHANGED, History, git

from git_model.api import Repository
from git_model.errors import FormatError, NotARepositoryError, UsageError


def test_docs_example_runs(work: History, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    example = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert example is not None
    monkeypatch.chdir(work.path)
    namespace: dict = {}
    exec(compile(example.group(1), "docs/api.md", "exec"), namespace)  # noqa: S102 - the documented example itself
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if line.split()[0] in {c[:10] for c in work.commits.values()}]) == 3
    assert namespace["header_length"] == int.from_bytes(work.versions["model.safetensors"][0][:8], "little")
    assert namespace["info"].format == "safetensors" and namespace["info"].metadata == {"stage": "base"}
    assert sorted(c.name for c in namespace["changes"].changed) == sorted(ST_V3_CHANGED)
    assert (work.path / "model-v1.safetensors").read_bytes() == work.versions["model.safetensors"][0]


def test_reads_an_old_version_without_a_checkout(history: History) -> None:
    head = git(history.path, "rev-parse", "HEAD").stdout
    status = git(history.path, "status", "--porcelain").stdout
    repo = Repository.open(history.path / ".git" / "..")
    assert repo.root == history.path
    with repo.open("model.onnx", rev="exp") as handle:
        assert handle.read() == history.versions["model.onnx"][1]
        handle.seek(-100, 2)
        assert handle.read() == history.versions["model.onnx"][1][-100:]
    with repo.open("model.safetensors", "HEAD~2") as handle:
        assert handle.read() == history.versions["model.safetensors"][0]
    assert git(history.path, "rev-parse", "HEAD").stdout == head
    assert git(history.path, "status", "--porcelain").stdout == status
    assert (history.path / "model.onnx").read_bytes() == history.versions["model.onnx"][0]


def test_versions_info_diff_and_reports(history: History) -> None:
    repo = Repository.open(history.path)
    versions = repo.versions("model.onnx", all_refs=True)
    assert [v.commit.oid for v in versions] == [history.commits["onnx2"], history.commits["v1"]]
    assert versions[0].growth is not None and 0 < versions[0].growth.new_bytes < versions[0].pointer.size
    assert len(repo.versions("model.onnx")) == 1
    info = repo.info("model.onnx", "exp")
    assert info.format == "onnx" and len(info.tensors) == 8
    assert [c.name for c in repo.diff("model.onnx", "main", "exp").changed] == ONNX_V2_CHANGED
    assert repo.diff("model.onnx", "main", None).changed == ()  # against the working tree
    compared = repo.compare("model.onnx", "main", "exp")
    assert compared.chunks is not None and compared.chunks.shared > 0
    assert [f.path for f in repo.files().files] == ["model.onnx", "model.safetensors"]
    assert repo.stats().total.versions == 5
    assert [f.path for f in repo.diff_all("main", "exp").files] == ["model.onnx", "model.safetensors"]


def test_errors(history: History, tmp_path: Path) -> None:
    repo = Repository.open(history.path)
    with pytest.raises(UsageError, match="unknown revision 'nosuch'"):
        repo.open("model.onnx", "nosuch")
    with pytest.raises(UsageError, match="not a tracked model"):
        repo.info(".gitattributes")
    with pytest.raises(UsageError, match="no model versions"):
        repo.versions("missing.onnx")
    with pytest.raises(NotARepositoryError):
        Repository.open(tmp_path)


def test_diff_of_a_file_in_no_model_format(work: History) -> None:
    (work.path / "blob.bin").write_bytes(b"\0" * 1000)
    git(work.path, "add", "blob.bin")
    git(work.path, "commit", "-qm", "bin")
    repo = Repository.open(work.path)
    with pytest.raises(FormatError, match="blob.bin"):
        repo.diff("blob.bin", "HEAD", None)
    with pytest.raises(FormatError, match="not a model file"):
        repo.info("blob.bin")
