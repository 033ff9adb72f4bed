"""`git model migrate import | export | info`: rewrite history between ordinary blobs, Git LFS
pointers and git-model pointers (docs/migrate.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click

from git_model.context import AppContext


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _progress() -> Callable[[str, int], None] | None:
    """A one-line progress counter on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    state = {"blobs": 0, "bytes": 0}

    def show(path: str, size: int) -> None:
        state["blobs"] += 1
        state["bytes"] += size
        click.echo(f"\rgit-model: migrate: {state['blobs']} blob(s), {_size(state['bytes'])}", err=True, nl=False)

    return show


def _refs_and_selection(app: AppContext, include: tuple[str, ...], exclude: tuple[str, ...], everything: bool, refs: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from git_model.migrate.history import Selection, resolve_refs, split_patterns

    selection = Selection(split_patterns(include), split_patterns(exclude))
    return resolve_refs(app.repo, list(refs), everything), selection


def _selection_options(with_exclude: bool, required: bool):  # type: ignore[no-untyped-def]
    def decorate(command):  # type: ignore[no-untyped-def]
        command = click.argument("refs", nargs=-1)(command)
        command = click.option("--everything", is_flag=True, help="All local branches and tags (default: the current branch).")(command)
        if with_exclude:
            command = click.option("-X", "--exclude", multiple=True, help="Leave paths matching PATTERN (repeatable, or comma-separated).")(command)
        return click.option(
            "-I", "--include", multiple=True, required=required, metavar="PATTERN",
            help="Paths matching PATTERN, gitattributes-style (repeatable, or comma-separated).",
        )(command)

    return decorate


def _report(verb: str, report) -> None:  # type: ignore[no-untyped-def]
    refs = ", ".join(report.refs)
    if sys.stderr.isatty() and report.stats.blobs:
        click.echo("", err=True)
    if report.nothing_to_do:
        what = "ordinary blob or Git LFS pointer" if verb == "import" else "git-model pointer"
        click.echo(f"git-model: migrate {verb}: nothing to migrate (no {what} matches in {refs})", err=True)
        return
    stats = report.stats
    source = f" ({stats.lfs_blobs} from Git LFS)" if stats.lfs_blobs else ""
    moved = (
        f"{_size(stats.bytes)} into the store ({_size(stats.stored_bytes)} new after dedup and compression)"
        if verb == "import"
        else f"{_size(stats.bytes)} out of the store into Git"
    )
    click.echo(
        f"git-model: migrate {verb}: {report.rewritten} of {report.commits} commit(s) rewritten; "
        f"{stats.blobs} blob(s) converted{source}, {moved}",
        err=True,
    )
    for ref, (old, new) in report.changed.items():
        click.echo(f"git-model:   {ref}: {old[:12]} -> {new[:12]} (old value in refs/git-model/migrate-backup/{ref})", err=True)
    if report.worktree_updated:
        click.echo("git-model: working tree updated to the rewritten commit", err=True)
    for note in report.notes:
        click.echo(f"git-model: note: {note}", err=True)


@click.group("migrate")
def migrate() -> None:
    """Rewrite history: ordinary blobs and Git LFS pointers to git-model pointers and back."""


@migrate.command("import")
@_selection_options(with_exclude=True, required=True)
@click.pass_obj
def import_cmd(app: AppContext, include: tuple[str, ...], exclude: tuple[str, ...], everything: bool, refs: tuple[str, ...]) -> None:
    """Convert committed models (ordinary blobs or Git LFS pointers) in REFs' history to git-model
    pointers, moving the weights into the local store. REFs default to the current branch."""
    from git_model.migrate.migration import import_history

    ref_names, selection = _refs_and_selection(app, include, exclude, everything, refs)
    _report("import", import_history(app.repo, app.store, ref_names, selection, _progress()))


@migrate.command("export")
@_selection_options(with_exclude=True, required=True)
@click.pass_obj
def export_cmd(app: AppContext, include: tuple[str, ...], exclude: tuple[str, ...], everything: bool, refs: tuple[str, ...]) -> None:
    """Convert git-model pointers in REFs' history back to ordinary blobs (fetching models the
    local store lacks). REFs default to the current branch."""
    from git_model.migrate.migration import export_history

    ref_names, selection = _refs_and_selection(app, include, exclude, everything, refs)
    _report("export", export_history(app.repo, app.store, ref_names, selection, app.ensure_local, _progress()))


@migrate.command("info")
@_selection_options(with_exclude=True, required=False)
@click.option("--top", type=click.IntRange(min=1), help="Show only the N largest groups (default: all with --include, else 10).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def info_cmd(app: AppContext, include: tuple[str, ...], exclude: tuple[str, ...], everything: bool, refs: tuple[str, ...], top: int | None, as_json: bool) -> None:
    """Show what REFs' history holds per pattern (or per extension): files, versions and size, by
    kind (ordinary, Git LFS, git-model). Changes nothing."""
    from git_model.migrate.lfs import LfsObjects
    from git_model.migrate.scan import scan, summarize

    ref_names, selection = _refs_and_selection(app, include, exclude, everything, refs)
    found = scan(app.repo, ref_names, selection)
    groups = summarize(found, selection.include, LfsObjects(app.repo))
    shown = groups[: top or (len(groups) if selection.include else 10)]
    if as_json:
        click.echo(json.dumps({"refs": ref_names, "commits": found.commits, "groups": [g.__dict__ for g in shown]}, indent=2))
        return
    click.echo(f"{found.commits} commit(s) in {', '.join(ref_names)}")
    if not shown:
        click.echo("no matching files")
        return
    width = max(len("pattern"), *(len(g.pattern) for g in shown))
    click.echo(f"{'pattern':<{width}}  {'files':>6}  {'versions':>8}  {'size':>10}  {'plain':>6}  {'lfs':>6}  {'model':>6}")
    for g in shown:
        missing = f"  ({g.lfs_missing} LFS object(s) missing)" if g.lfs_missing else ""
        click.echo(
            f"{g.pattern:<{width}}  {g.files:>6}  {g.versions:>8}  {_size(g.bytes):>10}  {g.plain:>6}  {g.lfs:>6}  {g.model:>6}{missing}"
        )
    if len(groups) > len(shown):
        click.echo(f"… {len(groups) - len(shown)} more (--top N)")


def register(group: click.Group) -> None:
    group.add_command(migrate)
