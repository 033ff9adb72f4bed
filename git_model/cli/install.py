"""`git model install` / `uninstall`."""

from __future__ import annotations

import click

from git_model.context import AppContext
from git_model.errors import NotARepositoryError, UsageError


def _scope(local: bool, global_: bool, system: bool) -> str:
    chosen = [name for name, on in (("local", local), ("global", global_), ("system", system)) if on]
    if len(chosen) > 1:
        raise UsageError("install: choose one of --local, --global, --system")
    return chosen[0] if chosen else "global"


def _repo_or_none(app: AppContext):
    try:
        return app.repo
    except NotARepositoryError:
        return None


@click.command("install")
@click.option("--local", is_flag=True, help="Configure only the current repository.")
@click.option("--global", "global_", is_flag=True, help="Configure for the user (default).")
@click.option("--system", is_flag=True, help="Configure for every user of this machine.")
@click.option("--skip-smudge", is_flag=True, help="Leave pointers in the working tree on checkout.")
@click.option("--server", is_flag=True, help="Only install the pre-receive policy hook into this (bare) repository.")
@click.pass_obj
def install(app: AppContext, local: bool, global_: bool, system: bool, skip_smudge: bool, server: bool) -> None:
    """Configure Git to use git-model's filters (and set up the current repository)."""
    from git_model.hooks import SERVER_HOOKS, install_hooks
    from git_model.install import install_config

    if server:
        if local or global_ or system or skip_smudge:
            raise UsageError("install --server: takes no other option (it only installs the server hooks)")
        repo = app.repo
        repo.model_dir.mkdir(parents=True, exist_ok=True)
        lines = install_hooks(repo, SERVER_HOOKS)
        for line in lines or ["server hooks already installed"]:
            click.echo(f"git-model: {line}", err=True)
        return
    scope = _scope(local, global_, system)
    repo = _repo_or_none(app)
    if scope == "local" and repo is None:
        raise NotARepositoryError("install --local: not inside a git repository")
    cwd = repo.worktree or repo.git_dir if repo else None
    install_config(scope, cwd, skip_smudge=skip_smudge)
    click.echo(f"git-model: filters configured ({scope})", err=True)
    if repo is not None:
        repo.model_dir.mkdir(parents=True, exist_ok=True)
        for line in install_hooks(repo):
            click.echo(f"git-model: {line}", err=True)


@click.command("uninstall")
@click.option("--local", is_flag=True)
@click.option("--global", "global_", is_flag=True)
@click.option("--system", is_flag=True)
@click.option("--server", is_flag=True, help="Only remove the hooks git-model installed in this repository.")
@click.pass_obj
def uninstall(app: AppContext, local: bool, global_: bool, system: bool, server: bool) -> None:
    """Remove git-model's filter configuration and the hooks it installed (the store stays)."""
    from git_model.hooks import uninstall_hooks
    from git_model.install import uninstall_config

    if server:
        if local or global_ or system:
            raise UsageError("uninstall --server: takes no other option (it only removes the hooks)")
        for line in uninstall_hooks(app.repo):
            click.echo(f"git-model: {line}", err=True)
        return
    scope = _scope(local, global_, system)
    repo = _repo_or_none(app)
    if scope == "local" and repo is None:
        raise NotARepositoryError("uninstall --local: not inside a git repository")
    cwd = repo.worktree or repo.git_dir if repo else None
    uninstall_config(scope, cwd)
    click.echo(f"git-model: filters removed ({scope})", err=True)
    if repo is not None:
        for line in uninstall_hooks(repo):
            click.echo(f"git-model: {line}", err=True)


def register(group: click.Group) -> None:
    group.add_command(install)
    group.add_command(uninstall)
