"""Commands that show model versions: `ls-files`, `status`, `log`, `show`, `diff`, `stats`,
and `diff-textconv` (the ``diff=model`` textconv driver Git runs).

The work is done in `git_model.versions`; these commands parse Git-style arguments, fetch
what a command must read, and print a report as text or, with ``--json``, in the schema
documented in docs/inspect.md. Only `show` writes model bytes, and only to stdout or ``-o``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from git_model.context import AppContext

PATHS_KEY = "git_model.paths_after_dashdash"


class PathsAfterDashDash(click.Command):
    """Git's convention: arguments after ``--`` are paths, never options or revisions. They
    are kept aside in ``ctx.meta[PATHS_KEY]`` (None when there is no ``--``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[PATHS_KEY] = None
        if "--" in args:
            cut = args.index("--")
            ctx.meta[PATHS_KEY] = args[cut + 1 :]
            args = args[:cut]
        return super().parse_args(ctx, args)


def _emit(report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
        return
    text = report.format_text()
    if text:
        click.echo(text)


def _json_option(command: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (schema: docs/inspect.md).")(command)


def _cwd(app: AppContext) -> Path:
    return app.cwd or Path.cwd()


def _exists(app: AppContext, arg: str) -> bool:
    """Whether ``arg`` names a file in the working tree (a bare repository has none)."""
    return app.repo.worktree is not None and os.path.lexists(_cwd(app) / arg)


def _fetch(app: AppContext, pointers: list) -> None:  # type: ignore[type-arg]
    """Make ``pointers`` local, fetching from the default remote; without a usable remote the
    error says which model is missing."""
    from git_model.errors import ConfigError, MissingObjectError

    try:
        app.ensure_local(pointers)
    except ConfigError as err:
        missing = next((p for p in pointers if not app.store.has_complete(p)), pointers[0])
        raise MissingObjectError(f"model {missing.short} is not in the local store and cannot be fetched: {err}") from None


@click.command("ls-files")
@click.argument("rev", required=False, default="HEAD")
@_json_option
@click.pass_obj
def ls_files(app: AppContext, rev: str, as_json: bool) -> None:
    """List the models in REV (default HEAD): oid, present locally (*) or not (-), format, size, path."""
    from git_model.versions.listing import list_files

    _emit(list_files(app.repo, app.store, rev), as_json)


@click.command("status")
@click.option("--no-remote", is_flag=True, help="Do not ask the remote's store which models it has.")
@_json_option
@click.pass_obj
def status(app: AppContext, no_remote: bool, as_json: bool) -> None:
    """Models staged, changed, untracked, still pointers in the working tree, and not pushed."""
    from git_model.errors import GitModelError, NotARepositoryError
    from git_model.remote.resolve import default_remote_name, resolve_remote
    from git_model.versions.status import RemoteInfo, model_status

    repo = app.repo
    if repo.worktree is None:
        raise NotARepositoryError(f"{repo.git_dir}: a bare repository has no working tree")
    remote = None
    if no_remote:
        info = RemoteInfo(None, None, "skipped (--no-remote)")
    else:
        try:
            resolved = resolve_remote(repo)
            remote = app.remote(resolved.name)
            info = RemoteInfo(resolved.name, resolved.url)
        except GitModelError as err:
            info = RemoteInfo(default_remote_name(repo), None, str(err))
    _emit(model_status(repo, app.store, remote, info), as_json)


@click.command("log", cls=PathsAfterDashDash)
@click.argument("args", nargs=-1)
@click.option("--all", "all_refs", is_flag=True, help="Walk every ref (all branches and tags), not just HEAD.")
@_json_option
@click.pass_obj
def log(app: AppContext, args: tuple[str, ...], all_refs: bool, as_json: bool) -> None:
    """Versions of models across commits: [PATH…] [REV-RANGE…] [-- PATH…].

    Each version shows its commit, date, oid, size, author, subject, and the bytes it added
    to the store compared with the previous version of the same model.
    """
    from git_model.errors import UsageError
    from git_model.versions.history import model_log
    from git_model.versions.revisions import is_revision, repo_path, revision_endpoints

    repo = app.repo
    revs: list[str] = []
    paths: list[str] = []
    for arg in args:
        if _exists(app, arg):
            if revision_endpoints(arg) is None and is_revision(repo, arg):
                raise UsageError(f"'{arg}' is both a revision and a path: put paths after '--'")
            paths.append(arg)
        else:
            (revs if is_revision(repo, arg) else paths).append(arg)
    paths += click.get_current_context().meta[PATHS_KEY] or []
    if all_refs:
        revs.insert(0, "--all")
    targets = [repo_path(repo, p, app.cwd) for p in paths]
    _emit(model_log(repo, app.store, revs, targets), as_json)


@click.command("show")
@click.argument("spec", metavar="REV:PATH")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (atomically) instead of stdout.")
@click.pass_obj
def show(app: AppContext, spec: str, output: Path | None) -> None:
    """Write the bytes of any version of a model, fetching it if needed; the working tree is not touched."""
    from git_model.errors import UsageError
    from git_model.store.atomic import AtomicFile
    from git_model.versions.revisions import resolve_model, split_spec

    rev, path = split_spec(spec, app.cwd, app.repo)
    ref = resolve_model(app.repo, rev, path)
    if output is None and click.get_binary_stream("stdout").isatty():
        raise UsageError("refusing to write a model to a terminal: redirect stdout or use -o FILE")
    _fetch(app, [ref.pointer])
    blocks = app.store.read(ref.pointer, ref.label)
    if output is None:
        stdout = click.get_binary_stream("stdout")
        for block in blocks:
            stdout.write(block)
        stdout.flush()
        return
    dest = output if output.is_absolute() else _cwd(app) / output
    with AtomicFile(dest.parent, dest) as out:
        for block in blocks:
            out.write(block)
        out.commit()


@click.command("diff", cls=PathsAfterDashDash)
@click.argument("args", nargs=-1)
@_json_option
@click.pass_obj
def diff(app: AppContext, args: tuple[str, ...], as_json: bool) -> None:
    """Model-aware diff: [REV [REV]] [-- PATH…].

    No REV: HEAD against the working tree; one: REV against the working tree; two (or
    A..B): REV1 against REV2. Tensors added, removed and changed, and the share of chunks the
    versions have in common; files in other formats are compared by size and oid.
    """
    from git_model.errors import UsageError
    from git_model.versions.comparison import diff_revisions
    from git_model.versions.revisions import is_revision, repo_path, revision_endpoints

    repo = app.repo
    revs: list[str] = []
    paths: list[str] = []
    for arg in args:
        if not paths and not _exists(app, arg) and is_revision(repo, arg):
            ends = revision_endpoints(arg)
            if ends is not None and "..." in arg:
                base = repo.git("merge-base", *ends, check=False).stdout.decode().strip()
                if not base:
                    raise UsageError(f"'{arg}': the two revisions have no common ancestor")
                ends = [base, ends[1]]
            revs += ends if ends is not None and not arg.startswith("^") else [arg]
        elif _exists(app, arg):
            paths.append(arg)
        else:
            raise UsageError(f"'{arg}': unknown revision or path not in the working tree (put paths after '--')")
    if len(revs) > 2:
        raise UsageError(f"at most two revisions can be compared, got {len(revs)}")
    paths += click.get_current_context().meta[PATHS_KEY] or []
    old_rev = revs[0] if revs else "HEAD"
    new_rev = revs[1] if len(revs) == 2 else None
    targets = [repo_path(repo, p, app.cwd) for p in paths]
    report = diff_revisions(repo, app.store, old_rev, new_rev, targets, lambda pointers: _fetch(app, pointers))
    _emit(report, as_json)


@click.command("diff-textconv")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
def diff_textconv(app: AppContext, file: Path) -> None:
    """Print a readable summary of a model or pointer file (Git's diff=model textconv)."""
    from git_model.versions.summary import summary_lines

    try:
        lines = summary_lines(file, file.name, lambda: app.store)
    except Exception as err:  # noqa: BLE001 - a textconv that fails breaks `git diff` and `git log -p`
        lines = [f"note     cannot summarize {file.name}: {type(err).__name__}: {err}"]
    click.echo("\n".join(lines))


@click.command("stats")
@_json_option
@click.pass_obj
def stats(app: AppContext, as_json: bool) -> None:
    """Logical bytes of every model version in any ref against the bytes the store keeps."""
    from git_model.versions.storage import storage_stats

    _emit(storage_stats(app.repo, app.store), as_json)


def register(group: click.Group) -> None:
    for command in (ls_files, status, log, show, diff, diff_textconv, stats):
        group.add_command(command)
