"""The pre-commit hook, driven by the real `git commit`: staged models are checked against
the staged `.gitmodel`, with metadata from the model (metadata_props) or its staged sidecar."""

from __future__ import annotations

from pathlib import Path

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


def test_commit_without_metadata_is_refused(repo: Path) -> None:
    add_policy(repo)
    before = head(repo)
    onnx_model(repo / "model.onnx")
    proc = commit(repo, "model.onnx")
    assert proc.returncode == 1  # git commit exits 1 whatever the hook's status
    lines = stderr_lines(proc)
    assert lines[:2] == ["model.onnx: license: require: missing", "model.onnx: metrics.accuracy: require: missing"]
    assert lines[2].startswith("git-model: commit refused: 2 policy violation(s) in 1 model(s)")
    assert head(repo) == before


def test_embedded_metadata_lets_the_commit_through(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "model.onnx", GOOD)
    assert commit(repo, "model.onnx").returncode == 0
    assert git(repo, "log", "-1", "--format=%s").stdout.decode().strip() == "change"


def test_sidecar_lets_the_commit_through(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "model.onnx")
    set_meta(repo, "model.onnx", "license=MIT", "metrics.accuracy=0.91")
    assert commit(repo, "model.onnx", "model.onnx.meta.toml").returncode == 0
    shown = git(repo, "show", "HEAD:model.onnx.meta.toml").stdout.decode()
    assert shown == 'license = "MIT"\n\n[metrics]\naccuracy = 0.91\n'


def test_an_unstaged_sidecar_does_not_count(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "model.onnx")
    set_meta(repo, "model.onnx", "license=MIT", "metrics.accuracy=0.91")
    proc = commit(repo, "model.onnx")  # sidecar written but not staged
    assert proc.returncode == 1  # git commit exits 1 whatever the hook's status
    assert "model.onnx: license: require: missing" in stderr_lines(proc)


def test_sidecar_overrides_embedded(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "low.onnx", {"license": "MIT", "metrics.accuracy": "0.2"})
    set_meta(repo, "low.onnx", "metrics.accuracy=0.8")
    assert commit(repo, "low.onnx", "low.onnx.meta.toml").returncode == 0

    onnx_model(repo / "high.onnx", GOOD, seed=1)
    set_meta(repo, "high.onnx", "metrics.accuracy=0.3")
    proc = commit(repo, "high.onnx", "high.onnx.meta.toml")
    assert proc.returncode == 1  # git commit exits 1 whatever the hook's status
    assert stderr_lines(proc)[0] == "high.onnx: metrics.accuracy: min 0.5: got 0.3"


def test_commit_all_checks_the_index_git_builds_for_it(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "model.onnx", GOOD)
    assert commit(repo, "model.onnx").returncode == 0
    onnx_model(repo / "model.onnx", {"license": "MIT"}, seed=2)  # a new version lacking accuracy
    proc = git(repo, "commit", "-qam", "v2", check=False)
    assert proc.returncode == 1  # git commit exits 1 whatever the hook's status
    assert stderr_lines(proc)[0] == "model.onnx: metrics.accuracy: require: missing"


def test_only_models_the_commit_changes_are_checked(repo: Path) -> None:
    onnx_model(repo / "legacy.onnx")
    commit(repo, "legacy.onnx", message="before the policy", check=True)
    add_policy(repo)  # the policy itself touches no model: passes
    (repo / "README").write_text("notes\n")
    assert commit(repo, "README").returncode == 0
    set_meta(repo, "legacy.onnx", "license=MIT")  # touching the sidecar makes it checked
    proc = commit(repo, "legacy.onnx.meta.toml")
    assert proc.returncode == 1  # git commit exits 1 whatever the hook's status
    assert stderr_lines(proc)[0] == "legacy.onnx: metrics.accuracy: require: missing"


def test_models_in_subdirectories_and_other_formats(repo: Path) -> None:
    from modelgen import tensor_specs, write_safetensors

    add_policy(repo, POLICY + '[policy "weights/*.safetensors"]\n\trequire = license\n')
    (repo / "weights").mkdir()
    write_safetensors(repo / "weights" / "w.safetensors", tensor_specs(64 * 1024, 2))
    write_safetensors(repo / "other.safetensors", tensor_specs(64 * 1024, 2))  # no pattern matches
    proc = commit(repo, "weights/w.safetensors", "other.safetensors")
    assert proc.returncode == 1  # git commit exits 1 whatever the hook's status
    assert stderr_lines(proc)[0] == "weights/w.safetensors: license: require: missing"
    write_safetensors(repo / "weights" / "w.safetensors", tensor_specs(64 * 1024, 2), metadata={"license": "MIT"})
    assert commit(repo, "weights/w.safetensors", "other.safetensors").returncode == 0


def test_no_verify_skips_the_hook(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "model.onnx")
    assert commit(repo, "model.onnx", verify=False).returncode == 0


def test_existing_pre_commit_hook_still_runs(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(path))
    hook = path / ".git" / "hooks" / "pre-commit"
    hook.write_text('#!/bin/sh\necho ran >> "$(git rev-parse --git-dir)/mine"\n[ ! -e STOP ]\n')
    hook.chmod(0o755)
    proc = gm(path, "install")
    assert "pre-commit: existing hook kept as pre-commit.chained and run first" in proc.stderr.decode()
    gm(path, "track", "*.onnx")
    add_policy(path)  # commits: the user's hook runs, ours passes (no model)
    assert (path / ".git" / "mine").read_text() == "ran\n"

    onnx_model(path / "model.onnx")
    proc = commit(path, "model.onnx")
    assert proc.returncode == 1  # ours refused, after the user's hook ran
    assert (path / ".git" / "mine").read_text() == "ran\nran\n"

    (path / "STOP").write_text("")
    onnx_model(path / "model.onnx", GOOD)
    proc = commit(path, "model.onnx")
    assert proc.returncode == 1 and proc.stderr == b""  # the user's hook's failure stops the commit
    (path / "STOP").unlink()
    assert commit(path, "model.onnx").returncode == 0

    gm(path, "uninstall", "--local")
    assert hook.read_text().startswith("#!/bin/sh\necho ran")


def test_malformed_policy_refuses_the_commit_naming_the_line(repo: Path) -> None:
    (repo / ".gitmodel").write_text('[policy "*.onnx"]\n\trequire = license\n\tmatch = license "\\d"\n')
    onnx_model(repo / "model.onnx", GOOD)
    proc = commit(repo, ".gitmodel", "model.onnx")
    assert proc.returncode == 1
    assert stderr_lines(proc) == ["git-model: .gitmodel (staged): bad config line 3 in blob :.gitmodel"]

    (repo / ".gitmodel").write_text('[policy "*.onnx"]\n\trequire = license\n\n\trequired = metrics.accuracy\n')
    proc = commit(repo, ".gitmodel", "model.onnx")
    assert proc.returncode == 1
    assert stderr_lines(proc) == [
        (
            "git-model: .gitmodel (staged) line 4: unknown rule 'required' in [policy \"*.onnx\"] "
            "(rules: require, type, match, allow, min, max)"
        )
    ]


def test_malformed_sidecar_refuses_the_commit_naming_file_and_line(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "model.onnx", GOOD)
    (repo / "model.onnx.meta.toml").write_text('license = "MIT"\n[metrics]\naccuracy = 0.9.1\n')
    proc = commit(repo, "model.onnx", "model.onnx.meta.toml")
    assert proc.returncode == 1
    lines = stderr_lines(proc)
    assert len(lines) == 1
    assert lines[0].startswith("git-model: model.onnx.meta.toml (staged) line 3: ")


def test_no_policy_no_checks(repo: Path) -> None:
    onnx_model(repo / "model.onnx")
    assert commit(repo, "model.onnx").returncode == 0
