"""Fixtures for the model format tests: ``fmt`` runs a test once per format (the contract
every reader passes), ``write_model`` writes a model of that format."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from format_harness import WRITERS


@pytest.fixture(params=sorted(WRITERS))
def fmt(request: pytest.FixtureRequest) -> str:
    """Each format name in turn: tests using it form the contract every reader must pass."""
    return request.param


@pytest.fixture
def write_model(fmt: str, tmp_path: Path) -> Callable[..., Path]:
    """``write_model(specs, **kw)`` writes a model of the current format into tmp_path."""
    writer, ext = WRITERS[fmt]
    counter = iter(range(1000))

    def write(specs: list, **kwargs: object) -> Path:
        return writer(tmp_path / f"model{next(counter)}{ext}", specs, **kwargs)

    return write
