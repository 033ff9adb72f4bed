"""A model's metadata: what its header carries (embedded) and its sidecar, merged.

Embedded metadata comes from ``git_model.formats`` (ONNX ``metadata_props`` and model fields,
safetensors ``__metadata__``, GGUF key/values), read from the header only; its values are text.
Sidecar values (``<model>.meta.toml``) keep their TOML types and win over embedded values of
the same key.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from git_model.errors import GitModelError, MissingObjectError
from git_model.formats import HEAD_BYTES, detect
from git_model.pointer import Pointer
from git_model.policy.sidecar import Value, parse_sidecar, sidecar_path
from git_model.policy.sources import Snapshot
from git_model.store.reader import StoredFile
from git_model.store.store import LocalStore

EMBEDDED, SIDECAR = "embedded", "sidecar"


@dataclass(frozen=True)
class ModelMetadata:
    """``format`` is None when the file is not a format we read (only its sidecar counts) or
    when its bytes were not available (``embedded_available`` False)."""

    path: str
    format: str | None
    embedded: dict[str, str] = field(default_factory=dict)
    sidecar: dict[str, Value] = field(default_factory=dict)
    sidecar_name: str | None = None  # the sidecar as messages name it, when there is one
    embedded_available: bool = True

    @property
    def merged(self) -> dict[str, Value]:
        return {**self.embedded, **self.sidecar}

    def source_of(self, key: str) -> str:
        return SIDECAR if key in self.sidecar else EMBEDDED


class ModelAccess:
    """Opens models in a store for header reads.

    ``fetch(pointers)`` brings missing models into ``store`` (a remote's ``ensure_local``);
    without it, or when it fails, a missing model raises MissingObjectError, unless
    ``missing_ok``: then ``open`` returns None and ``notes`` says which model was skipped."""

    def __init__(
        self,
        store: LocalStore,
        fetch: Callable[[list[Pointer]], object] | None = None,
        missing_ok: bool = False,
    ) -> None:
        self.store = store
        self.fetch = fetch
        self.missing_ok = missing_ok
        self.notes: list[str] = []
        self._fetch_error: str | None = None

    def prefetch(self, pointers: list[Pointer]) -> None:
        """Fetch, in one batch, whichever of ``pointers`` the store lacks."""
        missing = list({p.oid: p for p in pointers if not self.store.has_complete(p)}.values())
        if not missing or self.fetch is None:
            return
        try:
            self.fetch(missing)
        except GitModelError as err:
            if not self.missing_ok:
                raise
            self._fetch_error = str(err)
        self.store.reload()

    def open(self, pointer: Pointer, source: str) -> BinaryIO | None:
        if not self.store.has_complete(pointer):
            why = f" (fetch failed: {self._fetch_error})" if self._fetch_error else ""
            if self.missing_ok:
                self.notes.append(f"{source}: model {pointer.short} is not in the model store{why}; checked its sidecar only")
                return None
            raise MissingObjectError(f"{source}: model {pointer.short} is not in the local store; run 'git model fetch'{why}")
        return io.BufferedReader(StoredFile(self.store, pointer, source), buffer_size=64 * 1024)


def read_embedded(stream: BinaryIO, path: str, name: str | None = None) -> tuple[str | None, dict[str, str]]:
    """(format, metadata) from the header of ``stream``; (None, {}) for a file that is not a
    model format we read. The format is detected from ``path`` and the first bytes (as
    ``read_model_info`` does); a malformed header is a FormatError naming ``name``."""
    stream.seek(0)
    fmt = detect(path, stream.read(HEAD_BYTES))
    if fmt is None:
        return None, {}
    info = fmt.read(stream, name or path)
    return info.format, dict(info.metadata)


def read_metadata(snapshot: Snapshot, path: str, access: ModelAccess) -> ModelMetadata:
    """The metadata of the model at ``path`` in ``snapshot``: header and sidecar."""
    side = sidecar_path(path)
    raw = snapshot.read_small(side)
    side_name = snapshot.describe(side) if raw is not None else None
    sidecar = parse_sidecar(raw, snapshot.describe(side)) if raw is not None else {}
    pointer = snapshot.pointer_of(path)
    stream = access.open(pointer, snapshot.describe(path)) if pointer is not None else snapshot.open_plain(path)
    if stream is None:
        return ModelMetadata(path, None, {}, sidecar, side_name, embedded_available=False)
    with stream:
        fmt, embedded = read_embedded(stream, path, snapshot.describe(path))
    return ModelMetadata(path, fmt, embedded, sidecar, side_name)
