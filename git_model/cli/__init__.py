"""The `git-model` command line: the root group builds one context object for every command.

This is the only place where exceptions become exit codes and one-line stderr messages.
Heavy imports stay inside the command functions so that start-up stays fast (Git may start
the one-shot filters once per file).
"""

from __future__ import annotations

import sys

import git_model.entry  # noqa: F401  (process set-up shared with the lean filter entry)
import click  # noqa: E402

from git_model.context import AppContext  # noqa: E402


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="git-model")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Version ML model files in Git: chunked, deduplicated, model-aware."""
    ctx.obj = AppContext()


def _register() -> None:
    from git_model.cli import (
        demo,
        filter_cmds,
        fsck,
        get_cmd,
        hook,
        inspect_cmds,
        install,
        maintenance_cmds,
        meta_cmds,
        migrate_cmds,
        sync_cmds,
        track,
    )

    for module in (
        install, track, filter_cmds, fsck, sync_cmds, hook, demo, inspect_cmds, meta_cmds, migrate_cmds, get_cmd,
        maintenance_cmds,
    ):
        module.register(cli)


_register()


def main(argv: list[str] | None = None) -> None:
    from git_model.entry import guarded

    def run() -> None:
        try:
            cli.main(args=argv, prog_name="git-model", standalone_mode=False)
        except click.exceptions.Abort:
            click.echo("git-model: aborted", err=True)
            sys.exit(130)
        except click.ClickException as err:
            err.show()
            sys.exit(err.exit_code)

    guarded(run)
