"""The policy parser: every rule, the golden example of docs/policy.md, and strict errors that
name the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_model.errors import ConfigError
from git_model.policy.gitconfig import scan
from git_model.policy.policy import parse_policy
from git_model.policy.rules import Allow, Bound, Match, Require, TypeRule

GOLDEN = Path(__file__).parent / "golden"


def parse(text: str, display: str = ".gitmodel"):  # type: ignore[no-untyped-def]
    return parse_policy(scan(text), display)


def test_simplest_policy() -> None:
    policy = parse('[policy "*.onnx"]\n\trequire = license\n\trequire = metrics.accuracy\n')
    assert policy.rules_for("models/a.onnx") == [Require("license"), Require("metrics.accuracy")]
    assert policy.rules_for("a.safetensors") == []
    assert policy.applies("deep/dir/x.onnx") and not policy.applies("x.onnx.meta.toml")


def test_golden_policy() -> None:
    policy = parse((GOLDEN / "policy.gitmodel").read_text())
    assert [s.pattern for s in policy.sections] == ["*.onnx", "models/prod/*"]
    rules = policy.rules_for("models/prod/net.onnx")
    assert rules == [
        Require("license"),
        Require("metrics.accuracy"),
        Require("data"),
        TypeRule("metrics.accuracy", "number"),
        Bound("metrics.accuracy", "min", 0.8, "0.8"),
        Bound("metrics.latency_ms", "max", 50.0, "50"),
        Match("license", r"^(MIT|Apache-2\.0)$"),
        Allow("precision", ("fp16", "bf16")),
    ]
    assert [r.line for r in rules] == [6, 7, 10, 11, 12, 13, 14, 15]
    assert policy.rules_for("models/prod/w.bin")[0] == Require("data")
    assert policy.rules_for("other/w.bin") == []


def test_sections_and_rule_names_are_case_insensitive_patterns_are_not() -> None:
    policy = parse('[POLICY "*.ONNX"]\n\tREQUIRE = License\n')
    assert policy.rules_for("a.ONNX") == [Require("License")]
    assert policy.rules_for("a.onnx") == []


def test_duplicate_rules_from_overlapping_sections_count_once() -> None:
    policy = parse('[policy "*.onnx"]\nrequire = a\n[policy "m/*"]\nrequire = a\nrequire = b\n')
    assert policy.rules_for("m/x.onnx") == [Require("a"), Require("b")]


def test_other_sections_are_ignored_and_empty_policy() -> None:
    policy = parse("[remote]\n\turl = /x\n[something]\n\tkey = v\n")
    assert policy.empty and not policy.applies("a.onnx")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[policy "*.onnx"]\n\trequire = a\n\trequires = b\n', r"^\.gitmodel line 3: unknown rule 'requires' in \[policy \"\*\.onnx\"\]"),
        ("[policy]\n\trequire = a\n", r"^\.gitmodel line 2: policy\.require has no path pattern"),
        ('[policy ""]\n\trequire = a\n', r"^\.gitmodel line 2: .*empty path pattern"),
        ('[policy "*"]\n\n\trequire\n', r"^\.gitmodel line 3: 'require' needs a value"),
        ('[policy "*"]\n\trequire = a b\n', r"^\.gitmodel line 2: require takes one metadata key"),
        ('[policy "*"]\n\ttype = a float\n', r"^\.gitmodel line 2: unknown type 'float'"),
        ('[policy "*"]\n\ttype = a\n', r"^\.gitmodel line 2: 'type = a' lacks its argument"),
        ('[policy "*"]\n\tmatch = a "(unclosed"\n', r"^\.gitmodel line 2: match a: bad regular expression"),
        ('[policy "*"]\n\tmin = a high\n', r"^\.gitmodel line 2: min a: 'high' is not a number"),
        ('[policy "*"]\n\tmax = a\n', r"^\.gitmodel line 2: 'max = a' lacks its argument"),
    ],
)
def test_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(text)


def test_error_without_line_numbers_still_names_the_file() -> None:
    from git_model.policy.gitconfig import ConfigEntry

    with pytest.raises(ConfigError, match=r"^HEAD:\.gitmodel: unknown rule 'x'"):
        parse_policy([ConfigEntry("policy.*.x", "a")], "HEAD:.gitmodel")
