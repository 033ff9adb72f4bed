"""`git model install` / `uninstall`: the filter, diff and merge driver configuration.

The config points at an absolute command: Git runs filters with the user's PATH, on which a
virtualenv's `git-model` often is not. We use the running interpreter (`python -m git_model`),
which keeps working as long as that environment exists.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from git_model.git.repo import run_git

SCOPES = ("global", "system", "local")


def command_prefix() -> str:
    """Shell words that start git-model from Git, whatever PATH Git runs with."""
    return f"{shlex.quote(sys.executable)} -m git_model"


def filter_config(skip_smudge: bool = False) -> dict[str, str]:
    """The config entries `install` writes (and `uninstall` removes)."""
    exe = command_prefix()
    smudge = f"{exe} smudge --skip -- %f" if skip_smudge else f"{exe} smudge -- %f"
    process = f"{exe} filter-process --skip" if skip_smudge else f"{exe} filter-process"
    return {
        "filter.model.process": process,
        "filter.model.clean": f"{exe} clean -- %f",
        "filter.model.smudge": smudge,
        "filter.model.required": "true",
        "diff.model.textconv": f"{exe} diff-textconv",
        "diff.model.binary": "true",
        "merge.model.name": "git-model pointer merge",
        "merge.model.driver": f"{exe} merge-driver %O %A %B %P",
    }


def _scope_args(scope: str, repo_dir: Path | None) -> list[str]:
    if scope not in SCOPES:
        raise ValueError(scope)
    return [f"--{scope}"]


def is_ours(value: str) -> bool:
    return "git_model" in value or "git-model" in value


def install_config(scope: str, cwd: Path | None, skip_smudge: bool = False) -> list[str]:
    """Write the entries; returns the keys that changed. Idempotent, touches nothing else."""
    changed = []
    for key, value in filter_config(skip_smudge).items():
        current = run_git(["config", *_scope_args(scope, cwd), "--get", key], cwd=cwd, check=False)
        if current.returncode == 0 and current.stdout.decode().rstrip("\n") == value:
            continue
        run_git(["config", *_scope_args(scope, cwd), key, value], cwd=cwd)
        changed.append(key)
    return changed


def uninstall_config(scope: str, cwd: Path | None) -> list[str]:
    """Remove our entries (only values that are ours); returns the keys removed."""
    removed = []
    for key in filter_config():
        current = run_git(["config", *_scope_args(scope, cwd), "--get", key], cwd=cwd, check=False)
        value = current.stdout.decode().rstrip("\n")
        if current.returncode == 0 and (is_ours(value) or key.endswith((".required", ".binary", ".name", ".cachetextconv"))):
            run_git(["config", *_scope_args(scope, cwd), "--unset", key], cwd=cwd)
            removed.append(key)
    for section in ("filter.model", "diff.model", "merge.model"):
        listing = run_git(["config", *_scope_args(scope, cwd), "--get-regexp", f"^{section}\\."], cwd=cwd, check=False)
        if listing.returncode != 0:  # section now empty: drop its header too
            run_git(["config", *_scope_args(scope, cwd), "--remove-section", section], cwd=cwd, check=False)
    return removed
