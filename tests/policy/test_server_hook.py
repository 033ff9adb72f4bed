"""The pre-receive hook of a bare repository, driven by real `git push`es: it refuses ref
updates whose new model versions break the pushed `.gitmodel` policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitutil import git, gm
from policy_helpers import (
    GOOD,
    POLICY,
    add_policy,
    commit,
    head,
    onnx_model,
    set_meta,
    stderr_lines,
)


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    path = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    proc = gm(path, "install", "--server")
    assert "pre-receive hook installed" in proc.stderr.decode()
    hooks = {p.name for p in (path / "hooks").iterdir() if not p.name.endswith(".sample")}
    assert hooks == {"pre-receive"}
    return path


@pytest.fixture
def alice(tmp_path: Path, bare: Path) -> Path:
    path = tmp_path / "alice"
    git(tmp_path, "clone", "-q", str(bare), str(path))
    gm(path, "install")
    gm(path, "track", "*.onnx")
    git(path, "add", ".gitattributes")
    git(path, "commit", "-qm", "track")
    add_policy(path)
    git(path, "push", "-q", "origin", "main")
    return path


def push(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return git(repo, "push", "origin", *(args or ("main",)), check=False)


def remote_lines(proc) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.removeprefix("remote: ").rstrip() for line in stderr_lines(proc) if line.startswith("remote: ")]


def test_push_of_a_violating_commit_is_refused_then_accepted_once_fixed(alice: Path, bare: Path) -> None:
    onnx_model(alice / "model.onnx")
    assert commit(alice, "model.onnx", verify=False).returncode == 0
    proc = push(alice)
    assert proc.returncode != 0 and "pre-receive hook declined" in proc.stderr.decode()
    lines = remote_lines(proc)
    assert "model.onnx: license: require: missing" in lines
    assert "model.onnx: metrics.accuracy: require: missing" in lines
    assert any(line.startswith("git-model: push refused: 2 policy violation(s)") for line in lines)
    assert head(bare, "main") != head(alice)

    set_meta(alice, "model.onnx", "license=MIT", "metrics.accuracy=0.9")
    assert commit(alice, "model.onnx.meta.toml").returncode == 0
    proc = push(alice)
    assert proc.returncode == 0, proc.stderr.decode()
    assert head(bare, "main") == head(alice)


def test_the_server_reads_embedded_metadata_from_its_own_store(alice: Path, bare: Path) -> None:
    onnx_model(alice / "model.onnx", {"license": "MIT", "metrics.accuracy": "0.2"})
    commit(alice, "model.onnx", verify=False)
    proc = push(alice)
    assert proc.returncode != 0
    assert "model.onnx: metrics.accuracy: min 0.5: got 0.2" in remote_lines(proc)

    onnx_model(alice / "model.onnx", GOOD, seed=1)  # the fix is a new model version
    assert commit(alice, "model.onnx").returncode == 0
    proc = push(alice)  # pushes both commits: only what the ref will hold is checked
    assert proc.returncode == 0, proc.stderr.decode()
    assert head(bare, "main") == head(alice)


def test_amended_commit_is_accepted(alice: Path, bare: Path) -> None:
    onnx_model(alice / "model.onnx")
    commit(alice, "model.onnx", verify=False)
    assert push(alice).returncode != 0
    onnx_model(alice / "model.onnx", GOOD)
    git(alice, "add", "model.onnx")
    git(alice, "commit", "-q", "--amend", "--no-edit")
    assert push(alice).returncode == 0


def test_models_already_on_the_server_are_not_checked_again(alice: Path, bare: Path, tmp_path: Path) -> None:
    (alice / ".gitmodel").write_text("")
    commit(alice, ".gitmodel", check=True)
    onnx_model(alice / "legacy.onnx")
    commit(alice, "legacy.onnx", check=True)
    assert push(alice).returncode == 0  # no policy then
    (alice / ".gitmodel").write_text(POLICY)
    (alice / "README").write_text("x\n")
    commit(alice, ".gitmodel", "README", check=True)
    assert push(alice).returncode == 0
    set_meta(alice, "legacy.onnx", "license=MIT")  # a new sidecar makes the model checked
    commit(alice, "legacy.onnx.meta.toml", verify=False)
    proc = push(alice)
    assert proc.returncode != 0
    assert "legacy.onnx: metrics.accuracy: require: missing" in remote_lines(proc)


def test_new_branches_tags_and_deletions(alice: Path, bare: Path) -> None:
    git(alice, "switch", "-q", "-c", "topic")
    onnx_model(alice / "model.onnx")
    commit(alice, "model.onnx", verify=False)
    proc = push(alice, "topic")
    assert proc.returncode != 0 and "model.onnx: license: require: missing" in remote_lines(proc)
    git(alice, "tag", "-a", "-m", "t", "v1")
    proc = push(alice, "v1")
    assert proc.returncode != 0 and "model.onnx: license: require: missing" in remote_lines(proc)
    git(alice, "switch", "-q", "main")
    git(alice, "push", "-q", "origin", "main:gone")
    assert push(alice, ":gone").returncode == 0


def test_a_malformed_pushed_policy_is_refused_naming_the_line(alice: Path, bare: Path) -> None:
    (alice / ".gitmodel").write_text(POLICY + "\tmaximum = metrics.latency 3\n")
    onnx_model(alice / "model.onnx", GOOD)
    commit(alice, ".gitmodel", "model.onnx", verify=False)
    proc = push(alice)
    assert proc.returncode != 0
    sha = head(alice)[:12]
    assert f"git-model: {sha}:.gitmodel line 5: unknown rule 'maximum' in [policy \"*.onnx\"] " \
        "(rules: require, type, match, allow, min, max)" in remote_lines(proc)


def test_without_the_model_bytes_only_the_sidecar_is_checked(alice: Path, bare: Path) -> None:
    onnx_model(alice / "model.onnx", GOOD)
    commit(alice, "model.onnx", check=True)
    proc = git(alice, "push", "--no-verify", "origin", "main", check=False)  # skips the pre-push upload
    assert proc.returncode != 0
    lines = remote_lines(proc)
    assert any("model.onnx" in line and "checked its sidecar only" in line for line in lines)
    assert "model.onnx: license: require: missing (model bytes unavailable: only its sidecar was checked)" in lines

    set_meta(alice, "model.onnx", "license=MIT", "metrics.accuracy=0.9")
    commit(alice, "model.onnx.meta.toml", check=True)
    proc = git(alice, "push", "--no-verify", "origin", "main", check=False)
    assert proc.returncode == 0, proc.stderr.decode()


def test_the_server_fetches_models_from_a_configured_store(alice: Path, bare: Path, tmp_path: Path) -> None:
    store = tmp_path / "shared-store"
    git(alice, "config", "model.url", str(store))
    git(bare, "config", "model.url", str(store))
    onnx_model(alice / "model.onnx", {"license": "MIT", "metrics.accuracy": "0.3"})
    commit(alice, "model.onnx", verify=False)
    assert not (bare / "model" / "packs").exists()
    proc = push(alice)
    assert proc.returncode != 0
    assert "model.onnx: metrics.accuracy: min 0.5: got 0.3" in remote_lines(proc)
    assert any((bare / "model" / "packs").glob("*.pack"))  # fetched from the shared store to be read

    onnx_model(alice / "model.onnx", GOOD, seed=2)
    commit(alice, "model.onnx", check=True)
    assert push(alice).returncode == 0


def test_the_server_uses_the_store_named_by_the_policy_it_already_holds(alice: Path, bare: Path, tmp_path: Path) -> None:
    store = tmp_path / "team-store"
    (alice / ".gitmodel").write_text(POLICY + f"[remote]\n\turl = {store}\n")
    commit(alice, ".gitmodel", check=True)
    assert push(alice).returncode == 0  # now the server's HEAD names the store
    onnx_model(alice / "model.onnx", {"license": "MIT", "metrics.accuracy": "0.3"})
    commit(alice, "model.onnx", verify=False)
    proc = push(alice)  # alice's pre-push uploads to the team store, not into the bare repository
    assert proc.returncode != 0
    assert "model.onnx: metrics.accuracy: min 0.5: got 0.3" in remote_lines(proc)


def test_uninstall_server(bare: Path) -> None:
    proc = gm(bare, "uninstall", "--server")
    assert "pre-receive hook removed" in proc.stderr.decode()
    assert not (bare / "hooks" / "pre-receive").exists()
