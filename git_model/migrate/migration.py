"""`migrate import` / `export` from start to end: checks, pre-flight scan, ref backups, the
rewrite, and the working tree. Every check that can fail runs before a ref changes.

Order: (1) the refs and, when the current branch is among them, a clean working tree (and for
import, git-model's filters configured, since the converted files check out through them);
(2) the scan, which parses the whole history and classifies the selected blobs; (3) everything
the conversion needs is present: LFS objects (import) or models in the store, fetched when
possible (export); (4) the rewrite; (5) each changed ref's old value is saved as
``refs/git-model/migrate-backup/<ref>``; (6) the current branch's
working tree is reset to the rewritten commit (tracked files only; it was clean).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from git_model.errors import GitModelError, MissingObjectError, UsageError
from git_model.git.repo import Repo
from git_model.migrate import gitattributes
from git_model.migrate.catfile import CatFile
from git_model.migrate.convert import ConvertStats, Progress, ToBlob, ToModel
from git_model.migrate.history import (
    BACKUP_PREFIX,
    Selection,
    current_branch,
    ref_values,
)
from git_model.migrate.lfs import LfsObjects
from git_model.migrate.rewrite import rewrite
from git_model.migrate.scan import (
    LFS,
    MODEL,
    PLAIN,
    BlobInfo,
    lfs_excluded,
    missing_lfs_objects,
    scan,
)
from git_model.pointer import Pointer
from git_model.store.store import LocalStore


@dataclass
class MigrateReport:
    refs: list[str]
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # ref → (old, new)
    commits: int = 0  # commits read
    rewritten: int = 0  # commits whose id changed
    stats: ConvertStats = field(default_factory=ConvertStats)
    worktree_updated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return self.stats.blobs == 0 and not self.changed


def backup_ref(ref: str) -> str:
    return BACKUP_PREFIX + ref


def _checks_worktree(repo: Repo, refs: list[str]) -> bool:
    """True when the current branch is rewritten; then its working tree must be clean."""
    branch = current_branch(repo)
    if repo.worktree is None or branch not in refs:
        return False
    status = repo.git("status", "--porcelain", "--untracked-files=no").stdout.decode(errors="replace").splitlines()
    if status:
        sample = ", ".join(line[3:] for line in status[:3]) + (" …" if len(status) > 3 else "")
        raise UsageError(f"migrate: the working tree has uncommitted changes ({sample}); commit or stash them first")
    return True


def _rewrite_refs(repo: Repo, refs: list[str], run: Callable[[], tuple[int, int]], report: MigrateReport) -> None:
    """Run the rewrite; then save the old value of each ref it changed as its backup ref
    (replacing a backup of an earlier migration; branch reflogs keep those too)."""
    old = ref_values(repo, refs)
    report.commits, report.rewritten = run()
    new = ref_values(repo, refs)
    report.changed = {r: (old[r], new[r]) for r in old if new.get(r) != old[r]}
    if report.changed:
        lines = "".join(f"update {backup_ref(r)} {old_value}\n" for r, (old_value, _) in report.changed.items())
        repo.git("update-ref", "--stdin", input=lines.encode())


def _update_worktree(repo: Repo, report: MigrateReport, head_ref: str | None) -> None:
    if head_ref is None or head_ref not in report.changed:
        return
    repo.git("reset", "--hard", "-q")
    report.worktree_updated = True


def import_history(repo: Repo, store: LocalStore, refs: list[str], selection: Selection, progress: Progress | None = None) -> MigrateReport:
    """Turn the selected ordinary blobs and LFS pointers of ``refs``' history into git-model pointers."""
    checkout = _checks_worktree(repo, refs)
    if checkout and not (repo.config_get("filter.model.process") or repo.config_get("filter.model.smudge")):
        raise UsageError("migrate import: git-model's filters are not configured; run 'git model install' first")
    found = scan(repo, refs, selection)
    report = MigrateReport(refs)
    if not any(info.kind in (PLAIN, LFS) for _, info in found.pairs()):
        return report
    objects = LfsObjects(repo)
    missing = missing_lfs_objects(found, objects)
    if missing:
        path, oid, problem = missing[0]
        more = f" ({len(missing) - 1} more LFS object(s) missing)" if len(missing) > 1 else ""
        raise MissingObjectError(
            f"{path}: LFS object {oid} {problem}; run 'git lfs fetch --all' first (nothing was rewritten){more}"
        )
    keep_lfs = lfs_excluded(found, selection)
    include, exclude = list(selection.include), list(selection.exclude)

    def attributes(content: bytes | None, nested: bool) -> bytes | None:
        return gitattributes.for_import(content, include, exclude, keep_lfs, nested)

    def run() -> tuple[int, int]:
        with CatFile(repo) as cat:
            converter = ToModel(store, cat, objects, found.blobs, progress)
            result = rewrite(repo, refs, selection, converter, attributes)
        report.stats = converter.stats
        return result.commits, result.rewritten

    _rewrite_refs(repo, refs, run, report)
    head_ref = current_branch(repo) if checkout else None
    _update_worktree(repo, report, head_ref)
    if report.worktree_updated:
        _write_large_models(repo, store, report)
    if report.stats.lfs_blobs:
        report.notes.append(_lfs_note(repo, refs))
    return report


def _write_large_models(repo: Repo, store: LocalStore, report: MigrateReport) -> None:
    """Models above the direct-checkout size are left as pointers by the filter: write them."""
    from git_model.sharing import materialize

    try:
        materialize(repo, store, None, None)
    except GitModelError as err:
        report.notes.append(f"some models were left as pointers in the working tree ({err}); run 'git model checkout'")


def _lfs_note(repo: Repo, refs: list[str]) -> str:
    still = []
    for ref in refs:
        proc = repo.git("cat-file", "blob", f"{ref}:.gitattributes", check=False)
        if proc.returncode == 0 and b"filter=lfs" in proc.stdout:
            still.append(ref)
    if still:
        return f"Git LFS still tracks other patterns in {', '.join(still)}"
    return "no Git LFS pattern is left in .gitattributes: 'git lfs uninstall --local' removes LFS's filters and hooks"


def export_history(
    repo: Repo,
    store: LocalStore,
    refs: list[str],
    selection: Selection,
    ensure_local: Callable[[list[Pointer]], object],
    progress: Progress | None = None,
) -> MigrateReport:
    """Turn the selected git-model pointers of ``refs``' history into ordinary blobs."""
    checkout = _checks_worktree(repo, refs)
    found = scan(repo, refs, selection)
    report = MigrateReport(refs)
    models = [(path, info) for path, info in found.pairs() if info.kind == MODEL]
    if not models:
        return report
    _ensure_models(store, models, ensure_local)
    include = list(selection.include)

    def run() -> tuple[int, int]:
        converter = ToBlob(store, found.blobs, progress)
        result = rewrite(repo, refs, selection, converter, lambda content, _nested: gitattributes.for_export(content, include))
        report.stats = converter.stats
        return result.commits, result.rewritten

    _rewrite_refs(repo, refs, run, report)
    _update_worktree(repo, report, current_branch(repo) if checkout else None)
    return report


def _ensure_models(store: LocalStore, models: list[tuple[str, BlobInfo]], ensure_local: Callable[[list[Pointer]], object]) -> None:
    pointers = {info.pointer.oid: (path, info.pointer) for path, info in models if info.pointer is not None}
    lacking = [(path, p) for path, p in pointers.values() if not store.has_complete(p)]
    if not lacking:
        return
    try:
        ensure_local([p for _, p in lacking])
    except GitModelError as err:
        path, pointer = lacking[0]
        raise MissingObjectError(
            f"{path}: model {pointer.short} is not in the local store and could not be fetched ({err}); nothing was rewritten"
        ) from None
