"""Sharing through a bare remote with the embedded default store, driven by the real git."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gitutil import git, gm
from modelgen import fine_tune, tensor_specs, write_safetensors

MODEL_BYTES = 16 << 20
N_TENSORS = 40


def pack_bytes(model_dir: Path) -> int:
    return sum(p.stat().st_size for p in (model_dir / "packs").glob("*.pack"))


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


@pytest.fixture
def alice(tmp_path: Path, bare: Path) -> Path:
    path = tmp_path / "alice"
    git(tmp_path, "clone", "-q", str(bare), str(path))
    gm(path, "install")
    gm(path, "track", "*.safetensors")
    git(path, "add", ".gitattributes")
    git(path, "commit", "-qm", "track")
    git(path, "push", "-q", "origin", "main")
    return path


def test_clone_and_pull_move_about_the_changed_bytes(alice: Path, bare: Path, tmp_path: Path) -> None:
    specs = tensor_specs(MODEL_BYTES, N_TENSORS)
    model = write_safetensors(alice / "model.safetensors", specs)
    v1 = model.read_bytes()
    git(alice, "add", "model.safetensors")
    git(alice, "commit", "-qm", "v1")
    push = git(alice, "push", "-q", "origin", "main")
    assert b"uploaded 1 model" in push.stderr
    assert pack_bytes(bare / "model") >= MODEL_BYTES * 0.9

    bob = tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(bare), str(bob))
    assert (bob / "model.safetensors").read_bytes() == v1
    assert git(bob, "status", "--porcelain").stdout == b""

    changed = fine_tune(specs, 0.1, seed=5)
    write_safetensors(model, specs, seeds=changed)
    v2 = model.read_bytes()
    git(alice, "commit", "-qam", "v2")
    remote_before = pack_bytes(bare / "model")
    git(alice, "push", "-q", "origin", "main")
    changed_bytes = len(changed) * MODEL_BYTES // N_TENSORS
    pushed = pack_bytes(bare / "model") - remote_before
    assert pushed <= 1.15 * changed_bytes + 2 * 256 * 1024 * len(changed), (pushed, changed_bytes)

    bob_before = pack_bytes(bob / ".git" / "model")
    git(bob, "pull", "-q")
    fetched = pack_bytes(bob / ".git" / "model") - bob_before
    assert (bob / "model.safetensors").read_bytes() == v2
    assert fetched <= 1.15 * changed_bytes + 2 * 256 * 1024 * len(changed), (fetched, changed_bytes)
    assert git(bob, "status", "--porcelain").stdout == b""


def test_skip_smudge_clone_then_pull(alice: Path, bare: Path, tmp_path: Path) -> None:
    write_safetensors(alice / "model.safetensors", tensor_specs(2 << 20, 8))
    git(alice, "add", "model.safetensors")
    git(alice, "commit", "-qm", "v1")
    git(alice, "push", "-q", "origin", "main")
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(bare), str(ci), env={"GIT_MODEL_SKIP_SMUDGE": "1"})
    assert (ci / "model.safetensors").read_bytes().startswith(b"version https://git-model.dev/spec/")
    assert not list((ci / ".git" / "model").glob("packs/*.pack"))
    gm(ci, "pull")
    assert (ci / "model.safetensors").read_bytes() == (alice / "model.safetensors").read_bytes()
    assert git(ci, "status", "--porcelain").stdout == b""


def test_large_models_are_written_directly_and_status_stays_clean(alice: Path, bare: Path, tmp_path: Path) -> None:
    write_safetensors(alice / "model.safetensors", tensor_specs(3 << 20, 8))
    git(alice, "add", "model.safetensors")
    git(alice, "commit", "-qm", "v1")
    git(alice, "push", "-q", "origin", "main")
    bob = tmp_path / "bob"
    git(tmp_path, "-c", "model.directCheckoutSize=1048576", "clone", "-q", str(bare), str(bob))
    # the threshold given with -c applies to the clone's checkout only: the hook wrote the file
    assert (bob / "model.safetensors").read_bytes() == (alice / "model.safetensors").read_bytes()
    assert git(bob, "status", "--porcelain").stdout == b""


def test_remote_unreachable_refuses_the_push(alice: Path, bare: Path) -> None:
    write_safetensors(alice / "model.safetensors", tensor_specs(1 << 20, 4))
    git(alice, "add", "model.safetensors")
    git(alice, "commit", "-qm", "v1")
    git(alice, "config", "model.url", "s3://bucket/models")
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
           "AWS_DEFAULT_REGION": "us-east-1"}
    proc = git(alice, "push", "origin", "main", check=False, env=env)
    assert proc.returncode != 0
    assert b"push to 'origin' refused" in proc.stderr
    remote_head = git(bare, "rev-parse", "-q", "--verify", "refs/heads/main", check=False).stdout.strip()
    assert remote_head != git(alice, "rev-parse", "HEAD").stdout.strip()
    assert b"0 problem(s)" in gm(alice, "fsck").stdout


def test_corrupt_remote_pack_is_never_written(alice: Path, bare: Path, tmp_path: Path) -> None:
    write_safetensors(alice / "model.safetensors", tensor_specs(1 << 20, 4))
    git(alice, "add", "model.safetensors")
    git(alice, "commit", "-qm", "v1")
    git(alice, "push", "-q", "origin", "main")
    pack = next((bare / "model" / "packs").glob("*.pack"))
    raw = bytearray(pack.read_bytes())
    raw[len(raw) // 3] ^= 0x55
    pack.write_bytes(bytes(raw))
    bob = tmp_path / "bob"
    proc = git(tmp_path, "clone", "-q", str(bare), str(bob), check=False)
    assert proc.returncode != 0
    assert b"corrupt" in proc.stderr or b"cannot be decoded" in proc.stderr
    assert not (bob / "model.safetensors").exists() or (bob / "model.safetensors").stat().st_size < 1024
    assert not list((bob / ".git" / "model").glob("packs/*.pack"))


def test_killed_push_resumes_and_sends_only_the_rest(alice: Path, bare: Path) -> None:
    git(alice, "config", "model.packSize", "1048576")
    write_safetensors(alice / "model.safetensors", tensor_specs(24 << 20, 24))
    git(alice, "add", "model.safetensors")
    git(alice, "commit", "-qm", "v1")
    remote_packs = bare / "model" / "packs"
    proc = subprocess.Popen([sys.executable, "-m", "git_model", "push", "origin", "main"], cwd=alice,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if remote_packs.exists() and len(list(remote_packs.glob("*.idx"))) >= 4:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # packs count as arrived once their index is there (a pack without one is sent again)
    first = sum(p.with_suffix(".pack").stat().st_size for p in remote_packs.glob("*.idx"))
    assert 0 < first < 24 << 20
    assert not (bare / "model" / "manifests").exists()  # manifests go last
    second = gm(alice, "push", "origin", "main").stderr.decode()
    moved = float(second.split("chunk(s),")[1].split("pack(s),")[1].split("MB")[0])
    assert moved * 1e6 < (24 << 20) - first * 0.9
    git(alice, "push", "-q", "origin", "main")
    bob = alice.parent / "bob"
    git(alice.parent, "clone", "-q", str(bare), str(bob))
    assert (bob / "model.safetensors").read_bytes() == (alice / "model.safetensors").read_bytes()
