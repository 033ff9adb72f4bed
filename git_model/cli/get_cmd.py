"""`git model get`: one revision's model files from a remote repository, without a clone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

# Variables that would make git act on some other repository (set inside hooks, for example).
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
             "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX")


@click.command("get")
@click.argument("repository")
@click.argument("paths", nargs=-1, required=True)
@click.option("--rev", default="HEAD", show_default=True, help="Branch, tag or full commit id to get.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the files into (each at its repository path).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Cache directory [default: ${XDG_CACHE_HOME:-~/.cache}/git-model].")
@click.option("--store", "store_url", default=None,
              help="Model store URL to read from instead of the one the repository names.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout.")
def get(repository: str, paths: tuple[str, ...], rev: str, output: Path, cache_dir: Path | None,
        store_url: str | None, as_json: bool) -> None:
    """Write the model files PATHS of one revision of REPOSITORY into a directory.

    No clone and no history: only the revision's tree is fetched, and only the chunks that
    the cache lacks. Every byte is verified; each file appears complete or not at all.
    Exit status: 0 on success, else the error's code (see docs/deploy.md).
    """
    from git_model.deploy.get import get as get_models
    from git_model.errors import GitModelError

    for name in _REPO_ENV:
        os.environ.pop(name, None)
    report = (lambda line: click.echo(f"git-model: {line}", err=True))
    try:
        result = get_models(repository, list(paths), output, rev, cache_dir, store_url, report)
    except GitModelError as err:
        if as_json:
            click.echo(json.dumps({"version": 1, "error": {
                "type": type(err).__name__, "exit_code": err.exit_code, "message": err.message}}))
        raise
    share = f" ({100 * result.bytes_moved / result.written_bytes:.1f}% of the bytes written)" if result.written_bytes else ""
    click.echo(
        f"git-model: get {result.commit[:12]} ({rev}): {len(result.files)} file(s), "
        f"{sum(f.action == 'written' for f in result.files)} written, "
        f"{sum(f.action == 'unchanged' for f in result.files)} unchanged; {result.file_bytes / 1e6:.1f} MB of files, "
        f"{result.bytes_moved / 1e6:.1f} MB moved from {result.store}{share}",
        err=True,
    )
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))


def register(group: click.Group) -> None:
    group.add_command(get)
