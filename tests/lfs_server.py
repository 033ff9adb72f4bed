"""A real Git LFS server for the tests: giftless (LocalStorage) and ``git http-backend``
behind one loopback HTTP port, the way a hosted repository (GitHub, GitLab, Gitea) serves
both a Git repository and its LFS endpoint.

Layout: ``http://127.0.0.1:PORT/<org>/<name>.git`` is a bare Git repository over smart HTTP
(push allowed) and ``…/<name>.git/info/lfs`` its LFS endpoint (giftless, basic transfer,
objects under a session directory). Access depends on the first path component:

* ``anon/…``     anyone reads and writes;
* ``ranged/…``   the same, and object downloads honour HTTP Range (giftless itself ignores
  Range, as some real servers do; werkzeug's conditional-response support is put in front);
* ``readonly/…`` anyone reads, nobody writes (LFS uploads 403, Git pushes 403);
* ``down/…``     the LFS endpoint answers 503, as a server in maintenance (Git works);
* ``slow/…``     the LFS endpoint answers after ``SLOW_SECONDS`` (Git works);
* ``private/…``  HTTP Basic auth as ``PRIVATE_USER``/``PRIVATE_PASSWORD`` for LFS and Git
  alike (401 with a Basic challenge otherwise).

Loaded as a pytest plugin by tests/conftest.py: ``lfs_server`` (one per session) and
``lfs_repo`` (a fresh, empty hosted repository under ``anon/``). Nothing is mocked: the
clients under test talk HTTP to this server, and giftless runs its own request handling.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest

PRIVATE_USER = "alice"
PRIVATE_PASSWORD = "s3cret"
SLOW_SECONDS = 2.0
_LFS_PATH = re.compile(r"^/(?P<org>[^/]+)/.+\.git/info/lfs(/|$)")
_giftless: Any = None  # giftless keeps its adapters and authenticators in module globals,
_giftless_storage: Path | None = None  # so one app (one storage) serves the whole process


def authenticate(request: Any) -> Any:
    """giftless AUTH_PROVIDERS entry: permissions by organisation (see the module docstring)."""
    from giftless.auth import Unauthorized
    from giftless.auth.identity import DefaultIdentity, Permission

    org = (request.view_args or {}).get("organization", "").split("/")[0]
    identity = DefaultIdentity(name="tester", id="tester")  # PyJWT wants a string "sub"
    if org in ("anon", "ranged", "slow"):
        identity.allow(org, permissions=Permission.all())
    elif org == "readonly":
        identity.allow(org, permissions={Permission.READ, Permission.READ_META})
    elif org == "private":
        auth = request.authorization
        if auth is None:
            return None  # giftless answers 401
        if (auth.username, auth.password) != (PRIVATE_USER, PRIVATE_PASSWORD):
            raise Unauthorized("wrong user name or password")
        identity.allow(org, permissions=Permission.all())
    else:
        return None
    return identity


def _giftless_app(storage: Path) -> Any:
    global _giftless, _giftless_storage
    if _giftless is None:
        from giftless.app import init_app

        _giftless = init_app(
            additional_config={
                "LEGACY_ENDPOINTS": False,
                "AUTH_PROVIDERS": ["lfs_server:authenticate"],
                "PRE_AUTHORIZED_ACTION_PROVIDER": {
                    "factory": "giftless.auth.jwt:factory",
                    "options": {"algorithm": "HS256", "private_key": "git-model-tests-" + "k" * 32},
                },
                "TRANSFER_ADAPTERS": {
                    "basic": {
                        "factory": "giftless.transfer.basic_streaming:factory",
                        "options": {
                            "storage_class": "giftless.storage.local_storage:LocalStorage",
                            "storage_options": {"path": str(storage)},
                            "action_lifetime": 900,
                        },
                    }
                },
            }
        )
        _giftless_storage = storage
    return _giftless


def _basic_user(environ: dict[str, Any]) -> tuple[str, str] | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


class GitHTTP:
    """``git http-backend`` (CGI) as a WSGI app over the repositories under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        from werkzeug.wsgi import get_input_stream

        path = environ.get("PATH_INFO", "")
        org = path.lstrip("/").split("/")[0]
        pushing = "git-receive-pack" in path or "service=git-receive-pack" in environ.get("QUERY_STRING", "")
        if org == "private" and _basic_user(environ) != (PRIVATE_USER, PRIVATE_PASSWORD):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="test"'), ("Content-Length", "0")])
            return [b""]
        if org == "readonly" and pushing:
            start_response("403 Forbidden", [("Content-Length", "0")])
            return [b""]
        body = get_input_stream(environ).read()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "PATH_INFO": path,
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_USER": "tester",  # enables receive-pack
        }
        for name in ("HTTP_GIT_PROTOCOL", "HTTP_CONTENT_ENCODING"):
            if name in environ:
                env[name] = environ[name]
        proc = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env=env, check=False)
        match = re.search(rb"\r?\n\r?\n", proc.stdout)
        head, payload = (proc.stdout[: match.start()], proc.stdout[match.end() :]) if match else (b"", proc.stdout)
        status = "200 OK"
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name, value.strip()))
        headers.append(("Content-Length", str(len(payload))))
        start_response(status, headers)
        return [payload]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int
    range: str | None


class Dispatcher:
    """LFS paths go to giftless, everything else to git http-backend; every request is logged."""

    def __init__(self, lfs: Any, git: GitHTTP, storage: Path) -> None:
        self.lfs, self.git, self.storage = lfs, git, storage
        self.log: list[Request] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")

        def logged(status: str, headers: list, exc_info: Any = None) -> Any:
            self.log.append(Request(environ["REQUEST_METHOD"], path, int(status.split()[0]), environ.get("HTTP_RANGE")))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        match = _LFS_PATH.match(path)
        if match is None:
            return self.git(environ, logged)
        if match.group("org") == "down":
            body = b'{"message": "down for maintenance"}'
            logged("503 Service Unavailable", [("Content-Type", "application/vnd.git-lfs+json"), ("Content-Length", str(len(body)))])
            return [body]
        if match.group("org") == "slow":
            time.sleep(SLOW_SECONDS)
        if match.group("org") == "ranged" and environ["REQUEST_METHOD"] == "GET":
            return self._ranged(environ, logged)
        return self.lfs(environ, logged)

    def _ranged(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        from werkzeug.wrappers import Request as WerkzeugRequest
        from werkzeug.wrappers import Response

        response = Response.from_app(self.lfs, environ)
        parts = environ["PATH_INFO"].strip("/").split("/")  # org…/repo.git/info/lfs/objects/storage/oid
        if response.status_code == 200 and parts[-2] == "storage":
            repo = "/".join(parts[:-6]) + "/" + parts[-6].removesuffix(".git")
            size = (self.storage / repo / parts[-1]).stat().st_size
            response.make_conditional(WerkzeugRequest(environ), accept_ranges=True, complete_length=size)
        return response(environ, start_response)


class Listener:
    """One threaded werkzeug server on 127.0.0.1 at a free port."""

    def __init__(self, app: Callable) -> None:
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = int(self.server.server_port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@dataclass(frozen=True)
class HostedRepo:
    """A repository on the test server: its Git URL, LFS endpoint and bare directory."""

    git_url: str
    lfs_url: str
    path: Path

    @property
    def store_url(self) -> str:
        """git-model's store URL for this repository's LFS endpoint."""
        return "lfs+" + self.lfs_url


class LFSServer:
    def __init__(self, root: Path) -> None:
        self.git_root = root / "git"
        self.git_root.mkdir(parents=True)
        lfs = _giftless_app(root / "lfs")
        self.storage = _giftless_storage or root / "lfs"
        self.app = Dispatcher(lfs, GitHTTP(self.git_root), self.storage)
        self.listener = Listener(self.app)

    @property
    def base(self) -> str:
        return self.listener.base

    def new_repo(self, org: str = "anon", base: str | None = None, create: bool = True) -> HostedRepo:
        """A fresh bare repository ``<org>/<random>.git`` (not created when ``create`` is False)."""
        name = f"{org}/m{uuid.uuid4().hex[:12]}.git"
        path = self.git_root / name
        # giftless's LocalStorage makes a repository's folder on first PUT with a racy mkdir
        # (parallel first uploads get a 500): make it up front
        (self.storage / name.removesuffix(".git")).mkdir(parents=True, exist_ok=True)
        if create:
            env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.git_root), "GIT_CONFIG_NOSYSTEM": "1"}
            subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(path)], check=True, env=env)
        url = f"{base or self.base}/{name}"
        return HostedRepo(url, f"{url}/info/lfs", path)

    def lfs_objects(self, repo: HostedRepo) -> dict[str, int]:
        """oid → size of every LFS object giftless stores for ``repo``."""
        relative = repo.path.relative_to(self.git_root)
        folder = self.storage / relative.parent / relative.name[: -len(".git")]
        if not folder.is_dir():
            return {}
        return {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}

    def stop(self) -> None:
        self.listener.stop()


@pytest.fixture(scope="session")
def lfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LFSServer]:
    server = LFSServer(tmp_path_factory.mktemp("lfs-server"))
    yield server
    server.stop()


@pytest.fixture
def lfs_repo(lfs_server: LFSServer) -> HostedRepo:
    """A fresh, empty hosted repository that anyone may read and write."""
    return lfs_server.new_repo("anon")
