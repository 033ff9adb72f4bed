"""`git model show REV:PATH`: bit-identical bytes of any version, to stdout or a file, from
the local store or fetched from the remote, without touching the working tree."""

from __future__ import annotations

from pathlib import Path

from inspect_support import History, git, gm


def test_show_streams_every_version_bit_identical(history: History) -> None:
    for rev, path, n in (
        ("HEAD~2", "model.safetensors", 0),
        ("HEAD~1", "model.safetensors", 1),
        ("HEAD", "model.safetensors", 2),
        ("main", "model.onnx", 0),
        ("exp", "model.onnx", 1),
        (history.commits["v1"], "model.onnx", 0),
    ):
        proc = gm(history.path, "show", f"{rev}:{path}")
        assert proc.stdout == history.versions[path][n], (rev, path)
        assert proc.stderr == b""


def test_show_to_a_file_leaves_the_working_tree_alone(work: History, tmp_path: Path) -> None:
    before = git(work.path, "status", "--porcelain").stdout
    head = git(work.path, "rev-parse", "HEAD").stdout
    out = tmp_path / "out" / "v1.safetensors"
    out.parent.mkdir()
    out.write_bytes(b"old content")
    gm(work.path, "show", "HEAD~2:model.safetensors", "-o", str(out))
    assert out.read_bytes() == work.versions["model.safetensors"][0]
    assert [p.name for p in out.parent.iterdir()] == ["v1.safetensors"]  # no temp file left
    assert (work.path / "model.safetensors").read_bytes() == work.versions["model.safetensors"][2]
    assert git(work.path, "status", "--porcelain").stdout == before
    assert git(work.path, "rev-parse", "HEAD").stdout == head


def test_show_index_and_dot_relative_paths(work: History) -> None:
    sub = work.path / "sub"
    sub.mkdir()
    (sub / "x").write_text("")
    assert gm(work.path, "show", ":model.onnx").stdout == work.versions["model.onnx"][0]
    assert gm(sub, "show", "exp:../model.onnx").stdout == work.versions["model.onnx"][1]
    assert gm(sub, "show", "exp:model.onnx").stdout == work.versions["model.onnx"][1]


def test_show_fetches_from_the_remote(work: History, bare: Path, tmp_path: Path) -> None:
    git(work.path, "remote", "add", "origin", str(bare))
    git(work.path, "push", "-q", "origin", "main", "exp")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone), env={"GIT_MODEL_SKIP_SMUDGE": "1"})
    gm(clone, "install", "--local")
    assert not any((clone / ".git" / "model" / "packs").glob("*.pack"))
    proc = gm(clone, "show", "origin/exp:model.onnx")
    assert proc.stdout == work.versions["model.onnx"][1]
    assert any((clone / ".git" / "model" / "packs").glob("*.pack"))
    assert (clone / "model.onnx").read_bytes().startswith(b"version https://git-model.dev/spec/pointer/v1")


def test_show_missing_without_remote_is_a_clear_error(work: History) -> None:
    for manifest in (work.path / ".git" / "model" / "manifests").rglob("*"):
        if manifest.is_file():
            manifest.unlink()
    proc = gm(work.path, "show", "HEAD:model.onnx", check=False)
    assert proc.returncode == 8, proc.stderr
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "not in the local store" in err


def test_show_bad_input(history: History) -> None:
    for spec, needle in (
        ("nosuch:model.onnx", "unknown revision 'nosuch'"),
        ("HEAD:missing.onnx", "'missing.onnx' does not exist in 'HEAD'"),
        ("HEAD:.gitattributes", "not a tracked model"),
        ("model.onnx", "expected REV:PATH"),
    ):
        proc = gm(history.path, "show", spec, check=False)
        assert proc.returncode == 2, (spec, proc.stderr)
        err = proc.stderr.decode()
        assert err.count("\n") == 1 and needle in err, err
        assert proc.stdout == b""
