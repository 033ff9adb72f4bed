"""Which store a Git remote's models go to (documented in docs/remotes.md).

Resolution order, first match wins:
1. ``git config remote.<name>.modelurl``, then ``git config model.url``;
2. the committed ``.gitmodel`` file (git-config syntax): ``[remote] url = …`` (read from the
   working tree, or from HEAD in a bare repository);
3. the embedded default: when the Git remote is a local path or ``file://`` URL, the store
   lives inside that repository (``<its git dir>/model``), so pushing to and cloning from a
   bare repository on a shared drive needs no configuration;
4. for a network (http/https) Git remote: the Git LFS server of that remote, found the way
   Git LFS finds it (``lfs.url``, ``remote.<name>.lfsurl``, ``.lfsconfig``, else
   ``<remote URL>.git/info/lfs``; see ``git_model.remote.lfs_endpoint``), so pushing to a
   hosted repository carries the models with no configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from git_model.errors import ConfigError
from git_model.git.repo import Repo

GITMODEL_FILE = ".gitmodel"


@dataclass(frozen=True)
class ModelRemote:
    """A resolved model store: the Git remote it belongs to and where its chunks live."""

    name: str  # Git remote name, or the URL itself for an unnamed remote
    url: str  # store URL: a path, file://, s3://, lfs+https://
    source: str  # where the URL came from, for messages


def committed_config_value(repo: Repo, filename: str, key: str) -> str | None:
    """A key from a committed git-config-syntax file such as .gitmodel or .lfsconfig (the
    worktree copy, or HEAD's in a bare repository). A malformed file is a ConfigError naming
    the file and line (git's own message)."""
    if repo.worktree is not None:
        path = repo.worktree / filename
        if not path.exists():
            return None
        args = ["config", "--file", str(path), "--get", key]
    else:
        if repo.git("cat-file", "-e", f"HEAD:{filename}", check=False).returncode != 0:
            return None
        args = ["config", "--blob", f"HEAD:{filename}", "--get", key]
    proc = repo.git(*args, check=False)
    if proc.returncode == 0:
        return proc.stdout.decode().rstrip("\n")
    if proc.returncode == 1 and not proc.stderr.strip():  # key absent (a bad --blob also exits 1)
        return None
    detail = proc.stderr.decode(errors="replace").strip().splitlines()
    raise ConfigError(f"{filename}: {detail[-1] if detail else 'cannot be parsed'}")


def gitmodel_value(repo: Repo, key: str) -> str | None:
    return committed_config_value(repo, GITMODEL_FILE, key)


def local_path_of(url: str, base: Path) -> Path | None:
    """The filesystem path of a local Git URL, or None for a network URL."""
    if url.startswith("file://"):
        return Path(unquote(urlparse(url).path))
    if "://" in url or (":" in url.split("/")[0] and not url.startswith("/")):
        return None  # https://, ssh://, or scp-like host:path
    path = Path(url).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def embedded_store_dir(git_path: Path) -> Path:
    """``<git dir>/model`` of the repository at ``git_path`` (bare or with a worktree).

    Decided from the directory layout, not by running git there: inside a filter or hook,
    Git's GIT_DIR in the environment would make git answer for the *local* repository."""
    dot_git = git_path / ".git"
    if dot_git.is_dir():
        return dot_git / "model"
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        target = dot_git.read_text().strip().removeprefix("gitdir:").strip()
        return (git_path / target).resolve() / "model"
    return git_path / "model"


def default_remote_name(repo: Repo) -> str:
    """The current branch's upstream remote, else 'origin', else the only remote."""
    branch = repo.git("symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.decode().strip()
    if branch:
        upstream = repo.config_get(f"branch.{branch}.remote")
        if upstream:
            return upstream
    remotes = repo.git("remote", check=False).stdout.decode().split()
    if "origin" in remotes or not remotes:
        return "origin"
    return remotes[0] if len(remotes) == 1 else "origin"


def resolve_remote(repo: Repo, name: str | None = None, git_url: str | None = None) -> ModelRemote:
    """Resolve the model store of Git remote ``name`` (or of a bare ``git_url``)."""
    name = name or default_remote_name(repo)
    for key in (f"remote.{name}.modelurl", "model.url"):
        value = repo.config_get(key)
        if value:
            return ModelRemote(name, value, f"git config {key}")
    value = gitmodel_value(repo, "remote.url")
    if value:
        return ModelRemote(name, value, GITMODEL_FILE)
    url = git_url or repo.config_get(f"remote.{name}.url")
    if url is None and ("/" in name or name.startswith(".")):
        url = name  # `git push ../bare.git` names a URL, not a remote
    if url is None:
        raise ConfigError(
            f"remote '{name}': no such Git remote and no model store configured "
            f"(set 'git config model.url URL' or add [remote] url to {GITMODEL_FILE})"
        )
    local = local_path_of(url, repo.worktree or repo.git_dir)
    if local is None:
        from git_model.remote.lfs_endpoint import discover

        store_url, source = discover(repo, name, url)
        return ModelRemote(name, store_url, source)
    return ModelRemote(name, str(embedded_store_dir(local)), f"embedded in {local}")


def gitmodel_value_at(repo: Repo, commit: str, key: str) -> str | None:
    """A key from the ``.gitmodel`` committed in ``commit`` (for a repository that has no
    worktree and whose HEAD means nothing, such as the cache of `git model get`)."""
    listing = repo.git("ls-tree", "-z", commit, "--", GITMODEL_FILE).stdout
    if not listing:
        return None
    proc = repo.git("config", "--blob", f"{commit}:{GITMODEL_FILE}", "--get", key, check=False)
    if proc.returncode == 0:
        return proc.stdout.decode().rstrip("\n")
    if proc.returncode == 1 and not proc.stderr.strip():  # key absent (a bad blob also exits 1, with a message)
        return None
    detail = proc.stderr.decode(errors="replace").strip().splitlines()
    raise ConfigError(f"{GITMODEL_FILE} at {commit[:12]}: {detail[-1] if detail else 'cannot be parsed'}")


def resolve_at_commit(repo: Repo, commit: str, git_url: str) -> ModelRemote:
    """The store of the Git repository at ``git_url`` as of ``commit`` (fetched into ``repo``):
    ``[remote] url`` of the ``.gitmodel`` in that commit, else the embedded default when
    ``git_url`` is a local path or ``file://`` URL. Per-clone git config does not apply: there
    is no clone. A network URL with neither is a ConfigError."""
    value = gitmodel_value_at(repo, commit, "remote.url")
    if value:
        return ModelRemote(git_url, value, f"{GITMODEL_FILE} at {commit[:12]}")
    local = local_path_of(git_url, Path.cwd())
    if local is None:
        raise ConfigError(
            f"{git_url}: no model store configured for a network repository "
            f"(commit [remote] url in {GITMODEL_FILE}, or pass the store URL explicitly)"
        )
    return ModelRemote(git_url, str(embedded_store_dir(local)), f"embedded in {local}")
