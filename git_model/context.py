"""The context object every command receives: the repository, its store and its remote,
located lazily so that commands that need none of them start fast."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from git_model.errors import ConfigError, GitModelError
from git_model.git.repo import Repo, find_repo
from git_model.pointer import Pointer

if TYPE_CHECKING:
    from git_model.store.follow import PreviousVersion
    from git_model.store.store import LocalStore

DEFAULT_DIRECT_CHECKOUT_SIZE = 256 * 1024 * 1024


class AppContext:
    """Built once by the root group; commands ask it for what they need."""

    def __init__(self, cwd: Path | None = None) -> None:
        self.cwd = cwd
        self._repo: Repo | None = None
        self._store: LocalStore | None = None
        self._remotes: dict[str | None, object] = {}

    @property
    def repo(self) -> Repo:
        if self._repo is None:
            self._repo = find_repo(self.cwd)
        return self._repo

    @property
    def store(self) -> LocalStore:
        """The local store (imported lazily: numpy and friends cost ~0.2 s at start-up)."""
        from git_model.store.codec import COMPRESSION_MODES
        from git_model.store.store import LocalStore

        if self._store is None:
            compression = self.repo.config_get("model.compression", "auto") or "auto"
            if compression not in COMPRESSION_MODES:
                raise ConfigError(
                    f"git config model.compression: {compression!r} is not one of {', '.join(COMPRESSION_MODES)}"
                )
            self._store = LocalStore(self.repo.model_dir, compression=compression, pack_size=self._pack_size())
        return self._store

    def remote(self, name: str | None = None, git_url: str | None = None):  # type: ignore[no-untyped-def]
        """The RemoteStore of Git remote ``name`` (default: upstream or origin)."""
        from git_model.sharing import remote_store

        key = git_url or name
        if key not in self._remotes:
            self._remotes[key] = remote_store(self.repo, self.store, name, git_url)
        return self._remotes[key]

    def ensure_local(self, pointers: list[Pointer]) -> object:
        """Fetch from the default remote whatever ``pointers`` need and the store lacks."""
        from git_model.remote.transfer import ensure_local

        if all(self.store.has_complete(p) for p in pointers):
            return None
        return ensure_local(self.store, self.remote(), pointers)

    def previous_version(self, path: str) -> "PreviousVersion | None":
        """The stored version staged for ``path``, to guide cutting its new content."""
        from git_model.git.pointers import staged_pointer

        try:
            pointer = staged_pointer(self.repo, path)
        except (GitModelError, OSError, ValueError):
            return None  # only a speed-up
        return self.store.previous_version(pointer, path)

    def config_int(self, key: str, default: int) -> int:
        raw = self.repo.git("config", "--type=int", "--get", key, check=False)
        if raw.returncode == 0:
            return int(raw.stdout.decode().strip())
        if raw.returncode != 1:
            detail = raw.stderr.decode().strip().splitlines()
            raise ConfigError(f"git config {key}: {detail[-1] if detail else 'invalid value'}")
        return default

    def _pack_size(self) -> int:
        from git_model.store.pack import TARGET_PACK_SIZE

        size = self.config_int("model.packSize", TARGET_PACK_SIZE)
        if size < 1 << 20:
            raise ConfigError(f"git config model.packSize: {size} is below the minimum of 1 MiB")
        return size

    @property
    def direct_checkout_size(self) -> int:
        """Models larger than this are written to disk by git-model, not through Git's smudge."""
        return self.config_int("model.directCheckoutSize", DEFAULT_DIRECT_CHECKOUT_SIZE)
