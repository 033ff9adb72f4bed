"""Installing git-model's hooks without ever overwriting someone else's.

Every hook is the program ``hooks/template.sh`` filled in with the hook name and the absolute
command that starts git-model. A hook file is ours when it carries `MARKER`; a foreign hook is
renamed ``NAME.chained`` and run first by ours; uninstall puts it back.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from git_model.errors import GitModelError
from git_model.git.repo import Repo
from git_model.install import command_prefix
from git_model.store.atomic import write_atomic

MARKER = "# git-model hook:"
# Hooks whose behaviour `git model hook NAME` implements; each issue that adds one lists it.
CLIENT_HOOKS: tuple[str, ...] = ("pre-push", "post-checkout", "post-merge", "pre-commit")
SERVER_HOOKS: tuple[str, ...] = ("pre-receive",)
STDIN_HOOKS = {"pre-push", "pre-receive"}


def template_text() -> str:
    return resources.files("git_model").joinpath("hook_programs/template.sh").read_text()


def render(hook: str) -> str:
    reads_stdin = hook in STDIN_HOOKS
    fields = {
        "@HOOK@": hook,
        "@GIT_MODEL@": command_prefix(),
        "@READ_STDIN@": 'input=$(mktemp) || exit 1\ncat > "$input"' if reads_stdin else "",
        "@CHAINED_CALL@": f'"$here/{hook}.chained" "$@" < "$input"' if reads_stdin else f'"$here/{hook}.chained" "$@"',
        "@STDIN_REDIRECT@": '< "$input"' if reads_stdin else "",
        "@CLEANUP@": 'rm -f "$input";' if reads_stdin else ":;",
    }
    text = template_text()
    for key, value in fields.items():
        text = text.replace(key, value)
    return text


def is_ours(path: Path) -> bool:
    try:
        with open(path, "r", errors="replace") as handle:
            return MARKER in handle.read(4096)
    except FileNotFoundError:
        return False


def install_hooks(repo: Repo, hooks: tuple[str, ...] | None = None) -> list[str]:
    """Install (or refresh) our hooks; returns one message per change."""
    hooks = hooks or (SERVER_HOOKS if repo.is_bare else CLIENT_HOOKS)
    directory = repo.hooks_dir()
    directory.mkdir(parents=True, exist_ok=True)
    messages = []
    for hook in hooks:
        path = directory / hook
        text = render(hook)
        if path.exists() and not is_ours(path):
            chained = directory / f"{hook}.chained"
            if chained.exists():
                messages.append(f"{path}: left alone ({chained.name} already exists; merge them by hand)")
                continue
            os.replace(path, chained)
            messages.append(f"{hook}: existing hook kept as {chained.name} and run first")
        if path.exists() and path.read_text() == text:
            continue
        write_atomic(path, text.encode())
        path.chmod(0o755)
        messages.append(f"{hook} hook installed")
    return messages


def ensure_hooks(repo: Repo) -> None:
    """Install our client hooks where no hook of that name exists (quietly: this runs inside
    Git's filter process, e.g. during `git clone`, whose post-checkout must then run ours).
    Never renames or touches an existing hook; `git model install` does the chaining."""
    if repo.is_bare:
        return
    directory = repo.hooks_dir()
    if not directory.is_dir():
        return  # e.g. core.hooksPath=/dev/null: the user turned hooks off
    absent = tuple(h for h in CLIENT_HOOKS if not (directory / h).exists())
    if absent:
        try:
            install_hooks(repo, absent)
        except (GitModelError, OSError):
            pass  # an unwritable hooks dir must not break checkout; `install` reports it


def uninstall_hooks(repo: Repo) -> list[str]:
    directory = repo.hooks_dir()
    messages = []
    for hook in CLIENT_HOOKS + SERVER_HOOKS:
        path = directory / hook
        if not is_ours(path):
            continue
        path.unlink()
        chained = directory / f"{hook}.chained"
        if chained.exists():
            os.replace(chained, path)
            messages.append(f"{hook}: earlier hook restored")
        else:
            messages.append(f"{hook} hook removed")
    return messages
