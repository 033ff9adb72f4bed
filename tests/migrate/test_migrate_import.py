"""`git model migrate import` of ordinary blobs, through the real git and git-model binaries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from gitutil import git, gm
from migrate_helpers import (
    assert_same_checkouts,
    blob_kinds,
    crash_reports,
    make_plain_repo,
    refs,
    write_versions,
)
from modelgen import tensor_specs, write_safetensors

from git_model.pointer import VERSION_URL, parse

POINTER_LINE = f"version {VERSION_URL}".encode()


@pytest.fixture
def plain_repo(tmp_path: Path) -> Path:
    return make_plain_repo(tmp_path)


def test_import_plain_history_checks_out_the_same_bytes(plain_repo: Path) -> None:
    contents = write_versions(plain_repo, "model.bin", 6 << 20, 3)
    before = refs(plain_repo)
    result = gm(plain_repo, "migrate", "import", "--include", "*.bin")
    err = result.stderr.decode()
    assert "3 of 3 commit(s) rewritten; 3 blob(s) converted" in err
    assert "working tree updated" in err
    after = refs(plain_repo)
    assert after["refs/git-model/migrate-backup/refs/heads/main"] == before["refs/heads/main"]
    assert after["refs/heads/main"] != before["refs/heads/main"]
    assert blob_kinds(plain_repo, "main", "model.bin") == [POINTER_LINE] * 3
    sizes = [parse(git(plain_repo, "cat-file", "blob", f"main~{i}:model.bin").stdout).size for i in (2, 1, 0)]
    assert sizes == [len(c) for c in contents]
    attrs = git(plain_repo, "cat-file", "blob", "main~2:.gitattributes").stdout
    assert attrs == b"*.bin filter=model diff=model merge=model -text\n"
    assert (plain_repo / "model.bin").read_bytes() == contents[-1]
    assert git(plain_repo, "status", "--porcelain").stdout == b""
    assert assert_same_checkouts(plain_repo) == 3
    # nothing left to do: a second run changes nothing
    again = gm(plain_repo, "migrate", "import", "--include", "*.bin")
    assert "nothing to migrate" in again.stderr.decode()
    assert refs(plain_repo) == after


def test_import_50mb_model_three_commits_with_flat_memory(plain_repo: Path) -> None:
    write_versions(plain_repo, "weights/model.bin", 50 << 20, 3, tensors=40)
    baseline = _peak_rss_kib(plain_repo, "migrate", "info", "--include", "*.bin")
    peak = _peak_rss_kib(plain_repo, "migrate", "import", "--include", "*.bin")
    # the model is 50 MiB: holding one version in memory would show; allow for buffers and packs
    assert peak - baseline < 40 * 1024, (peak, baseline)
    assert blob_kinds(plain_repo, "main", "weights/model.bin") == [POINTER_LINE] * 3
    assert assert_same_checkouts(plain_repo) == 3


def _peak_rss_kib(repo: Path, *args: str) -> int:
    """Peak RSS of the git-model process itself (not of the git processes it runs: `git
    cat-file` inflates a blob below core.bigFileThreshold in memory, as `git add` does)."""
    probe = (
        "import resource, runpy, sys\n"
        "sys.argv = ['git-model', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('git_model', run_name='__main__')\n"
        "finally:\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *args], cwd=repo, capture_output=True, check=False)
    assert out.returncode == 0, out.stderr.decode()
    return int(out.stderr.decode().split()[-1])


def test_import_everything_rewrites_branches_tags_and_merges(plain_repo: Path) -> None:
    write_versions(plain_repo, "model.bin", 2 << 20, 2)
    git(plain_repo, "tag", "-a", "v1", "-m", "first release")
    git(plain_repo, "tag", "light")
    git(plain_repo, "switch", "-qc", "side")
    write_versions(plain_repo, "other.onnx", 1 << 20, 1)
    git(plain_repo, "switch", "-q", "main")
    write_versions(plain_repo, "model.bin", 2 << 20, 1)
    git(plain_repo, "merge", "-q", "--no-edit", "side")
    before = refs(plain_repo)
    gm(plain_repo, "migrate", "import", "--include", "*.bin,*.onnx", "--everything")
    after = refs(plain_repo)
    for ref in ("refs/heads/main", "refs/heads/side", "refs/tags/v1", "refs/tags/light"):
        assert after[ref] != before[ref]
        assert after[f"refs/git-model/migrate-backup/{ref}"] == before[ref]
    assert git(plain_repo, "cat-file", "-t", "v1").stdout == b"tag\n"
    assert b"first release" in git(plain_repo, "cat-file", "tag", "v1").stdout
    assert git(plain_repo, "rev-parse", "v1^{commit}").stdout == git(plain_repo, "rev-parse", "light").stdout
    assert git(plain_repo, "cat-file", "blob", "v1:model.bin").stdout.startswith(POINTER_LINE)
    assert git(plain_repo, "cat-file", "blob", "main:other.onnx").stdout.startswith(POINTER_LINE)
    assert len(git(plain_repo, "rev-list", "--merges", "main").stdout.split()) == 1
    assert assert_same_checkouts(plain_repo, "refs/heads/main") == 5
    assert assert_same_checkouts(plain_repo, "refs/heads/side") == 3


def test_import_exclude_leaves_those_files_as_blobs(plain_repo: Path) -> None:
    specs = tensor_specs(1 << 20, 4)
    write_safetensors(plain_repo / "big.bin", specs)
    (plain_repo / "small").mkdir()
    (plain_repo / "small" / "tiny.bin").write_bytes(b"\x00" * 5000)
    git(plain_repo, "add", "-A")
    git(plain_repo, "commit", "-qm", "both")
    gm(plain_repo, "migrate", "import", "-I", "*.bin", "-X", "small/*.bin")
    assert git(plain_repo, "cat-file", "blob", "main:big.bin").stdout.startswith(POINTER_LINE)
    assert git(plain_repo, "cat-file", "blob", "main:small/tiny.bin").stdout == b"\x00" * 5000
    attrs = git(plain_repo, "cat-file", "blob", "main:.gitattributes").stdout
    assert attrs.endswith(b"small/*.bin !filter !diff !merge !text\n")
    assert git(plain_repo, "status", "--porcelain").stdout == b""
    assert assert_same_checkouts(plain_repo) == 1


def test_import_of_another_branch_leaves_the_working_tree_alone(plain_repo: Path) -> None:
    write_versions(plain_repo, "model.bin", 1 << 20, 1)
    git(plain_repo, "branch", "other")
    write_versions(plain_repo, "second.bin", 1 << 20, 1)
    head = refs(plain_repo)["refs/heads/main"]
    (plain_repo / "notes.txt").write_text("uncommitted\n")  # dirty, but main is not rewritten
    result = gm(plain_repo, "migrate", "import", "-I", "*.bin", "other")
    assert "working tree updated" not in result.stderr.decode()
    assert refs(plain_repo)["refs/heads/main"] == head
    assert git(plain_repo, "cat-file", "blob", "other:model.bin").stdout.startswith(POINTER_LINE)


def test_refusals_change_nothing(plain_repo: Path) -> None:
    write_versions(plain_repo, "model.bin", 1 << 20, 2)
    before = refs(plain_repo)
    (plain_repo / "notes.txt").write_text("uncommitted\n")
    dirty = gm(plain_repo, "migrate", "import", "-I", "*.bin", check=False)
    assert dirty.returncode == 2
    assert dirty.stderr.decode().strip() == (
        "git-model: migrate: the working tree has uncommitted changes (notes.txt); commit or stash them first"
    )
    git(plain_repo, "checkout", "-q", "notes.txt")
    unknown = gm(plain_repo, "migrate", "import", "-I", "*.bin", "nosuchbranch", check=False)
    assert unknown.returncode == 2 and "'nosuchbranch' is not a branch or tag" in unknown.stderr.decode()
    missing_include = gm(plain_repo, "migrate", "import", check=False)
    assert missing_include.returncode == 2 and "--include" in missing_include.stderr.decode()
    git(plain_repo, "checkout", "-q", "--detach", "HEAD")
    detached = gm(plain_repo, "migrate", "import", "-I", "*.bin", check=False)
    assert detached.returncode == 2 and "HEAD is detached" in detached.stderr.decode()
    assert refs(plain_repo) == before
    assert crash_reports(plain_repo) == []
