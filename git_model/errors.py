"""The one error hierarchy of git-model.

Every error carries a one-line message and an exit code. Library code raises these; only the
CLI entry point (`git_model.cli.main`) turns them into a stderr line and an exit status.
Remote errors are classified by behaviour: not found, permanent, transient (retried).
"""

from __future__ import annotations


class GitModelError(Exception):
    """Base class: `str(err)` is the one-line message shown to the user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(GitModelError):
    """The command was called wrongly (bad argument, unknown revision, untracked path)."""

    exit_code = 2


class NotARepositoryError(GitModelError):
    """A command that needs a Git repository ran outside one."""

    exit_code = 3


class ConfigError(GitModelError):
    """A malformed config, `.gitmodel` or `.gitattributes` entry."""

    exit_code = 4


class PolicyViolation(GitModelError):
    """Model metadata does not satisfy the repository's policy."""

    exit_code = 5


class FormatError(GitModelError):
    """Malformed input: a pointer, a pkt-line, a model header, a manifest or a pack."""

    exit_code = 6


class CorruptObjectError(GitModelError):
    """A stored object fails its checksum: never written into the working tree."""

    exit_code = 7


class MissingObjectError(GitModelError):
    """An object the operation needs is in neither the local store nor the remote."""

    exit_code = 8


class StoreWriteError(GitModelError):
    """The store could not be written (full disk, permissions); nothing was left half-written."""

    exit_code = 9


class RemoteError(GitModelError):
    """Base for remote failures."""

    exit_code = 10


class RemoteNotFound(RemoteError):
    """The remote does not hold the requested object."""

    exit_code = 11


class RemotePermanentError(RemoteError):
    """The remote refused the request (auth, permissions, bad bucket): retrying will not help."""

    exit_code = 12


class RemoteTransientError(RemoteError):
    """A failure that may pass (timeout, 5xx, connection reset): retried with backoff."""

    exit_code = 13


class ProtocolError(FormatError):
    """Git spoke the filter protocol in a way we do not understand."""
