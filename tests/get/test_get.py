"""`git model get` end to end: the real git and git-model binaries, a bare remote with the
embedded store, and a clean working directory that is no repository."""

from __future__ import annotations

import filecmp
import json
import os
from pathlib import Path

import pytest
from get_support import (
    MODEL,
    Published,
    get_json,
    git,
    gm,
    isolate_git,
    moved_bound,
    publish,
    sha256_of,
)

MODEL_BYTES = 16 << 20


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """v1 and v2 pushed once for the tests that only read the remote."""
    base = tmp_path_factory.mktemp("published")
    with pytest.MonkeyPatch.context() as mp:
        isolate_git(mp, base / "home")
        return publish(base, MODEL_BYTES)


@pytest.fixture
def published(tmp_path: Path) -> Published:
    """A small remote of this test's own, for tests that change it."""
    return publish(tmp_path, 2 << 20, 8)


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    path = tmp_path / "clean"
    path.mkdir()
    assert git(path, "rev-parse", "--git-dir", check=False).returncode != 0  # no repository here
    return path


def test_v1_then_v2_moves_about_the_changed_bytes(shared: Published, clean: Path) -> None:
    url = str(shared.bare)
    first = get_json(clean, url, "--rev", "v1", MODEL, "-o", "out", "--cache", "cache")
    assert filecmp.cmp(clean / "out" / MODEL, shared.v1, shallow=False)
    assert first["files"][0]["action"] == "written"
    assert MODEL_BYTES * 0.9 <= first["bytes_moved"] <= MODEL_BYTES * 1.05

    second = get_json(clean, url, "--rev", "v2", MODEL, "-o", "out", "--cache", "cache")
    assert filecmp.cmp(clean / "out" / MODEL, shared.v2, shallow=False)
    assert 0 < second["bytes_moved"] <= moved_bound(shared), (second["bytes_moved"], shared.changed_bytes)
    assert second["chunks_fetched"] > 0

    again = get_json(clean, url, "--rev", "v2", MODEL, "-o", "out", "--cache", "cache")
    assert again["files"][0]["action"] == "unchanged"
    assert again["bytes_moved"] == 0 and again["written_bytes"] == 0
    assert sorted(os.listdir(clean / "out")) == [MODEL]


def test_json_report_schema(shared: Published, clean: Path) -> None:
    report = get_json(clean, f"file://{shared.bare}", MODEL, "-o", "out", "--cache", "cache")
    head = git(shared.bare, "rev-parse", "main").stdout.decode().strip()
    assert set(report) == {"version", "repository", "rev", "commit", "store", "output", "files", "file_bytes",
                           "written_bytes", "bytes_moved", "chunks_fetched"}
    assert report["version"] == 1
    assert report["repository"] == shared.bare.as_uri()
    assert report["rev"] == "HEAD" and report["commit"] == head
    assert report["store"] == str(shared.bare / "model")
    assert report["output"] == str(clean / "out")
    assert report["files"] == [{
        "path": MODEL, "dest": str(clean / "out" / MODEL), "oid": shared.sha(2),
        "size": shared.v2.stat().st_size, "action": "written",
    }]
    assert report["file_bytes"] == report["written_bytes"] == shared.v2.stat().st_size


def test_stderr_reports_bytes_moved_against_file_size(shared: Published, clean: Path) -> None:
    proc = gm(clean, "get", str(shared.bare), MODEL, "-o", "out", "--cache", "cache")
    assert proc.stdout == b""  # stdout is for --json only
    err = proc.stderr.decode()
    assert f"wrote {MODEL}" in err and "MB of files" in err and "MB moved from" in err


def test_full_commit_id_and_default_cache_location(shared: Published, clean: Path) -> None:
    v1 = git(shared.bare, "rev-parse", "v1^{commit}").stdout.decode().strip()
    cache_home = clean.parent / "xdg-cache"
    report = get_json(clean, str(shared.bare), "--rev", v1, MODEL, "-o", "out",
                      env={"XDG_CACHE_HOME": str(cache_home)})
    assert report["commit"] == v1
    assert filecmp.cmp(clean / "out" / MODEL, shared.v1, shallow=False)
    assert list((cache_home / "git-model" / "repos").glob("*/model/packs/*.pack"))
    # the cache is shallow: one commit, no history
    cache_repo = next(p for p in (cache_home / "git-model" / "repos").iterdir() if p.is_dir())
    assert git(cache_repo, "rev-list", "--count", v1).stdout.strip() == b"1"


def test_directory_selects_every_model_under_it(tmp_path: Path, clean: Path) -> None:
    published = publish(tmp_path, 2 << 20, 8, model="models/bert/model.safetensors")
    alice = published.alice
    (alice / "models" / "bert" / "config.json").write_text("{}")
    (alice / "models" / "head.safetensors").write_bytes(b"\x07" * 300_000)
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "more")
    git(alice, "push", "-q", "origin", "main")
    report = get_json(clean, str(published.bare), "models", "-o", "out", "--cache", "cache")
    assert sorted(f["path"] for f in report["files"]) == ["models/bert/model.safetensors", "models/head.safetensors"]
    assert filecmp.cmp(clean / "out/models/bert/model.safetensors", published.v2, shallow=False)
    assert (clean / "out/models/head.safetensors").read_bytes() == b"\x07" * 300_000
    assert not (clean / "out/models/bert/config.json").exists()  # plain files are not models


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--rev", "v1", "missing.safetensors"], 2, b"no such file"),
        (["--rev", "v1", "README.md"], 2, b"not a tracked model"),
        (["--rev", "v9", MODEL], 2, b"v9: not found"),
        (["--rev", "abc1234", MODEL], 2, b"full commit id"),
        (["../" + MODEL], 2, b"relative to the repository"),
    ],
)
def test_usage_errors(shared: Published, clean: Path, args: list[str], code: int, message: bytes) -> None:
    proc = gm(clean, "get", str(shared.bare), *args, "-o", "out", "--cache", "cache", check=False)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert not (clean / "out").exists()


def test_error_json_on_stdout(shared: Published, clean: Path) -> None:
    proc = gm(clean, "get", str(shared.bare), "nope.bin", "-o", "out", "--cache", "cache", "--json", check=False)
    assert proc.returncode == 2
    assert json.loads(proc.stdout) == {"version": 1, "error": {
        "type": "UsageError", "exit_code": 2, "message": json.loads(proc.stdout)["error"]["message"]}}


def test_missing_repository_and_network_remote_without_store(clean: Path) -> None:
    proc = gm(clean, "get", str(clean / "nothere.git"), MODEL, "-o", "out", "--cache", "cache", check=False)
    assert proc.returncode == 12
    empty = clean / "empty"
    empty.mkdir()
    proc = gm(clean, "get", str(empty), MODEL, "-o", "out", "--cache", "cache", check=False)
    assert proc.returncode == 12 and b"does not appear to be a git repository" in proc.stderr


def test_model_that_was_never_pushed_is_exit_8(published: Published, clean: Path) -> None:
    alice = published.alice
    (alice / "new.safetensors").write_bytes(b"\x01" * 200_000)
    git(alice, "add", "new.safetensors")
    git(alice, "commit", "-qm", "new")
    git(alice, "push", "-q", "--no-verify", "origin", "main")  # hook skipped: no model uploaded
    proc = gm(clean, "get", str(published.bare), "new.safetensors", "-o", "out", "--cache", "cache", check=False)
    assert proc.returncode == 8, proc.stderr
    assert not (clean / "out" / "new.safetensors").exists()


def test_corrupt_store_is_exit_7_and_writes_nothing(published: Published, clean: Path) -> None:
    gm(clean, "get", str(published.bare), "--rev", "v1", MODEL, "-o", "out", "--cache", "cache")
    for pack in (published.bare / "model" / "packs").glob("*.pack"):
        raw = bytearray(pack.read_bytes())
        for i in range(8, len(raw) - 64, 4096):
            raw[i] ^= 0x55
        pack.write_bytes(bytes(raw))
    proc = gm(clean, "get", str(published.bare), "--rev", "v2", MODEL, "-o", "out", "--cache", "cache", check=False)
    assert proc.returncode == 7, proc.stderr
    assert filecmp.cmp(clean / "out" / MODEL, published.v1, shallow=False)  # the old file, untouched
    assert sorted(os.listdir(clean / "out")) == [MODEL]


def test_identical_file_is_recognised_without_state_and_a_changed_one_is_replaced(shared: Published, clean: Path) -> None:
    out = clean / "out"
    out.mkdir()
    (out / MODEL).write_bytes(shared.v2.read_bytes())  # placed by other means: no state
    report = get_json(clean, str(shared.bare), MODEL, "-o", "out", "--cache", "cache")
    assert report["files"][0]["action"] == "unchanged" and report["bytes_moved"] == 0

    with open(out / MODEL, "r+b") as handle:  # same size, one byte changed in place
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 1]))
    report = get_json(clean, str(shared.bare), MODEL, "-o", "out", "--cache", "cache")
    assert report["files"][0]["action"] == "written"
    assert sha256_of(out / MODEL) == shared.sha(2)


def test_mode_of_replaced_file_is_kept(shared: Published, clean: Path) -> None:
    gm(clean, "get", str(shared.bare), "--rev", "v1", MODEL, "-o", "out", "--cache", "cache")
    os.chmod(clean / "out" / MODEL, 0o640)
    gm(clean, "get", str(shared.bare), "--rev", "v2", MODEL, "-o", "out", "--cache", "cache")
    assert (clean / "out" / MODEL).stat().st_mode & 0o777 == 0o640


def test_blob_filter_leaves_large_plain_files_on_the_server(published: Published, clean: Path) -> None:
    alice = published.alice
    (alice / "data.txt").write_bytes(os.urandom(2 << 20))  # a large plain (untracked-by-model) file
    git(alice, "add", "data.txt")
    git(alice, "commit", "-qm", "data")
    git(alice, "push", "-q", "origin", "main")
    git(published.bare, "config", "uploadpack.allowFilter", "true")
    get_json(clean, str(published.bare), MODEL, "-o", "out", "--cache", "cache")
    cache_repo = next(p for p in (clean / "cache" / "repos").iterdir() if p.is_dir())
    git_objects = sum(p.stat().st_size for p in (cache_repo / "objects").rglob("*") if p.is_file())
    assert git_objects < 256 * 1024, git_objects
    proc = gm(clean, "get", str(published.bare), "data.txt", "-o", "out", "--cache", "cache", check=False)
    assert proc.returncode == 2 and b"not a tracked model" in proc.stderr
    git_objects = sum(p.stat().st_size for p in (cache_repo / "objects").rglob("*") if p.is_file())
    assert git_objects < 256 * 1024, git_objects  # finding out did not download it


def test_store_override_and_gitmodel_of_the_fetched_commit(published: Published, clean: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    os.rename(published.bare / "model", mirror)
    proc = gm(clean, "get", str(published.bare), MODEL, "-o", "out", "--cache", "cache", check=False)
    assert proc.returncode == 8  # the embedded store is gone
    report = get_json(clean, str(published.bare), MODEL, "-o", "out", "--cache", "cache", "--store", str(mirror))
    assert report["store"] == str(mirror)
    assert filecmp.cmp(clean / "out" / MODEL, published.v2, shallow=False)

    alice = published.alice
    (alice / ".gitmodel").write_text(f"[remote]\n\turl = {mirror.as_uri()}\n")
    git(alice, "add", ".gitmodel")
    git(alice, "commit", "-qm", "store moved")
    git(alice, "push", "-q", "--no-verify", "origin", "main")
    report = get_json(clean, str(published.bare), MODEL, "-o", "out2", "--cache", "cache")
    assert report["store"] == mirror.as_uri()
    (alice / ".gitmodel").write_text("[remote\n")
    git(alice, "commit", "-q", "--no-verify", "-am", "broken")
    git(alice, "push", "-q", "--no-verify", "origin", "main")
    proc = gm(clean, "get", str(published.bare), MODEL, "-o", "out3", "--cache", "cache", check=False)
    assert proc.returncode == 4 and b".gitmodel" in proc.stderr


def test_network_repository_without_gitmodel_is_a_config_error(published: Published, clean: Path) -> None:
    # an ext:: URL is "network" to the resolver but served locally
    url = f"ext::git %s {published.bare}"
    proc = gm(clean, "get", url, MODEL, "-o", "out", "--cache", "cache", check=False,
              env={"GIT_ALLOW_PROTOCOL": "ext:file"})
    assert proc.returncode == 4, proc.stderr
    assert b"no model store configured" in proc.stderr
    report = get_json(clean, url, MODEL, "-o", "out", "--cache", "cache", "--store", str(published.bare / "model"),
                      env={"GIT_ALLOW_PROTOCOL": "ext:file"})
    assert filecmp.cmp(clean / "out" / MODEL, published.v2, shallow=False)
    assert report["repository"] == url


def test_encrypted_store(tmp_path: Path, clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_MODEL_ENCRYPTION_KEY", "11" * 32)
    published = publish(tmp_path, 2 << 20, 8, gitmodel="[remote]\n\tencrypt = true\n")
    get_json(clean, str(published.bare), MODEL, "-o", "out", "--cache", "cache")
    assert filecmp.cmp(clean / "out" / MODEL, published.v2, shallow=False)
    monkeypatch.delenv("GIT_MODEL_ENCRYPTION_KEY")
    proc = gm(clean, "get", str(published.bare), "--rev", "v1", MODEL, "-o", "out", "--cache", "cache2", check=False)
    assert proc.returncode == 4 and b"GIT_MODEL_ENCRYPTION_KEY" in proc.stderr
    assert filecmp.cmp(clean / "out" / MODEL, published.v2, shallow=False)


def test_concurrent_gets_share_one_cache(shared: Published, clean: Path) -> None:
    import subprocess
    import sys

    procs = [
        subprocess.Popen([sys.executable, "-m", "git_model", "get", str(shared.bare), "--rev", rev, MODEL,
                          "-o", f"out-{rev}", "--cache", "cache"], cwd=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for rev in ("v1", "v2", "v1")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert filecmp.cmp(clean / "out-v1" / MODEL, shared.v1, shallow=False)
    assert filecmp.cmp(clean / "out-v2" / MODEL, shared.v2, shallow=False)


def test_runs_inside_a_hook_environment(shared: Published, clean: Path) -> None:
    # GIT_DIR and friends point at some other repository there; get must not act on it
    env = {"GIT_DIR": str(clean / "elsewhere.git"), "GIT_WORK_TREE": str(clean), "GIT_INDEX_FILE": "/nonexistent"}
    get_json(clean, str(shared.bare), "--rev", "v1", MODEL, "-o", "out", "--cache", "cache", env=env)
    assert filecmp.cmp(clean / "out" / MODEL, shared.v1, shallow=False)
