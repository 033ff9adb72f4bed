"""Client-side encryption of what a remote store holds (what it protects: docs/encryption.md).

One 32-byte secret (never committed) yields three subkeys by HMAC-SHA256: an AES-256-GCM key,
a key for chunk-id pseudonyms and a key for synthetic nonces.

- Chunk data in packs: AES-256-GCM with nonce = HMAC(nonce key, stored bytes)[:12]. The same
  chunk always encrypts to the same bytes (so deduplication within a repository still works)
  and distinct plaintexts never share a nonce (no GCM nonce reuse).
- Pack tables name chunks by HMAC(id key, chunk id)[:16], not by the hash of their plaintext.
- Indexes and manifests (which list real chunk ids) are sealed whole with a random nonce.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from git_model.errors import ConfigError, CorruptObjectError

KEY_ENV = "GIT_MODEL_ENCRYPTION_KEY"
BLOB_MAGIC = b"GMEN\x01"
NONCE = 12
CHECK_KEY = "config/encryption-check"


def _subkey(secret: bytes, label: bytes) -> bytes:
    return hmac.new(secret, b"git-model/" + label, hashlib.sha256).digest()


def parse_key(text: str, source: str) -> bytes:
    """A key given as 64 hex digits or base64 of 32 bytes."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise ConfigError(f"{source}: an encryption key must be 32 bytes, as 64 hex digits or base64")
    return key


def load_key(key_file: str | None) -> bytes | None:
    """The secret from $GIT_MODEL_ENCRYPTION_KEY, else from the file git config names."""
    if os.environ.get(KEY_ENV):
        return parse_key(os.environ[KEY_ENV], f"${KEY_ENV}")
    if key_file:
        path = Path(os.path.expanduser(key_file))
        try:
            return parse_key(path.read_text(), str(path))
        except OSError as err:
            raise ConfigError(f"{path}: cannot read the encryption key ({err.strerror})") from None
    return None


class Cipher:
    """Seals and opens remote objects; thread-safe (AESGCM objects are)."""

    def __init__(self, secret: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(_subkey(secret, b"data"))
        self._id_key = _subkey(secret, b"chunk-id")
        self._nonce_key = _subkey(secret, b"nonce")
        self.check_value = _subkey(secret, b"check")

    def keyed_id(self, chunk_id: bytes) -> bytes:
        return hmac.new(self._id_key, chunk_id, hashlib.sha256).digest()[:16]

    def keyed_name(self, oid: str) -> str:
        """A 64-hex pseudonym for a model's sha256 (names its manifest on the remote)."""
        return hmac.new(self._id_key, b"manifest:" + oid.encode(), hashlib.sha256).hexdigest()

    def seal_chunk(self, chunk_id: bytes, stored: bytes | memoryview) -> bytes:
        nonce = hmac.new(self._nonce_key, stored, hashlib.sha256).digest()[:NONCE]
        return nonce + self._aead.encrypt(nonce, bytes(stored), chunk_id)

    def open_chunk(self, chunk_id: bytes, sealed: bytes | memoryview, source: str) -> bytes:
        from cryptography.exceptions import InvalidTag

        sealed = bytes(sealed)
        try:
            return self._aead.decrypt(sealed[:NONCE], sealed[NONCE:], chunk_id)
        except (InvalidTag, ValueError):
            raise CorruptObjectError(
                f"{source}: chunk {chunk_id.hex()} fails authentication (corrupt, or the wrong key)"
            ) from None

    def seal_blob(self, data: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return BLOB_MAGIC + nonce + self._aead.encrypt(nonce, data, BLOB_MAGIC)

    def open_blob(self, sealed: bytes, source: str) -> bytes:
        from cryptography.exceptions import InvalidTag

        if not sealed.startswith(BLOB_MAGIC):
            raise CorruptObjectError(f"{source}: not an encrypted git-model object (is the store encrypted?)")
        body = sealed[len(BLOB_MAGIC) :]
        try:
            return self._aead.decrypt(body[:NONCE], body[NONCE:], BLOB_MAGIC)
        except (InvalidTag, ValueError):
            raise CorruptObjectError(f"{source}: fails authentication (corrupt, or the wrong key)") from None

    @staticmethod
    def sealed_size(stored_len: int) -> int:
        return NONCE + stored_len + 16
