"""Checking models against the policy: which models, and what is wrong with them.

One line per problem, ``PATH: KEY: RULE: PROBLEM`` (``model.onnx: license: require:
missing``). The check itself never exits or prints; commands and hooks report the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from git_model.git.repo import Repo
from git_model.policy.gitconfig import ConfigEntry, read_entries
from git_model.policy.policy import Policy, parse_policy
from git_model.policy.rules import Require
from git_model.policy.sidecar import SUFFIX, model_of_sidecar, sidecar_path
from git_model.policy.sources import (
    GITMODEL,
    BlobSnapshot,
    Snapshot,
    changed_in_index,
    index_snapshot,
)

if TYPE_CHECKING:  # reading models pulls in the store (numpy): only when there is a policy
    from git_model.policy.metadata import ModelAccess, ModelMetadata


@dataclass(frozen=True)
class Violation:
    path: str
    key: str
    rule: str  # the rule as written, e.g. "require", "min 0.5", "allow MIT, Apache-2.0"
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.key}: {self.rule}: {self.problem}"

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "key": self.key, "rule": self.rule, "problem": self.problem}


@dataclass
class CheckReport:
    policy: Policy
    checked: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. models only checked by their sidecar

    @property
    def failed_models(self) -> int:
        return len({v.path for v in self.violations})


def gitmodel_entries(repo: Repo, snapshot: Snapshot) -> list[ConfigEntry]:
    """The entries of the snapshot's ``.gitmodel`` (none when it has no such file);
    ConfigError naming the file and line when Git cannot parse it."""
    text = snapshot.read_small(GITMODEL)
    if text is None:
        return []
    display = snapshot.describe(GITMODEL)
    return read_entries(repo, snapshot.config_args(), text.decode("utf-8", errors="replace"), display)


def load_policy(repo: Repo, snapshot: Snapshot) -> Policy:
    display = snapshot.describe(GITMODEL)
    return parse_policy(gitmodel_entries(repo, snapshot), display)


def check_metadata(policy: Policy, meta: ModelMetadata) -> list[Violation]:
    """Every rule that applies to ``meta.path`` and that its merged metadata breaks."""
    values = meta.merged
    found: list[Violation] = []
    for rule in policy.rules_for(meta.path):
        value = values.get(rule.key)
        if isinstance(rule, Require):
            problem = rule.problem(value)
        elif value is None:
            continue  # only `require` is about absence
        else:
            problem = rule.problem(value)
        if problem is None:
            continue
        if value is None and not meta.embedded_available:
            problem += " (model bytes unavailable: only its sidecar was checked)"
        found.append(Violation(meta.path, rule.key, rule.describe(), problem))
    return found


def select(snapshot: Snapshot, policy: Policy, paths: list[str] | None = None) -> list[str]:
    """The models to check: ``paths`` (a sidecar stands for its model) or every file, kept
    when a policy pattern matches it. Sidecars and ``.gitmodel`` are never models."""
    candidates = snapshot.paths() if paths is None else [model_of_sidecar(p) or p for p in paths]
    chosen = []
    for path in dict.fromkeys(candidates):
        if path == GITMODEL or path.endswith(SUFFIX) or not snapshot.has(path):
            continue
        if policy.applies(path):
            chosen.append(path)
    return chosen


def check_paths(snapshot: Snapshot, policy: Policy, paths: list[str], access: ModelAccess) -> CheckReport:
    """Read the metadata of every path in ``paths`` and check it against ``policy``."""
    from git_model.policy.metadata import read_metadata

    report = CheckReport(policy)
    if isinstance(snapshot, BlobSnapshot):
        snapshot.preload(paths)
    access.prefetch([p for p in (snapshot.pointer_of(path) for path in paths) if p is not None])
    for path in paths:
        report.violations.extend(check_metadata(policy, read_metadata(snapshot, path, access)))
        report.checked.append(path)
    report.notes.extend(access.notes)
    return report


def check_staged(repo: Repo, access: Callable[[], ModelAccess], changed_only: bool = True) -> CheckReport | None:
    """The pre-commit check: staged models (with ``changed_only``, those whose content or
    sidecar this commit adds or changes) against the staged ``.gitmodel``. None when the
    index has no ``.gitmodel`` (checked first, cheaply: this runs on every commit).
    ``access`` is called only when there are models to read."""
    if repo.git("cat-file", "-e", f":{GITMODEL}", check=False).returncode != 0:
        return None
    snapshot = index_snapshot(repo)
    policy = load_policy(repo, snapshot)
    if policy.empty:
        return CheckReport(policy)
    models = select(snapshot, policy)
    if changed_only:
        changed = changed_in_index(repo)
        models = [m for m in models if m in changed or sidecar_path(m) in changed]
    if not models:
        return CheckReport(policy)
    return check_paths(snapshot, policy, models, access())
