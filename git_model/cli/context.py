"""The context object every command receives: the repository and its store, located lazily."""

from __future__ import annotations

from pathlib import Path

from git_model.errors import ConfigError
from git_model.git.repo import Repo, find_repo
from git_model.store.codec import COMPRESSION_MODES
from git_model.store.store import LocalStore


class AppContext:
    """Built once by the root group; commands ask it for what they need."""

    def __init__(self, cwd: Path | None = None) -> None:
        self.cwd = cwd
        self._repo: Repo | None = None
        self._store: LocalStore | None = None

    @property
    def repo(self) -> Repo:
        if self._repo is None:
            self._repo = find_repo(self.cwd)
        return self._repo

    @property
    def store(self) -> LocalStore:
        if self._store is None:
            compression = self.repo.config_get("model.compression", "auto") or "auto"
            if compression not in COMPRESSION_MODES:
                raise ConfigError(
                    f"git config model.compression: {compression!r} is not one of {', '.join(COMPRESSION_MODES)}"
                )
            self._store = LocalStore(self.repo.model_dir, compression=compression)
        return self._store
