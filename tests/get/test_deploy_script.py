"""docs/examples/deploy.sh against a local bare remote: releases, the atomic switch of
`current`, hard-linked unchanged files, failures that leave `current` alone, pruning."""

from __future__ import annotations

import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from get_support import MODEL, ROOT, Published, isolate_git, publish

SCRIPT = ROOT / "docs" / "examples" / "deploy.sh"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    base = tmp_path_factory.mktemp("deploy")
    with pytest.MonkeyPatch.context() as mp:
        isolate_git(mp, base / "home")
        return publish(base, 8 << 20, 16)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """PATH with a `git-model` that runs this checkout (as `git model` finds it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git-model"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m git_model "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GIT_MODEL_CACHE": str(tmp_path / "cache")}


def deploy(env: dict[str, str], cwd: Path, *args: str, keep: int = 3) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(SCRIPT), *args], cwd=cwd, env={**env, "KEEP_RELEASES": str(keep)},
                          capture_output=True, check=False)


def moved_mb(stderr: bytes) -> float:
    return float(re.search(rb"([0-9.]+) MB moved", stderr).group(1))


def test_deploy_switches_current_atomically_between_complete_releases(published: Published, tmp_path: Path, env: dict[str, str]) -> None:
    root = tmp_path / "srv"
    url = str(published.bare)
    first = deploy(env, tmp_path, url, "v1", str(root), MODEL)
    assert first.returncode == 0, first.stderr
    assert b"deployed " in first.stdout
    assert os.readlink(root / "current").startswith("releases/")
    assert filecmp.cmp(root / "current" / MODEL, published.v1, shallow=False)
    v1_release = (root / "current").resolve()

    second = deploy(env, tmp_path, url, "v2", str(root), MODEL)
    assert second.returncode == 0, second.stderr
    assert filecmp.cmp(root / "current" / MODEL, published.v2, shallow=False)
    assert moved_mb(second.stderr) * 1e6 < 0.25 * published.v2.stat().st_size  # only what v2 changed
    # the previous release is intact although the new one started as hard links to it
    assert filecmp.cmp(v1_release / MODEL, published.v1, shallow=False)
    v2_release = (root / "current").resolve()

    third = deploy(env, tmp_path, url, "v2", str(root), MODEL)  # same revision again
    assert third.returncode == 0, third.stderr
    assert b"unchanged " + MODEL.encode() in third.stderr and moved_mb(third.stderr) == 0
    assert (root / "current" / MODEL).stat().st_ino == (v2_release / MODEL).stat().st_ino  # a hard link
    assert sorted(os.listdir(root)) == ["current", "releases"]
    assert not [n for n in os.listdir(root / "releases") if n.startswith(".")]  # no staging left


def test_failed_deploy_leaves_current_alone(published: Published, tmp_path: Path, env: dict[str, str]) -> None:
    root = tmp_path / "srv"
    assert deploy(env, tmp_path, str(published.bare), "v1", str(root), MODEL).returncode == 0
    before = os.readlink(root / "current")
    for args, code in [(("v1", "no-such.safetensors"), 2), (("v9", MODEL), 2)]:
        proc = deploy(env, tmp_path, str(published.bare), args[0], str(root), args[1])
        assert proc.returncode == code, proc.stderr
        assert b"current is unchanged" in proc.stderr
        assert os.readlink(root / "current") == before
        assert filecmp.cmp(root / "current" / MODEL, published.v1, shallow=False)
        assert not [n for n in os.listdir(root / "releases") if n.startswith(".")]
    assert deploy(env, tmp_path, str(tmp_path / "nowhere.git"), "v1", str(root), MODEL).returncode == 12
    assert deploy(env, tmp_path, str(published.bare)).returncode == 2  # usage


def test_old_releases_are_pruned_but_never_the_live_one(published: Published, tmp_path: Path, env: dict[str, str]) -> None:
    root = tmp_path / "srv"
    for rev in ("v1", "v2", "v1", "v2"):
        proc = deploy(env, tmp_path, str(published.bare), rev, str(root), MODEL, keep=2)
        assert proc.returncode == 0, proc.stderr
    releases = sorted(os.listdir(root / "releases"))
    assert len(releases) == 2
    assert os.readlink(root / "current") == f"releases/{releases[-1]}"
    assert filecmp.cmp(root / "current" / MODEL, published.v2, shallow=False)


def test_files_the_revision_no_longer_names_are_dropped(published: Published, tmp_path: Path, env: dict[str, str]) -> None:
    root = tmp_path / "srv"
    assert deploy(env, tmp_path, str(published.bare), "v1", str(root), MODEL).returncode == 0
    (root / "current" / "stale.bin").write_bytes(b"left over")  # not part of any release
    assert deploy(env, tmp_path, str(published.bare), "v2", str(root), MODEL).returncode == 0
    assert sorted(os.listdir(root / "current")) == [MODEL]


def test_kubernetes_example_is_a_valid_get_command() -> None:
    yaml = pytest.importorskip("yaml")
    from git_model.cli.get_cmd import get

    text = (ROOT / "docs" / "deploy.md").read_text()
    manifest = yaml.safe_load(text.split("```yaml", 1)[1].split("```", 1)[0])
    command = manifest["spec"]["template"]["spec"]["initContainers"][0]["command"]
    assert command[:3] == ["git", "model", "get"]
    ctx = get.make_context("get", command[3:])
    assert ctx.params["output"] == Path("/srv") and ctx.params["rev"] == "v2.3.0"
