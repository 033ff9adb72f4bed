"""Client-side encryption: the remote holds no plaintext; a clone with the key gets the files."""

from __future__ import annotations

import os
from pathlib import Path

from gitutil import git, remote_and_clone

KEY = "11" * 32


def test_encrypted_remote_holds_no_plaintext(tmp_path: Path) -> None:
    bare, alice = remote_and_clone(tmp_path, "*.bin")
    (alice / ".gitmodel").write_text("[remote]\n\tencrypt = true\n")
    marker = b"KNOWN-PLAINTEXT-" * 64
    body = (marker + os.urandom(4096)) * 200 + bytes(300_000)  # compressible and not
    (alice / "m.bin").write_bytes(body)
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "v1")
    env = {"GIT_MODEL_ENCRYPTION_KEY": KEY}
    refused = git(alice, "push", "origin", "main", check=False)
    assert refused.returncode != 0 and b"GIT_MODEL_ENCRYPTION_KEY" in refused.stderr
    git(alice, "push", "-q", "origin", "main", env=env)
    for path in (bare / "model").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"KNOWN-PLAINTEXT" not in data, path
    # the local store is plaintext by design; the remote is not
    bob = tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(bare), str(bob), env=env)
    assert (bob / "m.bin").read_bytes() == body
    carol = tmp_path / "carol"
    wrong = git(tmp_path, "clone", "-q", str(bare), str(carol), check=False, env={"GIT_MODEL_ENCRYPTION_KEY": "22" * 32})
    assert wrong.returncode != 0
    assert b"authentication" in wrong.stderr or b"does not match" in wrong.stderr
    assert not (carol / "m.bin").exists() or (carol / "m.bin").stat().st_size < 1024


def test_second_version_still_deduplicates(tmp_path: Path) -> None:
    bare, alice = remote_and_clone(tmp_path, "*.bin")
    git(alice, "config", "model.encrypt", "true")
    env = {"GIT_MODEL_ENCRYPTION_KEY": KEY}
    base = os.urandom(8 << 20)
    (alice / "m.bin").write_bytes(base)
    git(alice, "add", ".")
    git(alice, "commit", "-qm", "v1")
    git(alice, "push", "-q", "origin", "main", env=env)
    size = lambda: sum(p.stat().st_size for p in (bare / "model/packs").glob("*.pack"))  # noqa: E731
    before = size()
    (alice / "m.bin").write_bytes(base[: 4 << 20] + os.urandom(512 << 10) + base[(4 << 20) + (512 << 10) :])
    git(alice, "commit", "-qam", "v2")
    git(alice, "push", "-q", "origin", "main", env=env)
    assert size() - before < 3 << 19  # the changed 512 KiB plus boundary chunks
