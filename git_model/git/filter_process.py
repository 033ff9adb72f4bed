"""Git's long-running filter protocol (gitattributes(5), "Long Running Filter Process").

One process serves every file of a git command. Each file gets its own status, so one bad
file (a missing object, a corrupt chunk) fails that file and not the whole checkout. stdout
belongs to Git: messages go to stderr only.

Smudge of a model whose chunks are only on the remote answers ``status=delayed`` when Git
allows it; at ``list_available_blobs`` every delayed model is fetched in one parallel batch.
Models larger than the direct-checkout threshold are left as pointers for the post-checkout
hook to write straight to disk, because Git holds a smudged file whole in its memory.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator, TextIO

from git_model import filters
from git_model.errors import GitModelError, ProtocolError
from git_model.git import pktline
from git_model.pointer import Pointer
from git_model.store.follow import PreviousVersion
from git_model.store.store import LocalStore

if TYPE_CHECKING:
    from git_model.context import AppContext

CAPABILITIES = ("clean", "smudge", "delay")


@dataclass(frozen=True)
class FilterServices:
    """What the filter needs from the repository, built lazily by the CLI."""

    store: Callable[[], LocalStore]
    ensure_local: Callable[[list[Pointer]], object]  # fetch what the store lacks
    direct_threshold: int  # models larger than this are written by the hook, not by Git
    previous_version: Callable[[str], PreviousVersion | None] = lambda path: None  # the staged version of a path


class FilterServer:
    """Serves clean/smudge requests read from ``stdin`` until Git closes the pipe."""

    def __init__(self, services: FilterServices, stdin: BinaryIO, stdout: BinaryIO, stderr: TextIO) -> None:
        self._services = services
        self._store: LocalStore | None = None
        self._pipe = _pipe_reader(stdin)
        self._read = self._pipe.read if self._pipe is not None else stdin.read
        self._out = stdout
        self._stderr = stderr
        self._delayed: dict[str, Pointer] = {}
        self._fetch_errors: dict[str, GitModelError] = {}

    @property
    def store(self) -> LocalStore:
        if self._store is None:
            self._store = self._services.store()
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
            content = pktline.PacketStream(self._read, self._pipe)
            if command == "clean":
                self._clean(content, path)
            elif command == "smudge" and path in self._delayed:
                content.drain()
                self._send_delayed(path)
            elif command == "smudge":
                self._smudge(content, path, request.get("can-delay") == "1")
            elif command == "list_available_blobs":  # no content section follows
                self._list_available()
            else:
                content.drain()
                self._status("error")
            self._out.flush()

    def _status(self, status: str) -> None:
        pktline.write_text(self._write, f"status={status}")
        pktline.write_flush(self._write)

    def _report(self, path: str, err: BaseException) -> None:
        if isinstance(err, GitModelError):
            message = str(err)
        elif isinstance(err, OSError):
            message = f"{path}: {err.strerror or err}"
        else:
            message = f"{path}: {err!r}"
        self._stderr.write(f"git-model: {message}\n")
        self._stderr.flush()

    def _clean(self, content: pktline.PacketStream, path: str) -> None:
        try:
            result, _ = filters.clean(self.store, content, lambda: self._services.previous_version(path))
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

    def _smudge(self, content: pktline.PacketStream, path: str, can_delay: bool) -> None:
        try:
            head = filters.read_up_to(content, filters.MAX_POINTER_SIZE + 1)
            found = None if filters.skip_smudge() else filters.parse_smudge_input(head, path)
            if found is not None and found.size > self._services.direct_threshold:
                content.drain()
                self._send(path, iter([head]))  # the post-checkout hook writes it to disk
                return
            if found is not None and not self.store.has_complete(found):
                content.drain()
                if can_delay:
                    self._delayed[path] = found
                    self._status("delayed")
                    return
                self._services.ensure_local([found])
            blocks = filters.smudge_source(self.store, filters.ReplayStream(head, content), path)  # type: ignore[arg-type]
            content.drain()
        except (GitModelError, OSError) as err:
            content.drain()
            self._report(path, err)
            self._status("error")
            return
        self._send(path, blocks)

    def _list_available(self) -> None:
        """Fetch every delayed model in one batch; answer with all their paths (an empty list
        tells Git nothing is delayed any more)."""
        waiting = [p for p in self._delayed if p not in self._fetch_errors]
        if waiting:
            try:
                self._services.ensure_local([self._delayed[p] for p in waiting])
            except GitModelError as err:
                for path in waiting:
                    self._fetch_errors[path] = err
        pktline.write_text(self._write, *(f"pathname={p}" for p in self._delayed))
        pktline.write_flush(self._write)
        self._status("success")

    def _send_delayed(self, path: str) -> None:
        found = self._delayed.pop(path)
        error = self._fetch_errors.pop(path, None)
        if error is not None:
            self._report(path, error)
            self._status("error")
            return
        self._send(path, self.store.read(found, path))

    def _send(self, path: str, blocks: Iterator[bytes]) -> None:
        """Stream content; the first block is produced before "success" so that a missing or
        corrupt first chunk fails cleanly, a later failure sends "error" after the content."""
        try:
            first = next(blocks, b"")
        except (GitModelError, OSError) as err:
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


def _pipe_reader(stdin: BinaryIO) -> pktline.PipeReader | None:
    """Read Git's pipe through its raw fd (nothing may have been read from ``stdin`` yet)."""
    try:
        return pktline.PipeReader(stdin.fileno())
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def serve(services: FilterServices) -> None:
    FilterServer(services, sys.stdin.buffer, sys.stdout.buffer, sys.stderr).serve()


def run_for_git(skip: bool, app: "AppContext | None" = None) -> None:
    """`git-model filter-process`: serve the repository Git runs us in until Git is done."""
    import os

    from git_model.context import AppContext
    from git_model.git.pipes import widen
    from git_model.hooks import ensure_hooks

    app = app or AppContext()
    widen(0, 1)
    if skip:
        os.environ[filters.SKIP_SMUDGE_ENV] = "1"
    ensure_hooks(app.repo)  # a fresh clone has none: post-checkout must run after this checkout
    serve(FilterServices(lambda: app.store, app.ensure_local, app.direct_checkout_size, app.previous_version))
