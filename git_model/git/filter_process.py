"""Git's long-running filter protocol (gitattributes(5), "Long Running Filter Process").

One process serves every file of a git command. Each file gets its own status, so one bad
file (a missing object, a corrupt chunk) fails that file and not the whole checkout. stdout
belongs to Git: messages go to stderr only.
"""

from __future__ import annotations

import sys
from typing import BinaryIO, Callable, TextIO

from git_model import filters
from git_model.errors import GitModelError, ProtocolError
from git_model.git import pktline
from git_model.store.store import LocalStore

CAPABILITIES = ("clean", "smudge")


class FilterServer:
    """Serves clean/smudge requests read from ``stdin`` until Git closes the pipe."""

    def __init__(self, store_factory: Callable[[], LocalStore], stdin: BinaryIO, stdout: BinaryIO, stderr: TextIO) -> None:
        self._store_factory = store_factory
        self._store: LocalStore | None = None
        self._read = stdin.read
        self._out = stdout
        self._stderr = stderr

    @property
    def store(self) -> LocalStore:
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    def _write(self, data: bytes) -> None:
        self._out.write(data)

    def handshake(self) -> None:
        hello = pktline.read_text_list(self._read)
        if not hello or hello[0] != "git-filter-client" or "version=2" not in hello[1:]:
            raise ProtocolError(f"filter-process: unexpected handshake {hello!r}")
        pktline.write_text(self._write, "git-filter-server", "version=2")
        pktline.write_flush(self._write)
        offered = [line.removeprefix("capability=") for line in pktline.read_text_list(self._read)]
        pktline.write_text(self._write, *(f"capability={c}" for c in CAPABILITIES if c in offered))
        pktline.write_flush(self._write)
        self._out.flush()

    def serve(self) -> None:
        self.handshake()
        while True:
            try:
                headers = pktline.read_text_list(self._read)
            except ProtocolError:
                return  # Git closed the pipe: normal end of the session
            request = dict(line.split("=", 1) for line in headers if "=" in line)
            command = request.get("command")
            path = request.get("pathname", "<unknown>")
            content = pktline.PacketStream(self._read)
            if command == "clean":
                self._clean(content, path)
            elif command == "smudge":
                self._smudge(content, path)
            else:
                content.drain()
                self._status("error")
            self._out.flush()

    def _status(self, status: str) -> None:
        pktline.write_text(self._write, f"status={status}")
        pktline.write_flush(self._write)

    def _report(self, path: str, err: BaseException) -> None:
        self._stderr.write(f"git-model: {err if isinstance(err, GitModelError) else f'{path}: {err!r}'}\n")
        self._stderr.flush()

    def _clean(self, content: pktline.PacketStream, path: str) -> None:
        try:
            result, _ = filters.clean(self.store, content)
        except (GitModelError, OSError, ValueError) as err:
            content.drain()
            self._report(path, err)
            self._status("error")
            return
        content.drain()
        self._status("success")
        pktline.write_stream(self._write, result)
        pktline.write_flush(self._write)
        pktline.write_flush(self._write)  # empty final status list: keep "success"

    def _smudge(self, content: pktline.PacketStream, path: str) -> None:
        try:
            blocks = filters.smudge_source(self.store, content, path)
            content.drain()
            first = next(blocks, b"")  # fail before "success" when the first chunk is bad
        except (GitModelError, OSError) as err:
            content.drain()
            self._report(path, err)
            self._status("error")
            return
        self._status("success")
        try:
            pktline.write_stream(self._write, first)
            for block in blocks:
                pktline.write_stream(self._write, block)
        except (GitModelError, OSError) as err:
            # Content was partly sent: the error status after it makes Git discard the file.
            self._report(path, err)
            pktline.write_flush(self._write)
            self._status("error")
            return
        pktline.write_flush(self._write)
        pktline.write_flush(self._write)


def serve(store_factory: Callable[[], LocalStore]) -> None:
    FilterServer(store_factory, sys.stdin.buffer, sys.stdout.buffer, sys.stderr).serve()
