"""The Git LFS store beyond the shared contract: URLs, discovery from a Git remote, the
catalog's ref names, what goes over the wire, ranges, corruption and credentials. The server
is giftless with git http-backend on loopback (tests/lfs_server.py)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pytest
from lfs_server import PRIVATE_PASSWORD, PRIVATE_USER, SLOW_SECONDS, HostedRepo, LFSServer, Request

from git_model.errors import (
    ConfigError,
    CorruptObjectError,
    RemoteNotFound,
    RemotePermanentError,
    RemoteTransientError,
)
from git_model.git.repo import find_repo
from git_model.remote.credential import redact
from git_model.remote.lfs import LFSBackend
from git_model.remote.lfs_api import LFSClient
from git_model.remote.lfs_catalog import (
    REF_PREFIX,
    Entry,
    git_failure,
    parse_ref,
    ref_name,
)
from git_model.remote.lfs_endpoint import parse_store_url
from git_model.remote.resolve import resolve_remote
from git_model.remote.url import open_backend

OID = hashlib.sha256(b"x").hexdigest()


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True)


def traffic(server: LFSServer, repo: HostedRepo, since: int = 0) -> list[Request]:
    """Requests the server got for ``repo`` after log position ``since``."""
    prefix = "/" + str(repo.path.relative_to(server.git_root)) + "/"
    return [r for r in server.app.log[since:] if r.path.startswith(prefix)]


def lfs_traffic(server: LFSServer, repo: HostedRepo, since: int = 0) -> list[Request]:
    return [r for r in traffic(server, repo, since) if "/info/lfs/" in r.path]


# --- store URLs ------------------------------------------------------------------------


def test_store_url_names_endpoint_and_catalog_repository() -> None:
    location = parse_store_url("lfs+https://git.example.com/org/repo.git/info/lfs/")
    assert location.endpoint == "https://git.example.com/org/repo.git/info/lfs"
    assert location.git_url == "https://git.example.com/org/repo.git"
    assert location.url == "lfs+https://git.example.com/org/repo.git/info/lfs"
    other = parse_store_url("lfs+http://lfs.example.com:8080/bucket?git=ssh://git@example.com/org/repo.git")
    assert other.endpoint == "http://lfs.example.com:8080/bucket"
    assert other.git_url == "ssh://git@example.com/org/repo.git"
    assert parse_store_url(other.url) == other


def test_relative_catalog_path_is_made_absolute(tmp_path: Path) -> None:
    location = parse_store_url("lfs+http://h/x.git/info/lfs?git=../remote.git", tmp_path / "repo")
    assert location.git_url == str(tmp_path / "remote.git")
    assert parse_store_url(location.url) == location  # the URL alone names the same store
    assert isinstance(open_backend(location.url), LFSBackend)


@pytest.mark.parametrize(
    "url",
    [
        "lfs+https://host/no-info-lfs",  # catalog repository unknown
        "lfs+ftp://host/x.git/info/lfs",
        "lfs+https:///x.git/info/lfs",
        "lfs+https://host/x.git/info/lfs#frag",
        "lfs+https://host/x.git/info/lfs?bucket=a",
        "lfs+https://host/x.git/info/lfs?git=",
        "lfs+https://host/x.git/info/lfs?git=a&git=b",
        "lfs+https://host/lfs?git=relative/path",  # no base directory to resolve it
    ],
)
def test_bad_store_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        open_backend(url)
    assert url.split("?")[0].split("#")[0] in str(info.value) and "\n" not in str(info.value)


# --- discovery from the Git remote (resolve.py's network branch) -----------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q")
    return path


def resolved(project: Path, remote_url: str, **config: str) -> tuple[str, str]:
    git(project, "remote", "add", "origin", remote_url)
    for key, value in config.items():
        git(project, "config", key.replace("__", "."), value)
    remote = resolve_remote(find_repo(project), "origin")
    return remote.url, remote.source


@pytest.mark.parametrize(
    ("remote_url", "store"),
    [
        ("https://git.example.com/org/repo", "lfs+https://git.example.com/org/repo.git/info/lfs"),
        ("https://git.example.com/org/repo.git", "lfs+https://git.example.com/org/repo.git/info/lfs"),
        ("https://git.example.com/org/repo/", "lfs+https://git.example.com/org/repo.git/info/lfs"),
        ("http://127.0.0.1:9/a/b.git", "lfs+http://127.0.0.1:9/a/b.git/info/lfs"),
    ],
)
def test_network_remote_uses_its_lfs_endpoint(project: Path, remote_url: str, store: str) -> None:
    url, source = resolved(project, remote_url)
    assert url == store and "Git LFS endpoint" in source
    assert parse_store_url(url).git_url.removesuffix(".git") == remote_url.rstrip("/").removesuffix(".git")


def test_lfs_url_settings_in_git_lfs_order(project: Path) -> None:
    (project / ".lfsconfig").write_text("[lfs]\n\turl = https://lfs.example.com/from-lfsconfig\n")
    url, source = resolved(project, "https://git.example.com/org/repo")
    assert url == "lfs+https://lfs.example.com/from-lfsconfig?git=https://git.example.com/org/repo"
    assert source == ".lfsconfig lfs.url"
    git(project, "config", "remote.origin.lfsurl", "https://lfs.example.com/per-remote")
    assert resolve_remote(find_repo(project), "origin").source == ".lfsconfig lfs.url"  # lfs.url first
    git(project, "config", "lfs.url", "https://lfs.example.com/from-git-config")
    remote = resolve_remote(find_repo(project), "origin")
    assert remote.url.startswith("lfs+https://lfs.example.com/from-git-config?") and remote.source == "git config lfs.url"
    git(project, "config", "model.url", "s3://bucket/models")  # a model store still wins
    assert resolve_remote(find_repo(project), "origin").url == "s3://bucket/models"


def test_ssh_remote_needs_an_explicit_lfs_url(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        resolved(project, "git@git.example.com:org/repo.git")
    message = str(info.value)
    assert "git-lfs-authenticate" in message and "\n" not in message
    assert "remote.origin.lfsurl https://git.example.com/org/repo.git/info/lfs" in message
    git(project, "config", "remote.origin.lfsurl", "https://git.example.com/org/repo.git/info/lfs")
    location = parse_store_url(resolve_remote(find_repo(project), "origin").url)
    assert location.git_url == "git@git.example.com:org/repo.git"  # the catalog travels over ssh


def test_url_rewrites_apply_before_deriving(project: Path) -> None:
    git(project, "config", "url.https://git.example.com/.insteadOf", "ex:")
    url, _ = resolved(project, "ex:org/repo")
    assert url == "lfs+https://git.example.com/org/repo.git/info/lfs"


def test_bad_lfs_url_setting_names_its_source(project: Path) -> None:
    with pytest.raises(ConfigError, match="git config lfs.url"):
        resolved(project, "https://git.example.com/org/repo", lfs__url="ftp://nope")


# --- the catalog's ref names -------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["packs/ab.pack", "manifests/aa/bbcc", "a..b/c.lock", "x/y.", "t~1/%41/@{x}", "modèle/x y", f"sha256-{OID}-5/k"],
)
def test_ref_names_round_trip_and_are_valid_refs(key: str) -> None:
    entry = Entry(OID, 12)
    name = ref_name(key, entry)
    assert parse_ref(name) == (key, entry)
    assert subprocess.run(["git", "check-ref-format", name], check=False).returncode == 0


@pytest.mark.parametrize(
    "name",
    [
        "refs/heads/main",
        f"{REF_PREFIX}sha256-{OID}-1",  # no key
        f"{REF_PREFIX}packs/a/sha256-{OID[:-1]}-1",
        f"{REF_PREFIX}packs/a/sha256-{OID}-01",
        f"{REF_PREFIX}packs/a/{OID}",
        f"{REF_PREFIX}.hidden/sha256-{OID}-1",
    ],
)
def test_other_ref_names_are_not_records(name: str) -> None:
    assert parse_ref(name) is None


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        (b"fatal: unable to access 'x': Failed to connect to h port 1: Couldn't connect to server", RemoteTransientError),
        (b"fatal: unable to access 'x': The requested URL returned error: 503", RemoteTransientError),
        (b"error: RPC failed; curl 56 Recv failure\nfatal: the remote end hung up unexpectedly", RemoteTransientError),
        (b"fatal: Authentication failed for 'https://h/r.git/'", RemotePermanentError),
        (b"fatal: repository 'https://h/r.git/' not found", RemotePermanentError),
        (b" ! [remote rejected] abc -> refs/x (pre-receive hook declined)\nerror: failed to push", RemotePermanentError),
    ],
)
def test_git_failures_are_classified(stderr: bytes, kind: type) -> None:
    error = git_failure(stderr, "https://h/r.git", "list the catalog")
    assert type(error) is kind
    assert str(error).startswith("https://h/r.git: list the catalog failed: ") and "\n" not in str(error)


# --- on the wire ------------------------------------------------------------------------


def test_objects_are_named_by_sha256_and_recorded_as_refs(
    lfs_server: LFSServer, lfs_repo: HostedRepo, make_lfs: Callable[..., LFSBackend], tmp_path: Path
) -> None:
    data = os.urandom(5000)
    make_lfs(lfs_repo).upload_bytes("packs/p1.pack", data)
    oid = hashlib.sha256(data).hexdigest()
    assert lfs_server.lfs_objects(lfs_repo) == {oid: 5000}
    refs = git(tmp_path, "ls-remote", lfs_repo.git_url).stdout.decode().split()
    assert f"{REF_PREFIX}packs/p1.pack/sha256-{oid}-5000" in refs


def test_identical_upload_sends_nothing_again(
    lfs_server: LFSServer, lfs_repo: HostedRepo, make_lfs: Callable[..., LFSBackend], tmp_path: Path
) -> None:
    source = tmp_path / "pack"
    source.write_bytes(os.urandom(100_000))
    make_lfs(lfs_repo).upload("packs/p.pack", source)
    mark = len(lfs_server.app.log)
    make_lfs(lfs_repo).upload("packs/p.pack", source)  # a retry from another process
    assert lfs_traffic(lfs_server, lfs_repo, mark) == []
    assert [r.method for r in traffic(lfs_server, lfs_repo, mark)] == ["GET", "POST"]  # one ls-remote


def test_other_content_under_a_recorded_key_is_refused(lfs_repo: HostedRepo, make_lfs: Callable[..., LFSBackend]) -> None:
    backend = make_lfs(lfs_repo)
    backend.upload_bytes("manifests/aa/bb", b"one")
    with pytest.raises(RemotePermanentError, match="write-once"):
        make_lfs(lfs_repo).upload_bytes("manifests/aa/bb", b"two")
    assert io.BytesIO(b"one").getvalue() == _fetch(make_lfs(lfs_repo), "manifests/aa/bb")


def test_empty_object_never_reaches_the_lfs_server(
    lfs_server: LFSServer, lfs_repo: HostedRepo, make_lfs: Callable[..., LFSBackend]
) -> None:
    mark = len(lfs_server.app.log)
    backend = make_lfs(lfs_repo)
    backend.upload_bytes("packs/empty", b"")
    assert _fetch(make_lfs(lfs_repo), "packs/empty") == b""
    assert lfs_traffic(lfs_server, lfs_repo, mark) == []


def test_ranges_are_asked_for_when_the_server_honours_them(
    lfs_server: LFSServer, make_lfs: Callable[..., LFSBackend]
) -> None:
    repo = lfs_server.new_repo("ranged")
    data = os.urandom(3 << 20)
    make_lfs(repo).upload_bytes("packs/p.pack", data)
    backend = make_lfs(repo)
    mark = len(lfs_server.app.log)
    assert backend.read_range("packs/p.pack", 1 << 20, 100) == data[1 << 20 : (1 << 20) + 100]
    assert backend.read_range("packs/p.pack", len(data) - 10, 100) == data[-10:]
    gets = [r for r in lfs_traffic(lfs_server, repo, mark) if r.method == "GET"]
    assert [(r.status, r.range) for r in gets] == [
        (206, f"bytes={1 << 20}-{(1 << 20) + 99}"),
        (206, f"bytes={len(data) - 10}-{len(data) - 1}"),
    ]


def test_a_server_ignoring_ranges_sends_each_object_once(
    lfs_server: LFSServer, lfs_repo: HostedRepo, make_lfs: Callable[..., LFSBackend]
) -> None:
    data = os.urandom(3 << 20)
    make_lfs(lfs_repo).upload_bytes("packs/p.pack", data)
    backend = make_lfs(lfs_repo)
    mark = len(lfs_server.app.log)
    for offset in (0, 1 << 20, 2 << 20, len(data) - 5):
        assert backend.read_range("packs/p.pack", offset, 1000) == data[offset : offset + 1000]
    out = io.BytesIO()
    assert backend.download("packs/p.pack", out) == len(data) and out.getvalue() == data
    gets = [r for r in lfs_traffic(lfs_server, lfs_repo, mark) if r.method == "GET"]
    assert [r.status for r in gets] == [200]


@pytest.mark.parametrize("read", ["download", "read_range"])
def test_corrupt_object_on_the_server_is_detected(
    lfs_server: LFSServer, lfs_repo: HostedRepo, make_lfs: Callable[..., LFSBackend], read: str
) -> None:
    data = os.urandom(200_000)
    make_lfs(lfs_repo).upload_bytes("packs/p.pack", data)
    (stored,) = (lfs_server.storage / "anon" / lfs_repo.path.name.removesuffix(".git")).iterdir()
    stored.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size, one bit flipped
    backend = make_lfs(lfs_repo)
    with pytest.raises(CorruptObjectError, match="packs/p.pack"):
        if read == "download":
            backend.download("packs/p.pack", io.BytesIO())
        else:
            backend.read_range("packs/p.pack", 0, 10)


def test_expired_or_refused_download_links_are_renewed(
    lfs_server: LFSServer, lfs_repo: HostedRepo, make_lfs: Callable[..., LFSBackend]
) -> None:
    make_lfs(lfs_repo).upload_bytes("packs/p.pack", b"payload")
    backend = make_lfs(lfs_repo)
    assert _fetch(backend, "packs/p.pack") == b"payload"
    ((oid, action),) = backend._api._downloads.items()
    backend._api._downloads[oid] = replace(action, expires_at=time.time() - 1)
    mark = len(lfs_server.app.log)
    assert _fetch(backend, "packs/p.pack") == b"payload"
    assert [(r.method, r.status) for r in lfs_traffic(lfs_server, lfs_repo, mark)] == [("POST", 200), ("GET", 200)]
    action = backend._api._downloads[oid]
    backend._api._downloads[oid] = replace(action, href=action.href.replace("/storage/", "/storage/x"))
    mark = len(lfs_server.app.log)
    assert _fetch(backend, "packs/p.pack") == b"payload"  # the link's token does not fit: 403
    assert [(r.method, r.status) for r in lfs_traffic(lfs_server, lfs_repo, mark)] == [
        ("GET", 403), ("POST", 200), ("GET", 200),
    ]  # fmt: skip


@pytest.mark.parametrize(("org", "status"), [("down", "HTTP 503"), ("slow", "Timeout")])
def test_server_trouble_is_transient(lfs_server: LFSServer, make_lfs: Callable[..., LFSBackend], org: str, status: str) -> None:
    backend = make_lfs(lfs_server.new_repo(org), read_timeout=SLOW_SECONDS / 4)
    with pytest.raises(RemoteTransientError) as info:
        backend.upload_bytes("packs/p.pack", b"x")
    message = str(info.value)
    assert status in message and f"/{org}/" in message and "\n" not in message


def test_missing_or_mismatched_objects_in_a_batch(lfs_repo: HostedRepo, make_lfs: Callable[..., LFSBackend]) -> None:
    make_lfs(lfs_repo).upload_bytes("packs/p.pack", b"payload")
    client = LFSClient(lfs_repo.lfs_url)
    oid = hashlib.sha256(b"payload").hexdigest()
    assert "download" in client.batch("download", oid, 7)["actions"]
    with pytest.raises(RemoteNotFound):
        client.batch("download", OID, 1)
    with pytest.raises(RemotePermanentError, match="HTTP 422"):
        client.batch("download", oid, 8)  # the size does not match


# --- credentials through Git's helpers --------------------------------------------------


def use_helpers(monkeypatch: pytest.MonkeyPatch, *helpers: str) -> None:
    """Configure credential helpers for every git run by this test (GIT_CONFIG_* variables)."""
    monkeypatch.setenv("GIT_CONFIG_COUNT", str(len(helpers)))
    for i, helper in enumerate(helpers):
        monkeypatch.setenv(f"GIT_CONFIG_KEY_{i}", "credential.helper")
        monkeypatch.setenv(f"GIT_CONFIG_VALUE_{i}", helper)


def test_credentials_come_from_git_and_are_approved(
    lfs_server: LFSServer, make_lfs: Callable[..., LFSBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "credentials"
    answer = f"!f() {{ test $1 = get && echo username={PRIVATE_USER} && echo password={PRIVATE_PASSWORD}; }}; f"
    use_helpers(monkeypatch, answer, f"store --file={store}")
    repo = lfs_server.new_repo("private")
    backend = make_lfs(repo)
    backend.upload_bytes("packs/p.pack", b"secret weights")
    assert _fetch(backend, "packs/p.pack") == b"secret weights"
    assert f"{PRIVATE_USER}:{PRIVATE_PASSWORD}@127.0.0.1" in store.read_text()  # approve reached the helpers


def test_refused_credentials_are_rejected(
    lfs_server: LFSServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "credentials"
    repo = lfs_server.new_repo("private")
    host = repo.git_url.split("/")[2]
    store.write_text(f"http://{PRIVATE_USER}:stale-password@{host}\n")
    use_helpers(monkeypatch, f"store --file={store}")
    client = LFSClient(repo.lfs_url, connect_timeout=2.0, read_timeout=10.0)
    with pytest.raises(RemotePermanentError) as info:
        client.batch("upload", OID, 1)
    assert "HTTP 401" in str(info.value) and "stale-password" not in str(info.value)
    assert "stale-password" not in store.read_text()  # reject made the helper forget it
    with pytest.raises(RemotePermanentError, match="no credentials"):
        client.batch("upload", OID, 1)  # nothing left to ask: refused for good


def test_git_rejects_refused_credentials_for_the_catalog_too(
    lfs_server: LFSServer, make_lfs: Callable[..., LFSBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "credentials"
    repo = lfs_server.new_repo("private")
    store.write_text(f"http://{PRIVATE_USER}:stale-password@{repo.git_url.split('/')[2]}\n")
    use_helpers(monkeypatch, f"store --file={store}")
    with pytest.raises(RemotePermanentError, match="Authentication failed"):
        make_lfs(repo).upload_bytes("packs/p.pack", b"x")


def test_messages_show_no_passwords_or_link_tokens(lfs_server: LFSServer, make_lfs: Callable[..., LFSBackend]) -> None:
    repo = lfs_server.new_repo("private")
    url = repo.store_url.replace("http://", f"http://{PRIVATE_USER}:wrong-pw@")
    backend = make_lfs(url)
    assert "wrong-pw" not in backend.url and f"{PRIVATE_USER}@" in backend.url
    with pytest.raises(RemotePermanentError) as info:
        backend.upload_bytes("packs/p.pack", b"x")
    assert "wrong-pw" not in str(info.value)
    link = "https://u:pw@lfs.example.com/objects/abc?X-Amz-Signature=deadbeef&jwt=t0ken"
    assert redact(link) == "https://u:***@lfs.example.com/objects/abc"


def _fetch(backend: LFSBackend, key: str) -> bytes:
    out = io.BytesIO()
    backend.download(key, out)
    return out.getvalue()
