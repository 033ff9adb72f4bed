"""The sidecar: flattening, strict errors naming file and line, `meta set` typing and the
TOML writer (whatever it writes, tomllib reads back unchanged)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import tomllib
from hypothesis import given, settings
from hypothesis import strategies as st

from git_model.errors import FormatError, UsageError
from git_model.policy.sidecar import (
    as_text,
    assign,
    model_of_sidecar,
    parse_assignment,
    parse_sidecar,
    render,
    sidecar_path,
    typed_value,
)

GOLDEN = Path(__file__).parent / "golden"


def test_golden_sidecar_flattens_to_dotted_keys() -> None:
    meta = parse_sidecar((GOLDEN / "sidecar.meta.toml").read_bytes(), "s.meta.toml")
    assert meta == {
        "license": "Apache-2.0",
        "data": "s3://datasets/imagenet-2024",
        "metrics.accuracy": 0.91,
        "metrics.latency_ms": 12,
    }


def test_nested_and_dotted_keys() -> None:
    assert parse_sidecar(b'a.b.c = 1\n[x.y]\nz = true\n', "f") == {"a.b.c": 1, "x.y.z": True}


def test_paths() -> None:
    assert sidecar_path("m/net.onnx") == "m/net.onnx.meta.toml"
    assert model_of_sidecar("m/net.onnx.meta.toml") == "m/net.onnx"
    assert model_of_sidecar("m/net.onnx") is None
    assert model_of_sidecar(".meta.toml") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'license = "MIT"\naccuracy = \n', r"^net\.onnx\.meta\.toml line 2: invalid value \(column 12\)$"),
        (b'[metrics]\naccuracy = 0.9\n[metrics]\n', r"^net\.onnx\.meta\.toml line 3: .*\(column \d+\)$"),
        (b'ok = 1\nbad = "\xff"\n', r"^net\.onnx\.meta\.toml line 2: not UTF-8 text$"),
        (b'"a.b" = 1\n[a]\nb = 2\n', r"^net\.onnx\.meta\.toml: key 'a\.b' is defined twice"),
        (b"x = 1\n#" + b"-" * (1 << 20), r"^net\.onnx\.meta\.toml: \d+ bytes, larger than a sidecar may be"),
    ],
    ids=["bad-value", "table-twice", "not-utf8", "key-twice", "too-large"],
)
def test_malformed_sidecar(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_sidecar(data, "net.onnx.meta.toml")


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42), ("-3", -3), ("0.91", 0.91), ("1e-3", 0.001), ("1_000", 1000), ("MIT", "MIT"), ("007", "007"),
     ("1.2.3", "1.2.3"), ('"1.10"', "1.10"), ("", ""), ("inf", "inf"), ("true", "true"), ("0.5x", "0.5x")],
)
def test_typed_value(text: str, value: object) -> None:
    assert typed_value(text) == value
    assert type(typed_value(text)) is type(value)


def test_assignments() -> None:
    assert parse_assignment("metrics.accuracy=0.9") == ("metrics.accuracy", 0.9)
    assert parse_assignment("note=a=b") == ("note", "a=b")
    for bad in ("novalue", "=1", "a..b=1", "a b=1"):
        with pytest.raises(UsageError):
            parse_assignment(bad)
    doc: dict = {"metrics": {"loss": 0.1}, "license": "MIT"}
    assign(doc, "metrics.accuracy", 0.9)
    assert doc == {"metrics": {"loss": 0.1, "accuracy": 0.9}, "license": "MIT"}
    with pytest.raises(UsageError, match="'license' holds a value"):
        assign(doc, "license.name", "x")
    with pytest.raises(UsageError, match="'metrics' is a table"):
        assign(doc, "metrics", 1)


def test_render_layout() -> None:
    doc = {"license": "MIT", "metrics": {"accuracy": 0.91, "eval": {"set": "val"}}, "tags": ["a", "b"], "empty": {}}
    assert render(doc) == (
        'license = "MIT"\ntags = ["a", "b"]\n\n[metrics]\naccuracy = 0.91\n\n[metrics.eval]\nset = "val"\n\n[empty]\n'
    )
    assert tomllib.loads(render(doc)) == doc


_keys = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), min_size=1, max_size=8)
_scalars = (
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.dates()
    | st.datetimes(timezones=st.none() | st.just(dt.timezone.utc))
)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
_tables = st.recursive(
    st.dictionaries(_keys, _values, max_size=4),
    lambda inner: st.dictionaries(_keys, inner | _values, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(_tables)
def test_render_round_trips(doc: dict) -> None:
    assert tomllib.loads(render(doc)) == doc


def test_as_text() -> None:
    assert [as_text(v) for v in ("x", 3, 0.5, True, dt.date(2024, 1, 2), [1, "a"])] == [
        "x", "3", "0.5", "true", "2024-01-02", '[1, "a"]',
    ]
