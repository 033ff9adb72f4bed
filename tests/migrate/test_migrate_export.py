"""`git model migrate export`: git-model pointers back to ordinary blobs."""

from __future__ import annotations

import shutil
import time
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

from git_model.pointer import VERSION_URL

POINTER_LINE = f"version {VERSION_URL}".encode()


@pytest.fixture
def plain_repo(tmp_path: Path) -> Path:
    return make_plain_repo(tmp_path)


def test_export_turns_pointers_into_blobs(repo: Path) -> None:
    contents = write_versions(repo, "model.safetensors", 3 << 20, 2)
    write_versions(repo, "w.bin", 1 << 20, 1)
    assert blob_kinds(repo, "main", "model.safetensors") == [POINTER_LINE] * 3
    result = gm(repo, "migrate", "export", "--include", "*.safetensors")
    assert "4 of 4 commit(s) rewritten; 2 blob(s) converted" in result.stderr.decode()
    sizes = [int(git(repo, "cat-file", "-s", f"main~{i}:model.safetensors").stdout) for i in (2, 1)]
    assert sizes == [len(c) for c in contents]
    assert git(repo, "cat-file", "blob", "main~1:model.safetensors").stdout == contents[1]
    assert git(repo, "cat-file", "blob", "main:w.bin").stdout.startswith(POINTER_LINE)  # not included
    attrs = git(repo, "cat-file", "blob", "main:.gitattributes").stdout
    assert b"*.safetensors" not in attrs and b"*.bin filter=model" in attrs and b"*.onnx filter=model" in attrs
    assert git(repo, "status", "--porcelain").stdout == b""
    assert assert_same_checkouts(repo) == 4


def test_import_then_export_restores_the_original_commits(plain_repo: Path) -> None:
    write_versions(plain_repo, "model.bin", 2 << 20, 3)
    original = refs(plain_repo)["refs/heads/main"]
    gm(plain_repo, "migrate", "import", "-I", "*.bin")
    assert refs(plain_repo)["refs/heads/main"] != original
    gm(plain_repo, "migrate", "export", "-I", "*.bin")
    assert refs(plain_repo)["refs/heads/main"] == original  # same trees, same metadata: same ids
    assert git(plain_repo, "status", "--porcelain").stdout == b""


def test_export_of_a_model_the_store_lacks_fails_before_rewriting(repo: Path) -> None:
    write_versions(repo, "model.safetensors", 1 << 20, 1)
    before = refs(repo)
    # A racily-clean index entry would make Git re-run the clean filter on the working-tree
    # file during export's status check, which puts the model back into the store. Let the
    # clock pass the index's second and refresh it first, so the store really lacks it.
    time.sleep(1.1)
    git(repo, "status", "--porcelain")
    shutil.rmtree(repo / ".git" / "model" / "manifests")
    result = gm(repo, "migrate", "export", "-I", "*.safetensors", check=False)
    assert result.returncode == 8
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "model.safetensors" in lines[0] and "nothing was rewritten" in lines[0]
    assert refs(repo) == before
    assert crash_reports(repo) == []
