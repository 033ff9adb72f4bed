"""Rules judged one value at a time, and a model's metadata against a whole policy."""

from __future__ import annotations

import datetime as dt

import pytest

from git_model.policy.check import Violation, check_metadata
from git_model.policy.gitconfig import scan
from git_model.policy.metadata import ModelMetadata
from git_model.policy.policy import parse_policy
from git_model.policy.rules import (
    Allow,
    Bound,
    Match,
    Require,
    TypeRule,
    as_number,
    has_type,
)


@pytest.mark.parametrize(
    ("value", "number"),
    [("0.91", 0.91), ("-3", -3.0), ("1e-3", 0.001), (".5", 0.5), (7, 7.0), (0.25, 0.25),
     ("abc", None), ("", None), ("1.2.3", None), (True, None), ("nan", None), (float("inf"), None), ("0x10", None)],
)
def test_as_number(value: object, number: float | None) -> None:
    assert as_number(value) == number  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "kind", "ok"),
    [
        ("text", "string", True), (3, "string", False),
        ("3", "integer", True), (3, "integer", True), ("3.0", "integer", False), (3.0, "integer", False),
        (False, "integer", False), ("0.5", "number", True), ("x", "number", False),
        (True, "boolean", True), ("false", "boolean", True), ("yes", "boolean", False), (1, "boolean", False),
    ],
)
def test_has_type(value: object, kind: str, ok: bool) -> None:
    assert has_type(value, kind) is ok  # type: ignore[arg-type]


def test_rule_problems() -> None:
    assert Require("k").problem(None) == "missing"
    assert Require("k").problem("  ") == "empty"
    assert Require("k").problem(0) is None
    assert TypeRule("k", "number").problem("fast") == "got 'fast'"
    assert Match("k", "^(MIT|Apache-2\\.0)$").problem("Apache-2.0") is None
    assert Match("k", "MIT").problem("MIT-0") is None  # searched, not anchored
    assert Match("k", "^MIT$").problem("GPL") == "got 'GPL'"
    assert Allow("k", ("fp16", "bf16")).problem("fp32") == "got 'fp32'"
    assert Allow("k", ("1",)).problem(1) is None  # compared as text
    assert Bound("k", "min", 0.5, "0.5").problem(0.42) == "got 0.42"
    assert Bound("k", "min", 0.5, "0.5").problem("0.5") is None
    assert Bound("k", "max", 50, "50").problem("51") == "got 51"
    assert Bound("k", "max", 50, "50").problem("slow") == "got 'slow', not a number"
    assert Match("k", r"^\d{4}-").problem(dt.date(2024, 5, 1)) is None


POLICY = parse_policy(
    scan(
        '[policy "*.onnx"]\n\trequire = license\n\trequire = metrics.accuracy\n'
        "\tmin = metrics.accuracy 0.5\n\tallow = license MIT\n\tallow = license Apache-2.0\n\ttype = epochs integer\n"
    )
)


def test_check_metadata_reports_each_broken_rule() -> None:
    meta = ModelMetadata("m.onnx", "onnx", {"license": "GPL", "epochs": "ten"})
    assert [str(v) for v in check_metadata(POLICY, meta)] == [
        "m.onnx: metrics.accuracy: require: missing",
        "m.onnx: license: allow MIT, Apache-2.0: got 'GPL'",
        "m.onnx: epochs: type integer: got 'ten'",
    ]


def test_sidecar_overrides_embedded() -> None:
    meta = ModelMetadata("m.onnx", "onnx", {"license": "GPL", "metrics.accuracy": "0.1"}, {"license": "MIT", "metrics.accuracy": 0.9})
    assert check_metadata(POLICY, meta) == []
    assert meta.source_of("license") == "sidecar"


def test_unavailable_model_is_said_so() -> None:
    meta = ModelMetadata("m.onnx", None, {}, {"license": "MIT"}, embedded_available=False)
    (violation,) = check_metadata(POLICY, meta)
    assert violation == Violation(
        "m.onnx", "metrics.accuracy", "require", "missing (model bytes unavailable: only its sidecar was checked)"
    )


def test_policy_does_not_apply_elsewhere() -> None:
    assert check_metadata(POLICY, ModelMetadata("m.safetensors", "safetensors")) == []
