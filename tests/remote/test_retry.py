"""with_retries: only transient failures are retried, with capped, jittered backoff."""

from __future__ import annotations

import io
from typing import Any, Callable

import pytest

from git_model.errors import RemoteNotFound, RemotePermanentError, RemoteTransientError
from git_model.remote.backend import Backend
from git_model.remote.retry import with_retries
from git_model.remote.s3 import S3Backend


def failing(errors: list[Exception], result: str = "ok") -> Callable[[], str]:
    """A call that raises each of ``errors`` in turn, then returns ``result``."""
    pending = list(errors)
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if pending:
            raise pending.pop(0)
        return result

    call.calls = calls  # type: ignore[attr-defined]
    return call


def test_success_needs_no_sleep() -> None:
    sleeps: list[float] = []
    assert with_retries(failing([]), sleep=sleeps.append) == "ok"
    assert sleeps == []


def test_transient_errors_are_retried_with_exponential_backoff() -> None:
    sleeps: list[float] = []
    call = failing([RemoteTransientError(n) for n in "abc"])
    assert with_retries(call, sleep=sleeps.append, jitter=lambda: 1.0) == "ok"
    assert sleeps == pytest.approx([0.2, 0.4, 0.8])


def test_jitter_keeps_at_least_half_the_delay_and_max_delay_caps_it() -> None:
    sleeps: list[float] = []
    call = failing([RemoteTransientError("x")] * 6)
    with_retries(
        call, attempts=7, base_delay=1.0, max_delay=3.0, sleep=sleeps.append, jitter=lambda: 0.0
    )
    assert sleeps == pytest.approx([0.5, 1.0, 1.5, 1.5, 1.5, 1.5])


def test_last_transient_error_is_reraised_when_attempts_run_out() -> None:
    sleeps: list[float] = []
    last = RemoteTransientError("third")
    call = failing([RemoteTransientError("first"), RemoteTransientError("second"), last])
    with pytest.raises(RemoteTransientError) as info:
        with_retries(call, attempts=3, sleep=sleeps.append)
    assert info.value is last
    assert len(sleeps) == 2 and len(call.calls) == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "error", [RemotePermanentError("denied"), RemoteNotFound("gone"), ValueError("bug")]
)
def test_other_errors_are_not_retried(error: Exception) -> None:
    sleeps: list[float] = []
    call = failing([error])
    with pytest.raises(type(error)):
        with_retries(call, sleep=sleeps.append)
    assert sleeps == [] and len(call.calls) == 1  # type: ignore[attr-defined]


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        with_retries(failing([]), attempts=0)


def test_a_store_that_stays_down_ends_with_its_transient_error(
    unavailable_backend: Backend,
) -> None:
    sleeps: list[float] = []
    with pytest.raises(RemoteTransientError):
        with_retries(
            lambda: unavailable_backend.download("packs/a.pack", io.BytesIO()),
            attempts=2,
            sleep=sleeps.append,
        )
    assert len(sleeps) == 1


def test_a_store_that_comes_back_is_reached(
    make_s3: Callable[..., S3Backend], s3_admin: Any, unused_port: int
) -> None:
    """The S3 server starts only during the first backoff sleep: the retry then succeeds."""
    from moto.server import ThreadedMotoServer

    backend = make_s3(f"http://127.0.0.1:{unused_port}", "gm-comes-back", connect_timeout=0.5)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=unused_port, verbose=False)
    started: list[bool] = []

    def start_server(_delay: float) -> None:
        server.start()
        started.append(True)  # moto's state is per process: the bucket below is visible there too
        s3_admin.create_bucket(Bucket="gm-comes-back")
        s3_admin.put_object(Bucket="gm-comes-back", Key="team/models/packs/a.pack", Body=b"back")

    try:
        data = with_retries(lambda: backend.read_range("packs/a.pack", 0, 4), sleep=start_server)
    finally:
        if started:
            server.stop()
    assert data == b"back"
