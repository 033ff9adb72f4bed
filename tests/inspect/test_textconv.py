"""The ``diff=model`` textconv driver: plain `git diff` and `git log -p` show a readable
summary of a model instead of pointer lines, and the driver never fails."""

from __future__ import annotations

from pathlib import Path

from inspect_support import History, git, gm


def test_git_diff_shows_the_summary_and_the_changed_tensor(work: History) -> None:
    history = work
    git(work.path, "checkout", "-q", "exp")
    out = git(work.path, "diff", "HEAD~1", "--", "model.onnx").stdout.decode()
    assert out == git(work.path, "diff", "exp~1", "exp", "--", "model.onnx").stdout.decode()
    assert "oid sha256:" not in out and "Binary files" not in out
    assert f"-sha256   {history.sha('model.onnx', 0)[:16]}" in out
    assert f"+sha256   {history.sha('model.onnx', 1)[:16]}" in out
    changed = [line for line in out.splitlines() if line.startswith(("-tensor", "+tensor"))]
    assert len(changed) == 2 and all("layers.3.weight  FLOAT  [128, 256]  data " in line for line in changed)
    assert " format   onnx" in out


def test_git_log_p_shows_summaries(history: History) -> None:
    out = git(history.path, "log", "-p", "--format=commit %H", "--", "model.safetensors").stdout.decode()
    assert "oid sha256:" not in out
    assert out.count("+format   safetensors") == 1  # the version that added the file
    assert "-metadata stage = base" in out and "+metadata stage = tuned" in out
    for name in ("layers.1.weight", "layers.5.weight", "layers.0.weight", "layers.4.weight", "layers.8.weight"):
        assert f"+tensor   {name}  F32" in out
    assert "+tensor   layers.2.weight" not in out.split("commit ")[1]  # unchanged in v3


def textconv(cwd: Path, file: Path) -> tuple[int, str]:
    proc = gm(cwd, "diff-textconv", str(file), check=False)
    assert proc.stderr == b""
    return proc.returncode, proc.stdout.decode()


def test_pointer_summary_reads_the_header_from_the_store(history: History, tmp_path: Path) -> None:
    pointer = tmp_path / "abc_model.safetensors"
    pointer.write_bytes(git(history.path, "cat-file", "blob", "HEAD:model.safetensors").stdout)
    code, out = textconv(history.path, pointer)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"size     {len(history.versions['model.safetensors'][2])} (3.0 MiB)"
    assert lines[1] == f"sha256   {history.sha('model.safetensors', 2)[:16]}"
    assert lines[2] == "format   safetensors"
    assert "metadata stage = tuned" in lines
    assert "tensor   layers.0.weight  F32  [256, 256]" in lines


def test_pointer_not_local_and_broken_files_never_fail(work: History, tmp_path: Path) -> None:
    pointer = tmp_path / "model.onnx"
    pointer.write_bytes(git(work.path, "cat-file", "blob", "HEAD:model.onnx").stdout)
    for manifest in (work.path / ".git" / "model" / "manifests").rglob("*"):
        if manifest.is_file():
            manifest.unlink()
    code, out = textconv(work.path, pointer)
    assert code == 0
    assert out.splitlines()[1] == f"sha256   {work.sha('model.onnx', 0)[:16]}"
    assert "note     content not in the local store" in out

    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(work.versions["model.safetensors"][0][:50])
    code, out = textconv(work.path, broken)
    assert code == 0 and "note     header not readable: broken.safetensors: truncated" in out

    other = tmp_path / "notes.bin"
    other.write_bytes(b"hello")
    code, out = textconv(work.path, other)
    assert code == 0 and "format   unknown" in out

    code, out = textconv(tmp_path, tmp_path / "missing.onnx")  # outside a repository, no file
    assert code == 0 and out.startswith("note     cannot summarize missing.onnx")
