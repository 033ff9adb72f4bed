"""Where a Git LFS server is, found the way Git LFS finds it, and git-model's ``lfs+`` URLs.

A store URL ``lfs+https://host/path`` (``lfs+http://`` too) names two things:

* the LFS endpoint ``https://host/path``, to which the batch API appends ``/objects/batch``;
* the Git repository that holds the store's catalog (``refs/git-model/lfs/*``, see
  ``git_model.remote.lfs_catalog``): the URL's ``git`` query value when given (a URL or a
  path; a relative path is relative to the repository's top directory), else the endpoint
  without its ``/info/lfs`` suffix, i.e. the hosted repository whose LFS endpoint it is.

Discovery for a network Git remote (``discover``), in Git LFS's order: ``lfs.url``, then
``remote.<name>.lfsurl``, each from ``git config`` before the committed ``.lfsconfig``; else
the endpoint derived from the remote's URL (``https://host/org/repo`` →
``https://host/org/repo.git/info/lfs``). SSH remotes need Git LFS's ``git-lfs-authenticate``
handshake, which git-model does not speak: they need an explicit ``lfsurl``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from git_model.errors import ConfigError
from git_model.git.repo import Repo

LFSCONFIG_FILE = ".lfsconfig"
_INFO_LFS = "/info/lfs"
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>.+)$")


@dataclass(frozen=True)
class LFSLocation:
    """A parsed ``lfs+`` store URL."""

    url: str  # canonical store URL (what Backend.url reports)
    endpoint: str  # http(s) LFS endpoint, no trailing slash
    git_url: str  # the Git repository holding the catalog


def parse_store_url(url: str, base_dir: Path | None = None) -> LFSLocation:
    """Parse ``lfs+http(s)://host/path[?git=GIT-URL]`` strictly (ConfigError naming the URL)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("lfs+http", "lfs+https"):
        raise ConfigError(f"remote URL {url!r}: use lfs+https://host/path")
    parts = urlsplit(f"{scheme[4:].lower()}://{rest}")
    if not parts.hostname or parts.fragment:
        raise ConfigError(f"remote URL {url!r}: use lfs+https://host/path (no fragment)")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ConfigError(f"remote URL {url!r}: malformed query {parts.query!r}") from None
    if set(query) - {"git"} or any(len(v) != 1 or not v[0] for v in query.values()):
        raise ConfigError(f"remote URL {url!r}: the only query option is one non-empty git=GIT-URL")
    endpoint = parts._replace(query="", path=parts.path.rstrip("/")).geturl()
    if "git" in query:
        git_url = _absolute_git_url(query["git"][0], base_dir, url)
        canonical = store_url(endpoint, git_url)
    else:
        derived = derived_git_url(endpoint)
        if derived is None:
            raise ConfigError(
                f"remote URL {url!r}: the endpoint does not end in {_INFO_LFS}, so the Git "
                "repository for the catalog is unknown (add ?git=GIT-URL)"
            )
        git_url, canonical = derived, f"lfs+{endpoint}"
    return LFSLocation(canonical, endpoint, git_url)


def derived_git_url(endpoint: str) -> str | None:
    """The hosted repository of an endpoint ``…/repo.git/info/lfs``, else None."""
    if endpoint.endswith(_INFO_LFS) and len(urlsplit(endpoint).path) > len(_INFO_LFS):
        return endpoint[: -len(_INFO_LFS)]
    return None


def store_url(endpoint: str, git_url: str) -> str:
    """The ``lfs+`` URL for ``endpoint`` with its catalog in ``git_url`` (query only if needed)."""
    derived = derived_git_url(endpoint)
    if derived is not None and git_url.rstrip("/") in (derived, derived.removesuffix(".git")):
        return f"lfs+{endpoint}"
    return f"lfs+{endpoint}?git={quote(git_url, safe=':/@~')}"


def _absolute_git_url(value: str, base_dir: Path | None, url: str) -> str:
    from git_model.remote.resolve import local_path_of

    if value != value.strip() or "\n" in value:
        raise ConfigError(f"remote URL {url!r}: git={value!r} is padded or multi-line")
    if "://" in value or (_SCP_LIKE.match(value) and not value.startswith(("/", ".", "~"))):
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        if base_dir is None:
            raise ConfigError(f"remote URL {url!r}: relative git={value!r} needs a base directory")
        return str(local_path_of(value, base_dir))
    return str(path)


def endpoint_from_git_url(git_url: str, remote: str) -> str:
    """Git LFS's default endpoint for an http(s) Git URL; ConfigError for SSH and others."""
    parts = urlsplit(git_url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.hostname:
        base = git_url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
        return base + (_INFO_LFS if base.endswith(".git") else ".git" + _INFO_LFS)
    scp = _SCP_LIKE.match(git_url) if "://" not in git_url else None
    if scheme in ("ssh", "git+ssh", "ssh+git") or scp:
        host = scp.group("host") if scp else parts.hostname
        path = (scp.group("path") if scp else parts.path).strip("/")
        suggestion = f"https://{host}/{path.removesuffix('.git')}.git{_INFO_LFS}"
        raise ConfigError(
            f"remote '{remote}' ({git_url}) is an SSH URL and git-model reaches Git LFS servers "
            "over HTTPS only (the git-lfs-authenticate SSH handshake is not supported): set "
            f"'git config remote.{remote}.lfsurl {suggestion}' or a model store (model.url)"
        )
    raise ConfigError(
        f"remote '{remote}' ({git_url}): no model store configured and no Git LFS endpoint "
        f"can be derived (set 'git config remote.{remote}.modelurl URL', lfs.url, or [remote] "
        "url in .gitmodel)"
    )


def _check_endpoint(value: str, source: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{source}: {value!r} is not an http(s) Git LFS endpoint URL")
    return value.rstrip("/")


def lfsconfig_value(repo: Repo, key: str) -> str | None:
    """A key from the committed ``.lfsconfig`` (worktree copy, or HEAD's in a bare repository)."""
    from git_model.remote.resolve import committed_config_value

    return committed_config_value(repo, LFSCONFIG_FILE, key)


def discover(repo: Repo, remote: str, git_url: str) -> tuple[str, str]:
    """The ``lfs+`` store URL for network Git remote ``remote`` and where it came from."""
    expanded = repo.git("ls-remote", "--get-url", git_url, check=False).stdout.decode().strip()
    expanded = expanded or git_url  # url.<base>.insteadOf applied, as Git would
    for key in ("lfs.url", f"remote.{remote}.lfsurl"):
        value, source = repo.config_get(key), f"git config {key}"
        if not value:
            value, source = lfsconfig_value(repo, key), f"{LFSCONFIG_FILE} {key}"
        if value:
            return store_url(_check_endpoint(value, source), expanded), source
    endpoint = endpoint_from_git_url(expanded, remote)
    return store_url(endpoint, expanded), f"Git LFS endpoint of {expanded}"
