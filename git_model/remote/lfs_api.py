"""A client for the Git LFS batch API with the ``basic`` transfer adapter (over ``requests``).

Specs: git-lfs ``docs/api/batch.md`` and ``docs/api/basic-transfers.md``. One object per
batch request: ``POST <endpoint>/objects/batch`` (``Accept`` and ``Content-Type``
``application/vnd.git-lfs+json``), then the returned actions are followed with their own
headers: ``upload`` (PUT of the raw bytes), ``verify`` (POST of ``{oid, size}``),
``download`` (GET, with ``Range`` when a slice is wanted). Download actions are cached per
oid until they expire.

Authentication: requests go out anonymously until the endpoint answers 401; then Git's
credential helpers are asked (``git credential fill``), the request is repeated with HTTP
Basic auth, and the outcome is reported back (``approve`` on success, ``reject`` on a second
401, which is then a permanent error). Action links normally carry their own authorization;
Basic auth is added to them only on the endpoint's own host and when they carry none.

Errors, with one-line messages naming the (redacted) URL and the cause: 404 →
``RemoteNotFound`` on reads (``RemotePermanentError`` on writes); 401/403 and other refusals
→ ``RemotePermanentError``; 408, 429, 5xx, connection failures and timeouts →
``RemoteTransientError``. A failed ``verify`` is transient: the upload is worth repeating.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Callable
from urllib.parse import urlsplit

from git_model.errors import (
    RemoteError,
    RemoteNotFound,
    RemotePermanentError,
    RemoteTransientError,
)
from git_model.remote import credential
from git_model.remote.credential import Credential, redact

MEDIA_TYPE = "application/vnd.git-lfs+json"
EXPIRY_MARGIN = 30.0  # seconds: refresh an action this long before the server says it expires


@dataclass(frozen=True)
class Action:
    """One action of a batch answer: where to go, with which headers, until when."""

    href: str
    header: dict[str, str] = field(hash=False)
    expires_at: float | None = None  # time.time() scale

    def expired(self) -> bool:
        return self.expires_at is not None and time.time() > self.expires_at - EXPIRY_MARGIN


def _action(raw: Any, where: str) -> Action:
    if not isinstance(raw, dict) or not isinstance(raw.get("href"), str):
        raise RemotePermanentError(f"{where}: malformed action in the batch answer")
    header = raw.get("header") or {}
    if not isinstance(header, dict):
        raise RemotePermanentError(f"{where}: malformed action header in the batch answer")
    expires_at = None
    if isinstance(raw.get("expires_in"), (int, float)) and raw["expires_in"] > 0:
        expires_at = time.time() + float(raw["expires_in"])
    elif isinstance(raw.get("expires_at"), str):
        try:
            expires_at = datetime.fromisoformat(raw["expires_at"].replace("Z", "+00:00")).timestamp()
        except ValueError:
            expires_at = None
    return Action(raw["href"], {str(k): str(v) for k, v in header.items()}, expires_at)


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cause(err: Exception) -> str:
    """The useful part of a requests exception (its urllib3 reason), without URLs."""
    reason = getattr(err.args[0], "reason", None) if err.args else None
    text = str(reason if reason is not None else err)
    text = re.sub(r"<[^<>]*>:?\s*", "", text)  # "<urllib3.connection.HTTPConnection object at 0x…>: "
    text = re.sub(r"https?://\S+", "", text)
    return _one_line(text) or type(err).__name__


class LFSClient:
    """Talks to one LFS endpoint; safe to use from several threads (a session per thread)."""

    def __init__(
        self,
        endpoint: str,
        cwd: Path | None = None,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
    ) -> None:
        parts = urlsplit(endpoint)
        self._credential_url = endpoint
        self.endpoint = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        self.where = redact(endpoint)
        self._origin = (parts.scheme, parts.netloc.rpartition("@")[2])
        self._cwd = cwd if cwd is not None and cwd.is_dir() else None
        self._timeouts = (connect_timeout, read_timeout)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._credential: Credential | None = None
        self._approved = False
        self._downloads: dict[str, Action] = {}
        embedded = credential.describe(endpoint)
        if embedded.get("username") and embedded.get("password"):
            self._credential = Credential(tuple(embedded.items()))

    # --- the batch API ---------------------------------------------------------------

    def batch(self, operation: str, oid: str, size: int) -> dict[str, Any]:
        """The server's answer for one object: ``{oid, size, actions?}``; errors raised."""
        body = {
            "operation": operation,
            "transfers": ["basic"],
            "objects": [{"oid": oid, "size": size}],
            "hash_algo": "sha256",
        }
        url = f"{self.endpoint}/objects/batch"
        response = self._request(
            "POST", url, f"{operation} batch", headers={"Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE},
            json_body=body, endpoint_auth=True,
        )  # fmt: skip
        with response:
            if response.status_code != 200:
                raise self._status_error(response, f"{operation} batch", url, missing_is_permanent=operation == "upload")
            try:
                answer = response.json()
            except ValueError:
                raise RemotePermanentError(f"{self.where}: {operation} batch: the answer is not JSON (is this a Git LFS endpoint?)") from None
        if not isinstance(answer, dict) or answer.get("transfer", "basic") != "basic":
            raise RemotePermanentError(f"{self.where}: {operation} batch: no basic transfer in the answer")
        objects = answer.get("objects")
        found = [o for o in objects if isinstance(o, dict) and o.get("oid") == oid] if isinstance(objects, list) else []
        if not found:
            raise RemotePermanentError(f"{self.where}: {operation} batch: object {oid[:12]} missing from the answer")
        result = found[0]
        error = result.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            message = f"{self.where}: {operation} of object {oid[:12]} refused: {code} {_one_line(error.get('message', ''))}".rstrip()
            if code == 404 and operation == "download":
                raise RemoteNotFound(message)
            if isinstance(code, int) and (code in (408, 429) or code >= 500):
                raise RemoteTransientError(message)
            raise RemotePermanentError(message)
        return result

    def upload(self, oid: str, size: int, opener: Callable[[], BinaryIO]) -> None:
        """Store an object unless the server has it; ``opener`` gives its bytes afresh."""
        result = self.batch("upload", oid, size)
        actions = result.get("actions") or {}
        if "upload" not in actions:
            return  # already stored
        upload = _action(actions["upload"], self.where)
        headers = {"Content-Type": "application/octet-stream", **upload.header, "Content-Length": str(size)}
        response = self._request("PUT", upload.href, "upload", headers=headers, body=opener)
        with response:
            if response.status_code not in (200, 201, 204):
                raise self._status_error(response, "upload", upload.href, missing_is_permanent=True)
        if "verify" in actions:
            verify = _action(actions["verify"], self.where)
            headers = {"Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE, **verify.header}
            response = self._request("POST", verify.href, "verify", headers=headers, json_body={"oid": oid, "size": size})
            with response:
                if response.status_code != 200:
                    error = self._status_error(response, "verify", verify.href, missing_is_permanent=False)
                    if response.status_code in (401, 403):
                        raise error
                    raise RemoteTransientError(str(error))

    def open(self, oid: str, size: int, byte_range: tuple[int, int] | None = None) -> Any:
        """A streaming GET response for the object (200 whole, 206 for a honoured Range).

        ``byte_range`` is inclusive ``(first, last)``. The caller closes the response."""
        for attempt in range(2):
            action = self._download_action(oid, size, refresh=attempt > 0)
            headers = {**action.header, "Accept-Encoding": "identity"}
            if byte_range is not None:
                headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
            response = self._request("GET", action.href, "download", headers=headers, stream=True)
            if response.status_code in (200, 206):
                return response
            response.close()
            if response.status_code in (401, 403) and attempt == 0:
                continue  # the link may have expired early: ask for a new one
            raise self._status_error(response, "download", action.href, missing_is_permanent=False)
        raise AssertionError("unreachable")  # pragma: no cover

    def _download_action(self, oid: str, size: int, refresh: bool) -> Action:
        with self._lock:
            cached = self._downloads.get(oid)
        if cached is not None and not refresh and not cached.expired():
            return cached
        actions = self.batch("download", oid, size).get("actions") or {}
        if "download" not in actions:
            raise RemotePermanentError(f"{self.where}: download batch gave no link for object {oid[:12]}")
        action = _action(actions["download"], self.where)
        with self._lock:
            self._downloads[oid] = action
        return action

    # --- HTTP with credentials -------------------------------------------------------

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = "git-model"
            self._local.session = session
        return session

    def _request(
        self,
        method: str,
        url: str,
        op: str,
        *,
        headers: dict[str, str],
        json_body: Any = None,
        body: Callable[[], BinaryIO] | None = None,
        stream: bool = False,
        endpoint_auth: bool = False,
    ) -> Any:
        """Send one request; on a 401 from the endpoint, once more with Git's credentials."""
        import requests

        parts = urlsplit(url)
        same_origin = (parts.scheme, parts.netloc) == self._origin
        may_auth = endpoint_auth or (same_origin and not any(k.lower() == "authorization" for k in headers))
        for attempt in range(2):
            with self._lock:
                used = self._credential if may_auth else None
            auth = (used.username, used.password) if used is not None else None
            try:
                if body is not None:
                    with body() as data:
                        response = self._session().request(
                            method, url, headers=headers, data=data, auth=auth, timeout=self._timeouts, stream=stream
                        )
                else:
                    response = self._session().request(
                        method, url, headers=headers, json=json_body, auth=auth, timeout=self._timeouts, stream=stream
                    )
            except requests.RequestException as err:
                raise self._network_error(err, op, url) from None
            if response.status_code == 401 and may_auth and attempt == 0:
                response.close()
                self._authenticate(used, op)
                continue
            if response.status_code == 401 and used is not None:
                credential.reject(used, self._cwd)
                with self._lock:
                    if self._credential is used:
                        self._credential = None
            elif used is not None and response.status_code < 400:
                self._approve(used)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _authenticate(self, failed: Credential | None, op: str) -> None:
        """Get credentials after a 401 (once for all threads); permanent error when none."""
        if failed is not None:
            credential.reject(failed, self._cwd)
        with self._lock:
            if self._credential is not None and self._credential is not failed:
                return  # another thread already asked
            found, why = credential.fill(self._credential_url, self._cwd)
            if found is None:
                raise RemotePermanentError(
                    f"{self.where}: {op} failed: authentication required (HTTP 401) and no credentials: {_one_line(why)}"
                )
            self._credential, self._approved = found, False

    def _approve(self, used: Credential) -> None:
        with self._lock:
            if self._approved or self._credential is not used:
                return
            self._approved = True
        credential.approve(used, self._cwd)

    def _status_error(self, response: Any, op: str, url: str, *, missing_is_permanent: bool) -> RemoteError:
        status = int(response.status_code)
        detail = ""
        try:
            data = response.json()
            if isinstance(data, dict) and data.get("message"):
                detail = _one_line(data["message"])
        except ValueError:
            detail = ""
        detail = detail or _one_line(response.reason or "")
        message = f"{redact(url)}: {op} failed: HTTP {status}" + (f" ({detail})" if detail else "")
        if status == 401:
            message += "; credentials refused" if response.request.headers.get("Authorization") else ""
        if status == 404 and not missing_is_permanent:
            return RemoteNotFound(message)
        if status in (408, 429) or status >= 500:
            return RemoteTransientError(message)
        return RemotePermanentError(message)

    def _network_error(self, err: Exception, op: str, url: str) -> RemoteError:
        import requests

        message = f"{redact(url)}: {op} failed: {type(err).__name__}: {_cause(err)}"
        if isinstance(err, requests.exceptions.SSLError):
            verify_failed = "certificate verify failed" in str(err).lower()
            return RemotePermanentError(message) if verify_failed else RemoteTransientError(message)
        transient = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
        if isinstance(err, transient):
            return RemoteTransientError(message)
        return RemotePermanentError(message)
