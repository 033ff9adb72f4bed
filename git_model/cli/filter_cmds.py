"""Commands Git itself runs: `filter-process`, one-shot `clean`/`smudge`, and the merge driver."""

from __future__ import annotations

import os
import sys

import click

from git_model.context import AppContext
from git_model.git.pipes import widen as widen_pipes


@click.command("filter-process")
@click.option("--skip", is_flag=True, help="Leave pointers in the working tree (skip smudge).")
@click.pass_obj
def filter_process(app: AppContext, skip: bool) -> None:
    """Serve Git's long-running filter protocol on stdin/stdout."""
    from git_model.git.filter_process import run_for_git

    run_for_git(skip, app)


@click.command("clean")
@click.argument("path", required=False, default="<stdin>")
@click.pass_obj
def clean(app: AppContext, path: str) -> None:
    """Store stdin (a model file) and print its pointer (one-shot clean filter)."""
    from git_model.filters import clean as clean_stream

    widen_pipes(0)
    data, _ = clean_stream(app.store, sys.stdin.buffer, lambda: app.previous_version(path) if path != "<stdin>" else None)
    sys.stdout.buffer.write(data)


@click.command("smudge")
@click.option("--skip", is_flag=True, help="Print the pointer unchanged.")
@click.argument("path", required=False, default="<stdin>")
@click.pass_obj
def smudge(app: AppContext, skip: bool, path: str) -> None:
    """Turn the pointer on stdin into the model's bytes on stdout (one-shot smudge filter)."""
    from git_model.filters import SKIP_SMUDGE_ENV, smudge as smudge_stream

    if skip:
        os.environ[SKIP_SMUDGE_ENV] = "1"
    widen_pipes(1)
    smudge_stream(app.store, sys.stdin.buffer, sys.stdout.buffer, path, app.ensure_local)
    sys.stdout.buffer.flush()


@click.command("merge-driver")
@click.argument("base", type=click.Path())
@click.argument("ours", type=click.Path())
@click.argument("theirs", type=click.Path())
@click.argument("path", required=False, default="<model>")
def merge_driver(base: str, ours: str, theirs: str, path: str) -> None:
    """Three-way merge of pointers: take the side that changed; both changed is a conflict."""
    from pathlib import Path

    base_b, ours_b, theirs_b = (Path(p).read_bytes() for p in (base, ours, theirs))
    if ours_b == theirs_b or theirs_b == base_b:
        return
    if ours_b == base_b:
        Path(ours).write_bytes(theirs_b)
        return
    click.echo(
        f"git-model: {path}: both sides changed the model; keeping ours. Resolve with "
        f"'git checkout --theirs -- {path}' or '--ours', then 'git add'",
        err=True,
    )
    sys.exit(1)


def register(group: click.Group) -> None:
    for command in (filter_process, clean, smudge, merge_driver):
        group.add_command(command)
