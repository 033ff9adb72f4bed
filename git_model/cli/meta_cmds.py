"""`git model meta show|set|check`: model metadata and the `.gitmodel` policy.

Metadata is what a model's header carries plus its sidecar ``<model>.meta.toml`` (sidecar
values win); the policy and its rules are specified in docs/policy.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from git_model.context import AppContext
from git_model.errors import UsageError

if TYPE_CHECKING:
    from git_model.git.repo import Repo
    from git_model.policy.metadata import ModelAccess
    from git_model.policy.sources import Snapshot


def _repo_path(app: AppContext, repo: Repo, path: str) -> str:
    """``path`` (relative to the current directory) as a repository path with ``/``."""
    if repo.worktree is None:
        return path.replace(os.sep, "/").lstrip("/")
    here = app.cwd or Path.cwd()
    full = os.path.realpath(os.path.join(here, path))
    rel = os.path.relpath(full, os.path.realpath(repo.worktree))
    if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir:
        raise UsageError(f"{path}: outside the repository {repo.worktree}")
    return rel.replace(os.sep, "/")


def _snapshot(repo: Repo, staged: bool, rev: str | None) -> Snapshot:
    from git_model.policy.sources import WorktreeSnapshot, index_snapshot, rev_snapshot

    if staged and rev:
        raise UsageError("meta: choose one of --staged and --rev")
    if staged:
        return index_snapshot(repo)
    if rev or repo.is_bare:
        return rev_snapshot(repo, rev or "HEAD")
    return WorktreeSnapshot(repo)


def _access(app: AppContext) -> ModelAccess:
    from git_model.policy.metadata import ModelAccess

    return ModelAccess(app.store, fetch=app.ensure_local)


@click.group("meta")
def meta() -> None:
    """Model metadata (embedded and sidecar) and the .gitmodel policy."""


@meta.command("show")
@click.argument("path")
@click.option("--rev", metavar="REV", help="Show the version in commit REV (default: the working tree).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def show(app: AppContext, path: str, rev: str | None, as_json: bool) -> None:
    """Show the metadata of the model at PATH: its header's and its sidecar's."""
    from git_model.policy.metadata import read_metadata
    from git_model.policy.sidecar import as_text, to_json

    repo = app.repo
    rel = _repo_path(app, repo, path)
    snapshot = _snapshot(repo, False, rev)
    if not snapshot.has(rel):
        raise UsageError(f"{path}: no such file{f' in {rev}' if rev else ''}")
    info = read_metadata(snapshot, rel, _access(app))
    merged = info.merged
    if as_json:
        document = {
            "path": rel,
            "format": info.format,
            "sidecar": info.sidecar_name,
            "metadata": to_json(merged),
            "sources": {key: info.source_of(key) for key in merged},
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    click.echo(f"{rel} ({info.format or 'unknown format'})" + (f", sidecar {info.sidecar_name}" if info.sidecar_name else ""))
    texts = {k: as_text(v).replace("\\", "\\\\").replace("\n", "\\n") for k, v in merged.items()}
    width = max((len(k) for k in texts), default=0)
    value_width = min(max((len(t) for t in texts.values()), default=0), 40)
    for key, text in texts.items():
        click.echo(f"  {key:<{width}}  {text:<{value_width}}  {info.source_of(key)}".rstrip())


@meta.command("set")
@click.argument("path")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.pass_obj
def set_(app: AppContext, path: str, assignments: tuple[str, ...]) -> None:
    """Set KEY=VALUE pairs in the sidecar PATH.meta.toml (created when absent).

    VALUE is stored as a number when it reads as one (42, 0.91, 1e-3), else as text;
    "…" in quotes is always text. Dotted keys become TOML tables: metrics.accuracy=0.91
    is written as [metrics] accuracy = 0.91. The file is rewritten in a canonical layout.
    """
    from git_model.policy.sidecar import tomllib  # tomli on Python 3.10
    from git_model.policy.sidecar import (
        SUFFIX,
        assign,
        flatten,
        load_document,
        parse_assignment,
        render,
    )
    from git_model.store.atomic import write_atomic

    here = app.cwd or Path.cwd()
    model = here / path
    if not model.is_file():
        raise UsageError(f"{path}: no such file")
    side = Path(str(model) + SUFFIX)
    name = path + SUFFIX
    document = load_document(side.read_bytes(), name) if side.exists() else {}
    keys = []
    for item in assignments:
        key, value = parse_assignment(item)
        assign(document, key, value)
        keys.append(key)
    text = render(document)
    flatten(tomllib.loads(text), name)  # two spellings of one key are refused before writing
    write_atomic(side, text.encode())
    click.echo(f"git-model: {name}: set {', '.join(keys)}", err=True)


@meta.command("check")
@click.argument("paths", nargs=-1)
@click.option("--staged", is_flag=True, help="Check the index (what the next commit holds).")
@click.option("--rev", metavar="REV", help="Check the models in commit REV.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.pass_obj
def check(app: AppContext, paths: tuple[str, ...], staged: bool, rev: str | None, as_json: bool) -> None:
    """Check models against the .gitmodel policy (default: every model in the working tree
    that a policy pattern matches). One line per problem: PATH: KEY: RULE: PROBLEM."""
    from git_model.errors import PolicyViolation
    from git_model.policy.check import CheckReport, check_paths, load_policy, select

    repo = app.repo
    snapshot = _snapshot(repo, staged, rev)
    policy = load_policy(repo, snapshot)
    wanted = [_repo_path(app, repo, p) for p in paths] if paths else None
    if wanted:
        from git_model.policy.sidecar import model_of_sidecar

        absent = [p for p in wanted if model_of_sidecar(p) is None and not snapshot.has(p)]
        if absent:
            raise UsageError(f"{absent[0]}: no such file{' in the index' if staged else f' in {rev}' if rev else ''}")
    report = CheckReport(policy)
    if not policy.empty:
        report = check_paths(snapshot, policy, select(snapshot, policy, wanted), _access(app))
    for note in report.notes:
        click.echo(f"git-model: {note}", err=True)
    if as_json:
        document = {
            "policy": policy.source,
            "checked": report.checked,
            "violations": [v.as_json() for v in report.violations],
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for violation in report.violations:
            click.echo(str(violation))
    if report.violations:
        raise PolicyViolation(
            f"{len(report.violations)} policy violation(s) in {report.failed_models} model(s); policy: {policy.source}"
        )
    if policy.empty:
        click.echo(f"git-model: no policy in {policy.source}: nothing to check", err=True)
    else:
        click.echo(f"git-model: {len(report.checked)} model(s) meet the policy in {policy.source}", err=True)


def register(group: click.Group) -> None:
    group.add_command(meta)
