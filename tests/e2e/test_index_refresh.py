"""refresh_stat against the real `git`: after it, `git status` is clean without running the clean
filter. The filter here ignores its input and always answers the same text, standing in for
git-model's clean filter (which maps a big model to its small pointer); it logs each call."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from git_model.errors import GitModelError, UsageError
from git_model.git.index_file import IndexEntry, IndexFile, parse_index, refresh_stat
from git_model.git.repo import Repo, find_repo

PAST = time.time() - 3600  # committed files get this mtime, so their entries are never racy


def git(cwd: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr.decode()}"
    return proc.stdout


class FilteredRepo:
    """A repository whose *.bin files go through a logging, input-ignoring clean filter."""

    def __init__(self, root: Path, log: Path) -> None:
        self.root = root
        self.log = log

    @property
    def repo(self) -> Repo:
        return find_repo(self.root)

    def filter_calls(self) -> int:
        return self.log.read_text().count("called") if self.log.exists() else 0

    def write(self, name: str, data: bytes, past: bool = False) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if past:
            os.utime(path, (PAST, PAST))

    def commit(self, *names: str) -> None:
        git(self.root, "add", *names)
        git(self.root, "commit", "-qm", f"add {' '.join(names)}")

    def blob(self, name: str) -> str:
        return git(self.root, "rev-parse", f":{name}").decode().strip()

    def status(self) -> bytes:
        return git(self.root, "status", "--porcelain")

    def index(self) -> IndexFile:
        path = self.root / ".git" / "index"
        hash_name = git(self.root, "rev-parse", "--show-object-format").decode().strip()
        return parse_index(path.read_bytes(), hash_name, path)

    def entry(self, name: str) -> IndexEntry:
        return next(e for e in self.index().entries() if e.path == name.encode())


@pytest.fixture
def filtered(tmp_path: Path) -> FilteredRepo:
    return make_filtered(tmp_path)


def make_filtered(tmp_path: Path, *init_args: str) -> FilteredRepo:
    root = tmp_path / "repo"
    root.mkdir()
    log = tmp_path / "filter.log"
    git(root, "init", "-q", *init_args)
    script = f"cat >/dev/null; echo pointer; echo called >> {shlex.quote(str(log))}"
    git(root, "config", "filter.t.clean", f"sh -c {shlex.quote(script)}")
    repo = FilteredRepo(root, log)
    repo.write(".gitattributes", b"*.bin filter=t\n", past=True)
    repo.commit(".gitattributes")
    return repo


def replace_model(repo: FilteredRepo, name: str, size: int) -> None:
    """What git-model's direct checkout does: new bytes, straight into the working tree."""
    repo.write(name, os.urandom(size))


def assert_clean_without_filter(repo: FilteredRepo) -> None:
    before = repo.filter_calls()
    assert repo.status() == b""
    assert repo.filter_calls() == before, "git status ran the clean filter"


@pytest.mark.parametrize("size", [8, 100_000], ids=["same-size", "other-size"])
def test_status_is_clean_and_the_filter_is_not_run(filtered: FilteredRepo, size: int) -> None:
    filtered.write("big.bin", b"original", past=True)
    filtered.commit("big.bin")
    oid = git(filtered.root, "rev-parse", "HEAD:big.bin").decode().strip()
    replace_model(filtered, "big.bin", size)

    assert refresh_stat(filtered.repo, {"big.bin": oid}) == ["big.bin"]

    assert_clean_without_filter(filtered)
    entry = filtered.entry("big.bin")
    st = (filtered.root / "big.bin").stat()
    assert (entry.stat.size, entry.stat.ino, entry.stat.mtime_ns) == (size, st.st_ino, st.st_mtime_ns % 10**9)
    index_mtime = (filtered.root / ".git" / "index").stat().st_mtime_ns // 10**9
    assert index_mtime > st.st_mtime_ns // 10**9  # not racily clean, even at 1 s resolution


def test_control_without_refresh_git_reads_the_file_or_reports_it(filtered: FilteredRepo) -> None:
    filtered.write("big.bin", b"original", past=True)
    filtered.commit("big.bin")
    calls = filtered.filter_calls()
    replace_model(filtered, "big.bin", 8)  # same size: git must re-read it through the filter
    assert filtered.status() == b""
    assert filtered.filter_calls() > calls
    replace_model(filtered, "big.bin", 100_000)  # other size: git calls it modified
    assert filtered.status() == b" M big.bin\n"


def test_two_files(filtered: FilteredRepo) -> None:
    filtered.write("a.bin", b"aaaa", past=True)
    filtered.write("models/b.bin", b"bbbbbb", past=True)
    filtered.commit("a.bin", "models/b.bin")
    expected = {"a.bin": filtered.blob("a.bin"), "models/b.bin": filtered.blob("models/b.bin")}
    replace_model(filtered, "a.bin", 5000)
    replace_model(filtered, "models/b.bin", 7000)

    assert sorted(refresh_stat(filtered.repo, expected)) == ["a.bin", "models/b.bin"]
    assert_clean_without_filter(filtered)


def test_entry_with_another_blob_is_not_touched(filtered: FilteredRepo) -> None:
    filtered.write("a.bin", b"aaaa", past=True)
    filtered.write("b.bin", b"bbbb", past=True)
    filtered.commit("a.bin", "b.bin")
    replace_model(filtered, "a.bin", 5000)
    replace_model(filtered, "b.bin", 6000)
    before = filtered.index()
    b_before = next(e for e in before.entries() if e.path == b"b.bin")
    other_oid = "1" * 40  # e.g. the pointer of a model version the index no longer holds

    updated = refresh_stat(filtered.repo, {"a.bin": filtered.blob("a.bin"), "b.bin": other_oid, "gone.bin": "2" * 40})

    assert updated == ["a.bin"]
    after = filtered.index()
    b_after = next(e for e in after.entries() if e.path == b"b.bin")
    assert after.data[b_after.offset : b_after.end] == before.data[b_before.offset : b_before.end]
    a_after = next(e for e in after.entries() if e.path == b"a.bin")
    # everything but a.bin's stat words is byte for byte the same
    assert after.data[: a_after.offset] == before.data[: a_after.offset]
    assert after.data[a_after.offset + 40 : -20] == before.data[a_after.offset + 40 : -20]
    assert filtered.status() == b" M b.bin\n"


def test_symlinked_and_missing_paths_are_left_alone(filtered: FilteredRepo) -> None:
    filtered.write("a.bin", b"aaaa", past=True)
    filtered.write("link.bin", b"llll", past=True)
    filtered.write("gone.bin", b"gggg", past=True)
    filtered.commit("a.bin", "link.bin", "gone.bin")
    expected = {name: filtered.blob(name) for name in ("a.bin", "link.bin", "gone.bin")}
    (filtered.root / "link.bin").unlink()
    (filtered.root / "link.bin").symlink_to("a.bin")
    (filtered.root / "gone.bin").unlink()
    before = {name: filtered.entry(name).stat for name in ("link.bin", "gone.bin")}

    assert refresh_stat(filtered.repo, expected) == ["a.bin"]

    assert {name: filtered.entry(name).stat for name in ("link.bin", "gone.bin")} == before


def test_unmerged_entries_are_left_alone(filtered: FilteredRepo) -> None:
    filtered.write("a.txt", b"base\n", past=True)  # not filtered, so the sides can differ
    filtered.commit("a.txt")
    git(filtered.root, "checkout", "-qb", "other")
    filtered.write("a.txt", b"other side\n")
    filtered.commit("a.txt")
    git(filtered.root, "checkout", "-q", "-")
    filtered.write("a.txt", b"this side\n")
    filtered.commit("a.txt")
    subprocess.run(["git", "merge", "-q", "other"], cwd=filtered.root, capture_output=True, check=False)
    stages = {e.stage: e.oid.hex() for e in filtered.index().entries() if e.path == b"a.txt"}
    assert sorted(stages) == [1, 2, 3]
    before = filtered.index().data

    for oid in stages.values():
        assert refresh_stat(filtered.repo, {"a.txt": oid}) == []

    assert filtered.index().data == before


def test_index_v4(filtered: FilteredRepo) -> None:
    for name in ("models/a.bin", "models/b.bin", "models/c.bin"):
        filtered.write(name, name.encode(), past=True)
    filtered.commit("models")
    git(filtered.root, "update-index", "--index-version", "4")
    oid = filtered.blob("models/b.bin")
    replace_model(filtered, "models/b.bin", 3000)

    assert refresh_stat(filtered.repo, {"models/b.bin": oid}) == ["models/b.bin"]
    assert filtered.index().version == 4
    assert_clean_without_filter(filtered)


def test_sha256_repository(tmp_path: Path) -> None:
    repo = make_filtered(tmp_path, "--object-format=sha256")
    repo.write("big.bin", b"original", past=True)
    repo.commit("big.bin")
    oid = repo.blob("big.bin")
    assert len(oid) == 64
    replace_model(repo, "big.bin", 4000)
    assert refresh_stat(repo.repo, {"big.bin": oid}) == ["big.bin"]
    assert_clean_without_filter(repo)


def test_existing_lock_is_an_error_and_is_left_in_place(filtered: FilteredRepo) -> None:
    filtered.write("big.bin", b"original", past=True)
    filtered.commit("big.bin")
    replace_model(filtered, "big.bin", 4000)
    lock = filtered.root / ".git" / "index.lock"
    lock.write_bytes(b"someone else's")
    before = (filtered.root / ".git" / "index").read_bytes()

    with pytest.raises(GitModelError, match="(?i)another git process") as err:
        refresh_stat(filtered.repo, {"big.bin": filtered.blob("big.bin")})

    assert str(lock) in str(err.value)
    assert lock.read_bytes() == b"someone else's"
    assert (filtered.root / ".git" / "index").read_bytes() == before


def test_lock_is_removed_when_the_index_is_damaged(filtered: FilteredRepo) -> None:
    filtered.write("big.bin", b"original", past=True)
    filtered.commit("big.bin")
    oid = filtered.blob("big.bin")
    index = filtered.root / ".git" / "index"
    index.write_bytes(index.read_bytes()[:-1] + b"\0")
    with pytest.raises(GitModelError, match="checksum"):
        refresh_stat(filtered.repo, {"big.bin": oid})
    assert not (filtered.root / ".git" / "index.lock").exists()


def test_git_index_file_is_honoured(filtered: FilteredRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    filtered.write("big.bin", b"original", past=True)
    filtered.commit("big.bin")
    oid = filtered.blob("big.bin")
    default = filtered.root / ".git" / "index"
    other = filtered.root.parent / "other-index"
    other.write_bytes(default.read_bytes())
    before = default.read_bytes()
    replace_model(filtered, "big.bin", 4000)
    monkeypatch.setenv("GIT_INDEX_FILE", str(other))

    assert refresh_stat(filtered.repo, {"big.bin": oid}) == ["big.bin"]

    assert default.read_bytes() == before
    assert other.read_bytes() != before
    assert_clean_without_filter(filtered)  # git status reads GIT_INDEX_FILE too


def test_racily_clean_entries_of_others_stay_detectable(filtered: FilteredRepo) -> None:
    """A same-second, same-size edit that Git can only see because the entry is racy must
    still show after our rewrite moves the index mtime forward."""
    filtered.write("big.bin", b"original", past=True)
    filtered.write("notes.txt", b"old\n", past=True)
    filtered.commit("big.bin", "notes.txt")
    oid = filtered.blob("big.bin")
    for _attempt in range(5):
        while time.time() % 1 > 0.3:  # start early in a second: the next steps fit in it
            time.sleep(0.01)
        filtered.write("notes.txt", b"aaa\n")
        git(filtered.root, "add", "notes.txt")
        filtered.write("notes.txt", b"bbb\n")  # same size, same second: stat looks unchanged
        index_second = (filtered.root / ".git" / "index").stat().st_mtime_ns // 10**9
        notes = (filtered.root / "notes.txt").stat()
        if index_second == notes.st_mtime_ns // 10**9 == notes.st_ctime_ns // 10**9:
            break
    else:
        pytest.skip("could not fit add and edit into one second")
    replace_model(filtered, "big.bin", 4000)

    assert refresh_stat(filtered.repo, {"big.bin": oid}) == ["big.bin"]

    assert filtered.entry("notes.txt").stat.size == 0  # smudged, as Git does
    assert filtered.status() == b"MM notes.txt\n"


def test_split_index_falls_back_to_git(filtered: FilteredRepo) -> None:
    filtered.write("big.bin", b"original", past=True)
    filtered.commit("big.bin")
    oid = filtered.blob("big.bin")
    git(filtered.root, "update-index", "--split-index")
    assert filtered.index().needs_git() == (b"link",)
    replace_model(filtered, "big.bin", 8)

    assert refresh_stat(filtered.repo, {"big.bin": oid}) == []

    assert not (filtered.root / ".git" / "index.lock").exists()
    assert_clean_without_filter(filtered)  # git's own refresh recorded the stat data


def test_sparse_index_falls_back_to_git(filtered: FilteredRepo) -> None:
    filtered.write("models/big.bin", b"original", past=True)
    filtered.write("other/x.txt", b"x", past=True)
    filtered.commit("models", "other")
    oid = filtered.blob("models/big.bin")
    git(filtered.root, "sparse-checkout", "set", "--cone", "--sparse-index", "models")
    assert b"sdir" in filtered.index().needs_git()
    replace_model(filtered, "models/big.bin", 8)

    assert refresh_stat(filtered.repo, {"models/big.bin": oid}) == []

    assert_clean_without_filter(filtered)


def test_bad_arguments(filtered: FilteredRepo) -> None:
    with pytest.raises(UsageError):
        refresh_stat(filtered.repo, {"../x.bin": "1" * 40})
    with pytest.raises(UsageError):
        refresh_stat(filtered.repo, {"x.bin": "not hex"})
    assert refresh_stat(filtered.repo, {}) == []
