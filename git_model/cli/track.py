"""`git model track` / `untrack`: which paths are models, kept in `.gitattributes`."""

from __future__ import annotations

import click

from git_model.context import AppContext
from git_model.errors import NotARepositoryError


def _worktree(app: AppContext):
    repo = app.repo
    if repo.worktree is None:
        raise NotARepositoryError(f"{repo.git_dir}: a bare repository has no .gitattributes to edit")
    return repo.worktree


@click.command("track")
@click.argument("patterns", nargs=-1)
@click.pass_obj
def track(app: AppContext, patterns: tuple[str, ...]) -> None:
    """Track PATTERNs as models; with no pattern, list the tracked patterns."""
    from git_model.git import attributes
    from git_model.git.committed import committed_plain_blobs

    path = _worktree(app) / ".gitattributes"
    if not patterns:
        for pattern in attributes.tracked_patterns(path):
            click.echo(pattern)
        return
    added = attributes.track(path, list(patterns))
    for pattern in patterns:
        click.echo(f"{'Tracking' if pattern in added else 'Already tracking'} {pattern!r}", err=True)
    plain = committed_plain_blobs(app.repo, list(patterns))
    if plain:
        sample = ", ".join(plain[:3]) + (" …" if len(plain) > 3 else "")
        click.echo(
            f"warning: {len(plain)} file(s) matching these patterns are committed as ordinary blobs ({sample}); "
            "convert them with 'git add --renormalize .' and a commit (or rewrite history with 'git model migrate import')",
            err=True,
        )


@click.command("untrack")
@click.argument("patterns", nargs=-1, required=True)
@click.pass_obj
def untrack(app: AppContext, patterns: tuple[str, ...]) -> None:
    """Stop tracking PATTERNs (files already committed stay pointers until re-added)."""
    from git_model.git import attributes

    removed = attributes.untrack(_worktree(app) / ".gitattributes", list(patterns))
    for pattern in patterns:
        click.echo(f"{'Untracking' if pattern in removed else 'Not tracked:'} {pattern!r}", err=True)


def register(group: click.Group) -> None:
    group.add_command(track)
    group.add_command(untrack)
