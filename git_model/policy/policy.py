"""The policy in ``.gitmodel``: which metadata the models matching a path pattern must carry.

Format (spec: docs/policy.md), git-config syntax, one section per pattern::

    [policy "*.onnx"]
        require = license
        require = metrics.accuracy
        type = metrics.accuracy number
        min = metrics.accuracy 0.5
        match = license "^(MIT|Apache-2\\.0)$"
        allow = license MIT

Parsing is strict: an unknown rule, a missing argument, a bad type name, number or regular
expression is a ConfigError naming the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from git_model.errors import ConfigError
from git_model.git.committed import matches
from git_model.policy.gitconfig import ConfigEntry
from git_model.policy.rules import (
    TYPES,
    Allow,
    Bound,
    Match,
    Require,
    Rule,
    TypeRule,
    as_number,
)

SECTION = "policy"
RULE_NAMES = ("require", "type", "match", "allow", "min", "max")
_KEY_AND_REST = re.compile(r"(\S+)(?:\s+(.*))?", re.DOTALL)


@dataclass(frozen=True)
class Section:
    """``[policy "PATTERN"]``: ``pattern`` matched like a .gitattributes pattern (no slash:
    the file name at any depth; with a slash: the path from the top of the repository)."""

    pattern: str
    rules: tuple[Rule, ...]

    def applies(self, path: str) -> bool:
        return matches(self.pattern, path)


@dataclass(frozen=True)
class Policy:
    """Every policy section of one ``.gitmodel`` (``source`` names it in messages)."""

    sections: tuple[Section, ...]
    source: str = ".gitmodel"

    @property
    def empty(self) -> bool:
        return not any(s.rules for s in self.sections)

    def applies(self, path: str) -> bool:
        return any(s.applies(path) and s.rules for s in self.sections)

    def rules_for(self, path: str) -> list[Rule]:
        """The rules of every section whose pattern matches ``path``, each rule once."""
        found: list[Rule] = []
        for section in self.sections:
            if section.applies(path):
                found.extend(r for r in section.rules if r not in found)
        return found


def _where(display: str, entry: ConfigEntry) -> str:
    return f"{display} line {entry.line}" if entry.line is not None else display


def parse_policy(entries: Iterable[ConfigEntry], display: str = ".gitmodel") -> Policy:
    """The policy sections among ``entries`` (other sections are ignored); ConfigError naming
    ``display`` and the line of the first bad entry."""
    by_pattern: dict[str, list[Rule]] = {}
    for entry in entries:
        if entry.section != SECTION:
            continue
        where = _where(display, entry)
        pattern = entry.subsection
        if pattern is None:
            raise ConfigError(f'{where}: policy.{entry.name} has no path pattern; write [policy "*.onnx"]')
        if not pattern.strip():
            raise ConfigError(f'{where}: [policy "{pattern}"] has an empty path pattern')
        rules = by_pattern.setdefault(pattern, [])
        rule = _rule(entry, where, pattern)
        if isinstance(rule, Allow):
            earlier = next((r for r in rules if isinstance(r, Allow) and r.key == rule.key), None)
            if earlier is not None:
                rules[rules.index(earlier)] = Allow(rule.key, earlier.values + rule.values, earlier.line)
                continue
        if rule not in rules:
            rules.append(rule)
    return Policy(tuple(Section(p, tuple(r)) for p, r in by_pattern.items()), display)


def _rule(entry: ConfigEntry, where: str, pattern: str) -> Rule:
    name = entry.name
    if name not in RULE_NAMES:
        known = ", ".join(RULE_NAMES)
        raise ConfigError(f"{where}: unknown rule '{name}' in [policy \"{pattern}\"] (rules: {known})")
    usage = {
        "require": "require = KEY",
        "type": f"type = KEY {'|'.join(TYPES)}",
        "match": "match = KEY REGEX",
        "allow": "allow = KEY VALUE",
        "min": "min = KEY NUMBER",
        "max": "max = KEY NUMBER",
    }[name]
    found = _KEY_AND_REST.fullmatch((entry.value or "").strip())
    if found is None:
        raise ConfigError(f"{where}: '{name}' needs a value: {usage}")
    key, rest = found[1], found[2] or ""
    line = entry.line
    if name == "require":
        if rest:
            raise ConfigError(f"{where}: require takes one metadata key (one require line per key): {usage}")
        return Require(key, line)
    if not rest:
        raise ConfigError(f"{where}: '{name} = {key}' lacks its argument: {usage}")
    if name == "type":
        if rest not in TYPES:
            raise ConfigError(f"{where}: unknown type '{rest}' (types: {', '.join(TYPES)})")
        return TypeRule(key, rest, line)
    if name == "match":
        try:
            re.compile(rest)
        except re.error as err:
            raise ConfigError(f"{where}: match {key}: bad regular expression {rest!r}: {err}") from None
        return Match(key, rest, line)
    if name == "allow":
        return Allow(key, (rest,), line)
    limit = as_number(rest)
    if limit is None:
        raise ConfigError(f"{where}: {name} {key}: {rest!r} is not a number")
    return Bound(key, name, limit, rest, line)
