"""HTTP credentials through Git's own credential helpers (``git credential fill|approve|reject``).

git-model stores no secret: it asks Git, so whatever helper the user configured for
``git push`` (a keychain, a token store, ``store``, an askpass program, or a terminal prompt)
answers for the model store too. The exchange is Git's documented key=value format
(``git help credential``). A ``path`` is always passed; Git drops it unless
``credential.useHttpPath`` is set, exactly as for its own requests.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Credential:
    """What a helper answered: every attribute, so approve/reject can hand it back whole."""

    attributes: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.attributes if key == name), None)

    @property
    def username(self) -> str:
        return self.get("username") or ""

    @property
    def password(self) -> str:
        return self.get("password") or ""


def describe(url: str) -> dict[str, str]:
    """The credential description of an http(s) URL: protocol, host[:port], path, user."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    description = {"protocol": parts.scheme, "host": host, "path": parts.path.strip("/")}
    if parts.username:
        description["username"] = unquote(parts.username)
    if parts.password:
        description["password"] = unquote(parts.password)
    return description


def _encode(attributes: dict[str, str] | tuple[tuple[str, str], ...]) -> bytes:
    items = attributes.items() if isinstance(attributes, dict) else attributes
    for key, value in items:
        if "\n" in value or "\0" in value:
            raise ValueError(f"credential attribute {key!r} contains a newline or NUL")
    return "".join(f"{key}={value}\n" for key, value in items).encode() + b"\n"


def fill(url: str, cwd: Path | None) -> tuple[Credential | None, str]:
    """Ask Git's helpers (or the terminal) for credentials; ``(None, why)`` when none came."""
    try:
        request = _encode(describe(url))
    except ValueError as err:
        return None, str(err)
    try:
        proc = subprocess.run(
            ["git", "credential", "fill"],
            input=request,
            capture_output=True,
            cwd=cwd,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"git credential fill: {err}"
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        return None, lines[-1] if lines else f"git credential fill exited with {proc.returncode}"
    attributes = []
    for line in proc.stdout.decode(errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            attributes.append((key, value))
    credential = Credential(tuple(attributes))
    if not credential.password:
        return None, "git credential fill returned no password"
    return credential, ""


def approve(credential: Credential, cwd: Path | None) -> None:
    """Tell the helpers the credential worked (they may store it). Failures are ignored."""
    _report("approve", credential, cwd)


def reject(credential: Credential, cwd: Path | None) -> None:
    """Tell the helpers the credential was refused (they may forget it). Failures are ignored."""
    _report("reject", credential, cwd)


def _report(action: str, credential: Credential, cwd: Path | None) -> None:
    try:
        subprocess.run(
            ["git", "credential", action],
            input=_encode(credential.attributes),
            capture_output=True,
            cwd=cwd,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired, ValueError):
        pass


def without_password(url: str) -> str:
    """``url`` with any password dropped (the user name stays), for reporting and caching."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", "@", 1)
    return parts._replace(netloc=netloc).geturl()


def redact(url: str) -> str:
    """``url`` fit for a message: no password and no query (action links carry tokens there)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc, query="", fragment="").geturl()
