"""Which model versions a repository still needs locally (what `gc` must keep).

Kept: every model in the tips of local branches and tags, in commits of the last
`model.pruneRecentDays` days (default 7) on them, in the HEAD and index of every worktree, in
every stash entry, and in every commit no remote-tracking ref reaches (unpushed work).
"""

from __future__ import annotations

from pathlib import Path

from git_model.git.pointers import read_pointers, pointers_in_range, pointers_in_tree
from git_model.git.repo import Repo, find_repo


def _ls_tree_revs(repo: Repo) -> list[str]:
    tips = repo.git("for-each-ref", "--format=%(objectname)", "refs/heads", "refs/tags").stdout.decode().split()
    stash = repo.git("rev-list", "-g", "refs/stash", check=False).stdout.decode().split()
    index_commits = [f"{s}^2" for s in stash]
    return list(dict.fromkeys(tips + stash + index_commits))


def _worktrees(repo: Repo) -> list[Path]:
    out = repo.git("worktree", "list", "--porcelain").stdout.decode().splitlines()
    return [Path(line[len("worktree ") :]) for line in out if line.startswith("worktree ")]


def _index_pointers(worktree: Path) -> set[str]:
    tree_repo = find_repo(worktree)
    listing = tree_repo.git("ls-files", "-s", "-z").stdout.split(b"\0")
    candidates = []
    for entry in filter(None, listing):
        meta, _, name = entry.partition(b"\t")
        _mode, oid, _stage = meta.decode().split()
        candidates.append((oid, name.decode(errors="surrogateescape")))
    return {p.pointer.oid for p in read_pointers(tree_repo, candidates)}


def live_model_oids(repo: Repo, recent_days: int) -> set[str]:
    live: set[str] = set()
    for rev in _ls_tree_revs(repo):
        if repo.git("cat-file", "-e", f"{rev}^{{tree}}", check=False).returncode == 0:
            live.update(p.pointer.oid for p in pointers_in_tree(repo, rev))
    if recent_days > 0:
        live.update(p.pointer.oid for p in pointers_in_range(repo, [f"--since={recent_days}.days", "--branches", "--tags"], []))
    live.update(p.pointer.oid for p in pointers_in_range(repo, ["--branches", "--tags"], ["--remotes"]))
    if not repo.is_bare:
        for worktree in _worktrees(repo):
            if worktree.exists():
                live.update(_index_pointers(worktree))
                head = find_repo(worktree).git("rev-parse", "-q", "--verify", "HEAD", check=False).stdout.decode().strip()
                if head:
                    live.update(p.pointer.oid for p in pointers_in_tree(repo, head))
    return live
