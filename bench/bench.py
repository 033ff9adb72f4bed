#!/usr/bin/env python3
"""git-model vs Git LFS, side by side in one run on this machine.

Two scenarios (``--scenario add|share|all``, default ``all``), each tool in its own fresh
repositories, same input files, same page-cache state, isolated HOME / global git config.

``add`` (one repository):

1. ``git add`` of a new model (v1): wall time.
2. ``git add`` of v2, where a fraction of the tensors changed (``fine_tune``): wall time, and
   store growth (git-model: ``.git/model``; LFS: ``.git/lfs/objects``) against the changed bytes.
3. Peak RSS of the filter process during each add and during checkout (the filter command is
   wrapped in ``/usr/bin/time -f %M``), git's own peak RSS (``VmHWM`` polled from /proc), and the
   peak of git + filter resident together (sum of ``VmRSS`` over the process tree, sampled).
4. ``git checkout -- FILE`` of the model after deleting it: wall time, RSS, bit-exactness.
   Then ``git status`` right after (a racy index makes Git re-run the clean filter there).

``share`` (a bare remote repository on another filesystem, ``--remote-dir``, default /dev/shm;
clients under the work dir; both tools reach it through a ``file://`` URL: git-model's
embedded store ``remote.git/model``, Git LFS's standalone file transfer ``remote.git/lfs/objects``):

1. client A commits v1 and ``git push``es: wall time, RSS, bytes moved (remote store growth);
2. ``git clone`` into B: wall time, RSS, bytes moved (B's store), bit-exactness, ``git status``;
3. A commits v2 and pushes: the same; bytes moved against the changed bytes;
4. ``git pull`` in B (v1 → v2): wall time, RSS, bytes moved (growth of B's store);
5. ``git clone`` of v2 into C: the same as 2.

Usage::

    python bench/bench.py                 # 1 GiB, both scenarios, writes docs/benchmarks.md
    python bench/bench.py --size-mib 64 --no-write                # quick run
    python bench/bench.py --scenario share --size-mib 4096 --tools git-model   # RSS at 4 GiB

The Markdown report (tables, ratios, targets, machine, date, exact command) goes to stdout and
to ``--output`` (default docs/benchmarks.md; a section per scenario and model size is replaced
in place).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from modelgen import DTYPE_BYTES, fine_tune, tensor_specs, write_safetensors  # noqa: E402

TIME_BIN = "/usr/bin/time"
MODEL_NAME = "model.safetensors"
TOOLS = ("git-model", "git-lfs")
MIB = 1 << 20

# Targets from the brief: (metric key, comparison, threshold, description)
TARGET_ADD_V1 = 2.0  # LFS time / git-model time
TARGET_ADD_V2 = 5.0
TARGET_GROWTH = 1.15  # git-model store growth / changed bytes
TARGET_FILTER_RSS_MB = 150.0
TARGET_CLONE = 1.0  # LFS clone time / git-model clone time: git-model no slower
TARGET_SHARE_RSS_MB = 300.0  # whole clone/pull (git + every child) for a 4 GiB model


# --------------------------------------------------------------------------------------------
# process-tree RSS sampling
# --------------------------------------------------------------------------------------------
def _status_fields(pid: int) -> dict[str, int] | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            text = handle.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("PPid", "VmHWM", "VmRSS"):
            out[key] = int(value.split()[0])
    return out


def _descendants(root: int) -> set[int] | None:
    """``root`` and its descendants from the kernel's per-thread children lists: a handful of
    small reads, where scanning all of /proc cost ~2 ms per sample, CPU taken from the very
    commands being measured. None when the kernel lacks these lists."""
    if not os.path.exists(f"/proc/{root}/task/{root}/children"):
        return None if os.path.exists(f"/proc/{root}") else {root}
    seen: set[int] = set()
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as handle:
                    frontier.extend(int(c) for c in handle.read().split())
            except OSError:
                pass
    return seen


class TreeSampler(threading.Thread):
    """Samples a process tree every ``interval`` s: the root's VmHWM and the peak sum of VmRSS."""

    def __init__(self, root_pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.root = root_pid
        self.interval = interval
        self.root_hwm_kb = 0
        self.tree_peak_kb = 0
        self.child_hwm_kb = 0  # largest single descendant (filter, hooks, the git they run)
        self._halt = threading.Event()

    def _sample(self) -> None:
        members = _descendants(self.root)
        if members is None:  # no /proc/<pid>/task/<tid>/children: scan every process
            stats = {int(n): f for n in os.listdir("/proc") if n.isdigit() and (f := _status_fields(int(n)))}
            members, grew = {self.root}, True
            while grew:
                grew = False
                for pid, fields in stats.items():
                    if pid not in members and fields.get("PPid") in members:
                        members.add(pid)
                        grew = True
        else:
            stats = {pid: f for pid in members if (f := _status_fields(pid)) is not None}
        root = stats.get(self.root)
        if root:
            self.root_hwm_kb = max(self.root_hwm_kb, root.get("VmHWM", 0))
        for pid in members - {self.root}:
            self.child_hwm_kb = max(self.child_hwm_kb, stats[pid].get("VmHWM", 0))
        total = sum(stats[p].get("VmRSS", 0) for p in members if p in stats)
        self.tree_peak_kb = max(self.tree_peak_kb, total)

    def run(self) -> None:
        while not self._halt.is_set():
            self._sample()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


@dataclass
class Measured:
    wall: float
    git_rss_kb: int  # git's own peak (VmHWM)
    tree_rss_kb: int  # git + children resident at the same time (sampled peak)
    filter_rss_kb: int | None  # exact peak of the filter process (GNU time %M)
    child_rss_kb: int = 0  # largest descendant of git (sampled VmHWM): filter, hooks, ...
    stdout: str = ""
    cpu: float = 0.0  # user + sys CPU seconds of git and every descendant it waited for


def run_measured(args: list[str], cwd: Path, env: dict[str, str], rss_file: Path) -> Measured:
    """Run a git command; wall time, git's RSS, tree RSS and the wrapped filter's RSS."""
    rss_file.unlink(missing_ok=True)
    env = {**env, "BENCH_RSS_FILE": str(rss_file)}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # nothing else of ours runs meanwhile
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed in {cwd} ({proc.returncode}):\n{err.decode()}{out.decode()}")
    filter_kb = None
    if rss_file.exists():
        values = [int(v) for v in re.findall(r"^\s*(\d+)\s*$", rss_file.read_text(), re.MULTILINE)]
        filter_kb = max(values) if values else None
    return Measured(wall, sampler.root_hwm_kb, max(sampler.tree_peak_kb, sampler.root_hwm_kb), filter_kb,
                    max(sampler.child_hwm_kb, filter_kb or 0), out.decode(errors="replace"), cpu)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def sh(args: list[str], cwd: Path | None, env: dict[str, str]) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc.stdout.decode()


def tree_bytes(path: Path) -> int:
    """Apparent size of every regular file under ``path`` (0 when it does not exist)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except FileNotFoundError:
                pass
    return total


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(4 * MIB):
            digest.update(block)
    return digest.hexdigest()


def copy_in(src: Path, dest: Path) -> None:
    """Copy the input into the worktree, flush it to disk, and leave it in the page cache."""
    tmp = dest.with_name(dest.name + ".benchtmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    os.sync()


def copy_fsync_seconds(src: Path, dest: Path) -> float:
    """How long the disk takes to take a copy of ``src`` durably (a floor for any store's add)."""
    os.sync()
    start = time.perf_counter()
    shutil.copyfile(src, dest)
    fd = os.open(dest, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - start
    dest.unlink()
    return elapsed


def extract_rev(rev: str, dest: Path) -> Path:
    """This repository at ``rev`` (git archive), byte-compiled so no timed run compiles it."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest / "git_model")], check=True)
    return dest


def isolated_env(home: Path, src: Path) -> dict[str, str]:
    """An environment where no user or system Git config is read or touched and
    `python -m git_model` runs the git-model in ``src``."""
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GIT_MODEL_"))}
    pythonpath = os.environ.get("PYTHONPATH", "")
    env.update({
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_TERMINAL_PROMPT": "0",
        "PYTHONPATH": f"{src}{os.pathsep}{pythonpath}" if pythonpath else str(src),
    })
    sh(["git", "config", "--global", "init.defaultBranch", "main"], None, env)
    return env


def fmt_mib(n: float | None) -> str:
    return "n/a" if n is None else f"{n / MIB:,.1f} MiB"


def fmt_kb(kb: float | None) -> str:
    return "n/a" if kb is None else f"{kb / 1024:,.0f} MB"


def fmt_s(s: float | None) -> str:
    if s is None:
        return "n/a"
    return f"{s * 1000:.0f} ms" if s < 0.1 else f"{s:.2f} s"


def median(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


# --------------------------------------------------------------------------------------------
# one tool, one repetition
# --------------------------------------------------------------------------------------------
@dataclass
class ToolRun:
    add_v1: Measured | None = None
    add_v2: Measured | None = None
    checkout: Measured | None = None
    status_s: float | None = None
    growth_v1: int = 0
    growth_v2: int = 0
    pointer_ok: bool = False
    checkout_exact: bool = False
    status_ran_filter: bool = False
    notes: list[str] = field(default_factory=list)


def store_dir(tool: str, repo: Path) -> Path:
    return repo / ".git" / ("model" if tool == "git-model" else "lfs/objects")


def setup_repo(tool: str, repo: Path, env: dict[str, str]) -> None:
    repo.mkdir(parents=True)
    sh(["git", "init", "-q", "-b", "main", str(repo)], None, env)
    if tool == "git-model":
        sh([sys.executable, "-m", "git_model", "install", "--local"], repo, env)
        sh([sys.executable, "-m", "git_model", "track", "*.safetensors"], repo, env)
        key = "filter.model.process"
    else:
        sh(["git", "lfs", "install", "--local"], repo, env)
        sh(["git", "lfs", "track", "*.safetensors"], repo, env)
        key = "filter.lfs.process"
    real = sh(["git", "config", "--local", "--get", key], repo, env).strip()
    # Git runs filter commands through the shell, so $BENCH_RSS_FILE expands per command.
    wrapped = f'{TIME_BIN} -a -o "$BENCH_RSS_FILE" -f %M {real}'
    sh(["git", "config", "--local", key, wrapped], repo, env)
    sh(["git", "add", ".gitattributes"], repo, env)
    sh(["git", "commit", "-q", "-m", "track models"], repo, env)


def run_tool(tool: str, base: Path, v1: Path, v2: Path, v2_sha: str, env: dict[str, str]) -> ToolRun:
    repo = base / tool
    setup_repo(tool, repo, env)
    result = ToolRun()
    target = repo / MODEL_NAME
    store = store_dir(tool, repo)
    rss = base / f"{tool}.rss"

    copy_in(v1, target)
    before = tree_bytes(store)
    result.add_v1 = run_measured(["git", "add", MODEL_NAME], repo, env, rss)
    result.growth_v1 = tree_bytes(store) - before
    staged = sh(["git", "cat-file", "-p", f":{MODEL_NAME}"], repo, env)
    result.pointer_ok = len(staged) < 1024 and staged.startswith("version ")
    sh(["git", "commit", "-q", "-m", "v1"], repo, env)

    copy_in(v2, target)
    before = tree_bytes(store)
    result.add_v2 = run_measured(["git", "add", MODEL_NAME], repo, env, rss)
    result.growth_v2 = tree_bytes(store) - before
    sh(["git", "commit", "-q", "-m", "v2"], repo, env)

    target.unlink()
    os.sync()
    result.checkout = run_measured(["git", "checkout", "--", MODEL_NAME], repo, env, rss)
    status = run_measured(["git", "status", "--porcelain"], repo, env, rss)
    result.status_s = status.wall
    result.status_ran_filter = status.filter_rss_kb is not None
    if status.stdout.strip():
        result.notes.append(f"{tool}: git status not clean after checkout: {status.stdout.strip()!r}")
    result.checkout_exact = sha256_file(target) == v2_sha
    return result



# --------------------------------------------------------------------------------------------
# sharing: push, clone and pull through a bare remote on another filesystem
# --------------------------------------------------------------------------------------------
SHARE_STEPS = ("push_v1", "clone_v1", "push_v2", "pull_v2", "clone_v2")


@dataclass
class ShareRun:
    measured: dict[str, Measured] = field(default_factory=dict)
    moved: dict[str, int] = field(default_factory=dict)  # bytes moved per step (store growth)
    status_s: dict[str, float] = field(default_factory=dict)  # `git status` right after clone/pull
    status_ran_filter: dict[str, bool] = field(default_factory=dict)
    exact: dict[str, bool] = field(default_factory=dict)  # clone/pull result sha256 == input
    notes: list[str] = field(default_factory=list)


def remote_store_dir(tool: str, remote: Path) -> Path:
    return remote / ("model" if tool == "git-model" else "lfs/objects")


def share_env(tool: str, base: Path, env: dict[str, str]) -> dict[str, str]:
    """A HOME of its own whose global config installs ``tool`` with the filter wrapped in GNU
    time, so that the clones (which have no local config yet) use it, as a user's would."""
    home = base / f"home-{tool}"
    home.mkdir(parents=True, exist_ok=True)
    env = {**env, "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")}
    sh(["git", "config", "--global", "init.defaultBranch", "main"], home, env)
    if tool == "git-model":
        sh([sys.executable, "-m", "git_model", "install", "--global"], home, env)
        key = "filter.model.process"
    else:
        sh(["git", "lfs", "install", "--skip-repo"], home, env)
        key = "filter.lfs.process"
    real = sh(["git", "config", "--global", "--get", key], home, env).strip()
    sh(["git", "config", "--global", key, f'{TIME_BIN} -a -o "$BENCH_RSS_FILE" -f %M {real}'], home, env)
    return env


def run_share(tool: str, base: Path, remote_root: Path, inputs: dict[str, tuple[Path, str]],
              env: dict[str, str]) -> ShareRun:
    """One tool through push v1, clone, push v2, pull, clone (see the module docstring)."""
    work = base / tool
    work.mkdir(parents=True)
    env = share_env(tool, work, env)
    remote = remote_root / tool / "remote.git"
    remote.parent.mkdir(parents=True)
    sh(["git", "init", "-q", "--bare", "-b", "main", str(remote)], None, env)
    url = remote.as_uri()
    rstore = remote_store_dir(tool, remote)
    rss = work / "rss"
    result = ShareRun()

    a = work / "a"
    setup_repo(tool, a, env)
    sh(["git", "remote", "add", "origin", url], a, env)

    def push(version: str, step: str) -> None:
        copy_in(inputs[version][0], a / MODEL_NAME)
        sh(["git", "add", MODEL_NAME], a, env)
        sh(["git", "commit", "-q", "-m", version], a, env)
        os.sync()
        before = tree_bytes(rstore)
        result.measured[step] = run_measured(["git", "push", "-q", "-u", "origin", "main"], a, env, rss)
        result.moved[step] = tree_bytes(rstore) - before

    def after_fetch(repo: Path, version: str, step: str) -> None:
        result.exact[step] = sha256_file(repo / MODEL_NAME) == inputs[version][1]
        status = run_measured(["git", "status", "--porcelain"], repo, env, rss)
        result.status_s[step] = status.wall
        result.status_ran_filter[step] = status.filter_rss_kb is not None
        if status.stdout.strip():
            result.notes.append(f"{tool}: git status not clean after {step}: {status.stdout.strip()!r}")

    def clone(version: str, step: str, name: str) -> Path:
        repo = work / name
        os.sync()
        result.measured[step] = run_measured(["git", "clone", "-q", url, str(repo)], work, env, rss)
        result.moved[step] = tree_bytes(store_dir(tool, repo))
        after_fetch(repo, version, step)
        return repo

    push("v1", "push_v1")
    b = clone("v1", "clone_v1", "b")
    push("v2", "push_v2")
    os.sync()
    before = tree_bytes(store_dir(tool, b))
    result.measured["pull_v2"] = run_measured(["git", "pull", "-q", "--ff-only"], b, env, rss)
    result.moved["pull_v2"] = tree_bytes(store_dir(tool, b)) - before
    after_fetch(b, "v2", "pull_v2")
    clone("v2", "clone_v2", "c")
    return result


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def machine_info() -> dict[str, str]:
    mem = {}
    with open("/proc/meminfo") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            mem[key] = int(value.split()[0])
    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(args: list[str]) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem['MemTotal'] / 1024 / 1024:.1f} GiB total, {mem['MemAvailable'] / 1024 / 1024:.1f} GiB available",
        "load avg at start": " ".join(open("/proc/loadavg").read().split()[:3]),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git": version(["git", "--version"]),
        "git-lfs": version(["git", "lfs", "version"]),
    }


def describe_source(rev: str | None) -> str:
    """Which git-model was measured: a commit, or the working tree (and whether it was dirty)."""
    def git_out(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False).stdout.strip()

    if rev:
        return f"commit {git_out('rev-parse', '--short', rev + '^{commit}')} (`--rev {rev}`)"
    dirty = git_out("status", "--porcelain", "--untracked-files=no", "--", "git_model")
    return f"working tree at {git_out('rev-parse', '--short', 'HEAD')}" + (" + uncommitted changes" if dirty else "")


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**no**")


def build_report(args: argparse.Namespace, command: str, runs: dict[str, list[ToolRun]], changed: int,
                 total: int, machine: dict[str, str], started: str, elapsed: float, disk_ref: float) -> str:
    gm, lfs = runs["git-model"], runs["git-lfs"]

    def med(tool_runs: list[ToolRun], getter) -> float | None:
        return median([getter(r) for r in tool_runs])

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None or b == 0 else a / b

    def fr(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.2f}×"

    rows: list[tuple[str, str, str, str, str, str]] = []

    def time_row(label: str, getter, target: float | None) -> None:
        a, b = med(gm, getter), med(lfs, getter)
        r = ratio(b, a)
        rows.append((label, fmt_s(a), fmt_s(b), fr(r),
                     f"≥ {target:g}× faster" if target else "",
                     verdict(None if target is None or r is None else r >= target)))

    time_row("`git add` v1 (new model), wall", lambda r: r.add_v1.wall, TARGET_ADD_V1)
    time_row(f"`git add` v2 ({args.fraction:.0%} of tensors changed), wall", lambda r: r.add_v2.wall, TARGET_ADD_V2)

    g1, l1 = med(gm, lambda r: r.growth_v1), med(lfs, lambda r: r.growth_v1)
    rows.append(("store growth v1", fmt_mib(g1), fmt_mib(l1), fr(ratio(l1, g1)), "", ""))
    g2, l2 = med(gm, lambda r: r.growth_v2), med(lfs, lambda r: r.growth_v2)
    rows.append((f"store growth v2 (changed bytes: {fmt_mib(changed)})", fmt_mib(g2), fmt_mib(l2), fr(ratio(l2, g2)), "", ""))
    gx, lx = ratio(g2, changed), ratio(l2, changed)
    rows.append(("store growth v2 / changed bytes", fr(gx), fr(lx), "",
                 f"git-model ≤ {TARGET_GROWTH:g}×", verdict(None if gx is None else gx <= TARGET_GROWTH)))

    def rss_row(label: str, getter, target_mb: float | None = None) -> None:
        a, b = med(gm, getter), med(lfs, getter)
        ok = None if target_mb is None or a is None else a / 1024 <= target_mb
        rows.append((label, fmt_kb(a), fmt_kb(b), fr(ratio(b, a)),
                     f"git-model ≤ {target_mb:g} MB" if target_mb else "", verdict(ok)))

    rss_row("peak RSS, filter process, add v1", lambda r: r.add_v1.filter_rss_kb, TARGET_FILTER_RSS_MB)
    rss_row("peak RSS, filter process, add v2", lambda r: r.add_v2.filter_rss_kb, TARGET_FILTER_RSS_MB)
    rss_row("peak RSS, git itself, add v1", lambda r: r.add_v1.git_rss_kb)
    time_row("`git checkout -- FILE` (file deleted), wall", lambda r: r.checkout.wall, None)
    rss_row("peak RSS, filter process, checkout", lambda r: r.checkout.filter_rss_kb, TARGET_FILTER_RSS_MB)
    rss_row("peak RSS, largest child of git (filter, hooks), checkout", lambda r: r.checkout.child_rss_kb,
            TARGET_FILTER_RSS_MB)
    rss_row("peak RSS, git itself, checkout", lambda r: r.checkout.git_rss_kb)
    rss_row("peak RSS, git + filter together, checkout (sampled)", lambda r: r.checkout.tree_rss_kb)
    time_row("`git status` right after checkout, wall", lambda r: r.status_s, None)

    exact = {t: all(r.checkout_exact for r in runs[t]) for t in TOOLS}
    pointers = {t: all(r.pointer_ok for r in runs[t]) for t in TOOLS}
    rows.append(("checkout bit-exact (sha256) / index holds a pointer",
                 *(f"{verdict(exact[t])} / {verdict(pointers[t])}" if runs[t] else "not run" for t in TOOLS),
                 "", "", ""))

    ran = [t for t in TOOLS if runs[t]]
    out = []
    out.append(f"### {args.size_mib} MiB model ({args.tensors} float32 tensors), {args.repeat} repetition(s)"
               + ("" if len(ran) == len(TOOLS) else f", {', '.join(ran)} only"))
    out.append("")
    out.append(f"Command: `{command}`")
    out.append("")
    out.append(f"Date: {started} · wall time of the whole benchmark: {elapsed:.0f} s")
    out.append("")
    out.append("| metric | git-model | Git LFS | LFS / git-model | target | met |")
    out.append("|---|---:|---:|---:|---|---|")
    for row in rows:
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    out.append(f"Model: {fmt_mib(total)} safetensors, {args.tensors} tensors; v2 = `fine_tune(specs, {args.fraction}, "
               f"seed={args.seed + 1})` changes {fmt_mib(changed)}. "
               + ("Times are medians over repetitions; " if args.repeat > 1 else "")
               + "ratios are LFS / git-model (above 1: git-model is faster or smaller).")
    out.append("")
    out.append(f"Disk reference: copying the v1 file with `shutil.copyfile` + fsync took {disk_ref:.2f} s "
               f"({total / disk_ref / 1e6:,.0f} MB/s).")
    out.append("")
    out.append("Machine: " + "; ".join(f"{k}: {v}" for k, v in machine.items()))
    if args.repeat > 1:
        out.append("")
        out.append("All repetitions (add v1 / add v2 / checkout, s):")
        out.append("")
        for tool in ran:
            vals = ", ".join(f"{r.add_v1.wall:.2f}/{r.add_v2.wall:.2f}/{r.checkout.wall:.2f}" for r in runs[tool])
            out.append(f"- {tool}: {vals}")
    notes = [n for t in TOOLS for r in runs[t] for n in r.notes]
    for tool in TOOLS:
        ran = sum(r.status_ran_filter for r in runs[tool])
        if ran:
            notes.append(f"{tool}: `git status` right after the checkout started the filter process (Git re-read "
                         f"the racily-clean file through the clean filter) in {ran} of {len(runs[tool])} run(s)")
    if notes:
        out.append("")
        out.append("Notes:")
        out.extend(f"- {n}" for n in sorted(set(notes)))
    return "\n".join(out) + "\n"


def build_share_report(args: argparse.Namespace, command: str, runs: dict[str, list[ShareRun]], changed: int,
                       total: int, machine: dict[str, str], started: str, elapsed: float,
                       refs: dict[str, float], remote_note: str) -> str:
    gm, lfs = runs["git-model"], runs["git-lfs"]

    def med(tool_runs: list[ShareRun], getter) -> float | None:
        return median([getter(r) for r in tool_runs]) if tool_runs else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None or b == 0 else a / b

    def fr(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.2f}×"

    def cell(tool_runs: list[ShareRun], text: str) -> str:
        return text if tool_runs else "not run"

    rows: list[tuple[str, ...]] = []

    def time_row(label: str, getter, target: float | None = None) -> None:
        a, b = med(gm, getter), med(lfs, getter)
        r = ratio(b, a)
        rows.append((label, cell(gm, fmt_s(a)), cell(lfs, fmt_s(b)), fr(r),
                     ("git-model no slower" if target == 1.0 else f"≥ {target:g}× faster") if target else "",
                     verdict(None if target is None or r is None else r >= target)))

    def bytes_row(label: str, step: str, target: float | None = None) -> None:
        a, b = med(gm, lambda r: r.moved[step]), med(lfs, lambda r: r.moved[step])
        rows.append((label, cell(gm, fmt_mib(a)), cell(lfs, fmt_mib(b)), fr(ratio(b, a)), "", ""))
        if target is not None:
            x, y = ratio(a, changed), ratio(b, changed)
            rows.append((f"{label} / changed bytes", cell(gm, fr(x)), cell(lfs, fr(y)), "",
                         f"git-model ≤ {target:g}×", verdict(None if x is None else x <= target)))

    def rss_row(label: str, getter, target_mb: float | None = None) -> None:
        a, b = med(gm, getter), med(lfs, getter)
        ok = None if target_mb is None or a is None else a / 1024 <= target_mb
        rows.append((label, cell(gm, fmt_kb(a)), cell(lfs, fmt_kb(b)), fr(ratio(b, a)),
                     f"git-model ≤ {target_mb:g} MB" if target_mb else "", verdict(ok)))

    def m(step: str, attr: str):  # type: ignore[no-untyped-def]
        return lambda r: getattr(r.measured[step], attr)

    def clone_max(attr: str):  # type: ignore[no-untyped-def]
        return lambda r: max(getattr(r.measured[s], attr) or 0 for s in ("clone_v1", "clone_v2"))

    time_row("`git push` v1 (new model), wall", m("push_v1", "wall"))
    bytes_row("bytes moved, push v1 (remote store growth)", "push_v1")
    time_row(f"`git push` v2 ({args.fraction:.0%} of tensors changed), wall", m("push_v2", "wall"))
    bytes_row(f"bytes moved, push v2 (changed bytes: {fmt_mib(changed)})", "push_v2", TARGET_GROWTH)
    time_row("`git clone` of v1, wall", m("clone_v1", "wall"), TARGET_CLONE)
    bytes_row("bytes moved, clone v1 (client store)", "clone_v1")
    time_row("`git clone` of v2 (history v1, v2), wall", m("clone_v2", "wall"), TARGET_CLONE)
    bytes_row("bytes moved, clone v2 (client store)", "clone_v2")
    time_row("`git pull` of v2 into the v1 clone, wall", m("pull_v2", "wall"))
    bytes_row("bytes moved, pull v2 (client store growth)", "pull_v2", TARGET_GROWTH)
    for step, label in (("push_v1", "push v1"), ("push_v2", "push v2"), ("clone_v1", "clone v1"),
                        ("clone_v2", "clone v2"), ("pull_v2", "pull v2")):
        time_row(f"CPU time (user + sys, git and all children), {label}", m(step, "cpu"))
    time_row("`git status` right after clone v2, wall", lambda r: r.status_s["clone_v2"])
    time_row("`git status` right after pull, wall", lambda r: r.status_s["pull_v2"])
    rss_row("peak RSS, clone: git itself", clone_max("git_rss_kb"))
    rss_row("peak RSS, clone: largest child of git (filter, hook, git-lfs, git subcommand)",
            clone_max("child_rss_kb"))
    rss_row("peak RSS, clone: filter process (exact, GNU time)", clone_max("filter_rss_kb"))
    rss_row("peak RSS, clone: whole operation (sum over git's process tree, sampled)", clone_max("tree_rss_kb"),
            TARGET_SHARE_RSS_MB)
    rss_row("peak RSS, pull: git itself", m("pull_v2", "git_rss_kb"))
    rss_row("peak RSS, pull: largest child of git (`git merge`, filter, hook)", m("pull_v2", "child_rss_kb"))
    rss_row("peak RSS, pull: whole operation (sampled)", m("pull_v2", "tree_rss_kb"), TARGET_SHARE_RSS_MB)
    rss_row("peak RSS, push v1: whole operation (sampled)", m("push_v1", "tree_rss_kb"))
    rss_row("peak RSS, push v1: largest child of git (pre-push hook)", m("push_v1", "child_rss_kb"))

    def ok_cell(tool_runs: list[ShareRun], check) -> str:
        return cell(tool_runs, verdict(all(check(r) for r in tool_runs)))

    rows.append(("clones and pull bit-exact (sha256) / `git status` clean",
                 ok_cell(gm, lambda r: all(r.exact.values())) + " / " + ok_cell(gm, lambda r: not r.notes),
                 ok_cell(lfs, lambda r: all(r.exact.values())) + " / " + ok_cell(lfs, lambda r: not r.notes),
                 "", "", ""))

    ran = [t for t in TOOLS if runs[t]]
    reps = max(len(runs[t]) for t in ran)
    out = [f"### {args.size_mib} MiB model ({args.tensors} float32 tensors), {reps} repetition(s)"
           + ("" if len(ran) == len(TOOLS) else f", {', '.join(ran)} only"), ""]
    out.append(f"Command: `{command}`")
    out.append("")
    out.append(f"Date: {started} · wall time of the whole benchmark: {elapsed:.0f} s")
    out.append("")
    out.append("| metric | git-model | Git LFS | LFS / git-model | target | met |")
    out.append("|---|---:|---:|---:|---|---|")
    for row in rows:
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    out.append(f"Model: {fmt_mib(total)} safetensors, {args.tensors} tensors; v2 = `fine_tune(specs, {args.fraction}, "
               f"seed={args.seed + 1})` changes {fmt_mib(changed)}. "
               + ("Values are medians over repetitions; " if reps > 1 else "")
               + "ratios are LFS / git-model (above 1: git-model is faster or smaller). "
               "Clone RSS rows are the larger of clone v1 and clone v2.")
    out.append("")
    out.append(f"Remote: {remote_note}.")
    out.append("")
    out.append("Copy references (`shutil.copyfile` + fsync of the v1 file): work dir → remote dir "
               f"{refs['push']:.2f} s ({total / refs['push'] / 1e6:,.0f} MB/s), remote dir → work dir "
               f"{refs['clone']:.2f} s ({total / refs['clone'] / 1e6:,.0f} MB/s).")
    out.append("")
    out.append("Machine: " + "; ".join(f"{k}: {v}" for k, v in machine.items()))
    out.append("")
    out.append("All repetitions, wall (CPU) in s: push v1 / clone v1 / push v2 / pull v2 / clone v2:")
    out.append("")
    for tool in ran:
        vals = ", ".join("/".join(f"{r.measured[s].wall:.1f} ({r.measured[s].cpu:.1f})" for s in SHARE_STEPS)
                         for r in runs[tool])
        out.append(f"- {tool}: {vals}")
    notes = [n for t in ran for r in runs[t] for n in r.notes]
    for tool in ran:
        for step in ("clone_v1", "pull_v2", "clone_v2"):
            count = sum(r.status_ran_filter.get(step, False) for r in runs[tool])
            if count:
                notes.append(f"{tool}: `git status` right after {step.replace('_', ' ')} started the filter process "
                             f"(Git re-read the racily-clean file through the clean filter) in {count} of "
                             f"{len(runs[tool])} run(s)")
    if notes:
        out.append("")
        out.append("Notes:")
        out.extend(f"- {n}" for n in sorted(set(notes)))
    return "\n".join(out) + "\n"


DOC_HEADER = """# Benchmarks: git-model vs Git LFS

Produced by `bench/bench.py` (see `bench/README.md`), both tools side by side in one run. Each
tool works in its own fresh repositories under a temp dir with an isolated HOME and global git
config; both read the same input files with the same page-cache state (inputs are copied into
the worktree and `sync`ed before each timed command). Filter RSS is the exact peak of the filter
process (its command is wrapped in `/usr/bin/time -f %M`); git's own RSS is its `VmHWM`; "largest
child of git" is the biggest sampled `VmHWM` among git's descendants (filter, hooks, git-lfs,
git subcommands such as the `git merge` of a pull); "git + filter together" / "whole operation"
is the peak of the summed `VmRSS` of git's process tree, sampled every 20 ms. git-model writes
models larger than `model.directCheckoutSize` (256 MiB) from its post-checkout / post-merge hook
instead of through Git's smudge; that hook runs inside the timed command. Git LFS does not fsync
its objects, git-model fsyncs packs and manifests before answering Git. The machine is shared
and noisy: single runs of the same command can differ by 2×, hence several repetitions and
medians.
"""

DOC_SECTIONS = {
    "add": ("## Adding and checking out",
            ("`git add` of v1 and v2 and `git checkout` of the model, in one repository per tool "
             "(`--scenario add`).")),
    "share": ("## Sharing: push, clone, pull",
              ("A bare repository on another filesystem (tmpfs, `/dev/shm`) is the remote, reached through a "
              "`file://` URL by both tools: git-model uses its embedded store (`remote.git/model`), Git LFS its "
              "standalone file transfer (`remote.git/lfs/objects`). Client A pushes v1; B clones it; A pushes "
              "v2; B pulls v2; C clones v2 (`--scenario share`). Bytes moved = growth of the remote store after "
              "a push, of the client's store (`.git/model`, `.git/lfs/objects`; apparent file sizes) after a "
              "clone or pull. Clones and pulls are checked bit for bit (sha256) and followed by a timed "
              "`git status`.")),
}
# (share:|) rather than (share:)?: a backreference to a group that did not take part never matches
_SECTION = re.compile(r"<!-- bench:(share:|)size-mib=(\d+) -->\n(.*?)<!-- /bench:\1size-mib=\2 -->\n?", re.DOTALL)


_NOTES = re.compile(r"<!-- bench:notes:(add|share) -->\n(.*?)<!-- /bench:notes:\1 -->\n?", re.DOTALL)


def write_doc(path: Path, kind: str, size_mib: int, section: str) -> None:
    """Replace (or add) the section of ``kind`` and ``size_mib``; keep every other section and
    the hand-written ``<!-- bench:notes:KIND -->`` block (analysis) that follows each kind."""
    text = path.read_text() if path.exists() else ""
    sections = {("share" if m.group(1) else "add", int(m.group(2))): m.group(3) for m in _SECTION.finditer(text)}
    notes = {m.group(1): m.group(2) for m in _NOTES.finditer(text)}
    sections[(kind, size_mib)] = section
    parts = [DOC_HEADER]
    for name, (heading, intro) in DOC_SECTIONS.items():
        parts.append(f"\n{heading}\n\n{textwrap.fill(intro, 96, break_on_hyphens=False)}\n")
        tag = "share:" if name == "share" else ""
        for size in sorted((s for k, s in sections if k == name), reverse=True):
            parts.append(f"\n<!-- bench:{tag}size-mib={size} -->\n{sections[(name, size)]}"
                         f"<!-- /bench:{tag}size-mib={size} -->\n")
        if name in notes:
            parts.append(f"\n<!-- bench:notes:{name} -->\n{notes[name]}<!-- /bench:notes:{name} -->\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts))


# --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("add", "share", "all"), default="all",
                        help="add: git add / checkout in one repository; share: push, clone and pull through a "
                             "bare remote on another filesystem; all: both (default)")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help="comma-separated subset of git-model,git-lfs (default both)")
    parser.add_argument("--size-mib", type=int, default=1024, help="model size in MiB (default 1024)")
    parser.add_argument("--tensors", type=int, default=64, help="number of float32 tensors (default 64)")
    parser.add_argument("--fraction", type=float, default=0.1, help="fraction of tensors changed in v2 (default 0.1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="repetitions (fresh repos each; medians reported)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="parent of the temp dir: inputs and client repositories (default: the system temp dir)")
    parser.add_argument("--remote-dir", type=Path, default=Path("/dev/shm"),
                        help="parent of the bare remote repositories of the share scenario; should be another "
                             "filesystem than --workdir (default /dev/shm)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md",
                        help="Markdown file to write/update (default docs/benchmarks.md)")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs (repos, remotes, inputs)")
    parser.add_argument("--rev", default=None,
                        help="benchmark this commit of git-model (extracted with git archive into the temp dir) "
                             "instead of the working tree; useful while the tree is being edited")
    args = parser.parse_args(argv)
    tools = tuple(t for t in TOOLS if t in args.tools.split(","))
    if not tools or set(args.tools.split(",")) - set(TOOLS):
        parser.error(f"--tools: choose from {','.join(TOOLS)}")
    scenarios = ("add", "share") if args.scenario == "all" else (args.scenario,)

    command = "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(__file__, ROOT), *(argv if argv is not None else sys.argv[1:])])
    for tool in ("git", TIME_BIN):
        if not shutil.which(tool):
            parser.error(f"{tool} not found (apt-get install -y time for /usr/bin/time)")
    if subprocess.run(["git", "lfs", "version"], capture_output=True, check=False).returncode != 0:
        parser.error("git-lfs is not installed")

    started = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = machine_info()
    t0 = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="git-model-bench-", dir=args.workdir))
    remote_base = None
    if "share" in scenarios:
        args.remote_dir.mkdir(parents=True, exist_ok=True)
        remote_base = Path(tempfile.mkdtemp(prefix="git-model-bench-remote-", dir=args.remote_dir))
    print(f"# {command}\n# workdir {base}" + (f"\n# remotes {remote_base}" if remote_base else ""), file=sys.stderr)
    reports: dict[str, str] = {}
    try:
        src = extract_rev(args.rev, base / "src") if args.rev else ROOT
        machine["git-model"] = describe_source(args.rev)
        env = isolated_env(base / "home", src)
        env["BENCH_RSS_FILE"] = str(base / "untimed.rss")  # filters started by untimed commands

        data = base / "data"
        data.mkdir()
        specs = tensor_specs(args.size_mib * MIB, args.tensors, "F32")
        seeds = fine_tune(specs, args.fraction, args.seed + 1)
        changed = sum(
            int(np.prod(shape)) * DTYPE_BYTES[dtype] for name, dtype, shape in specs if name in seeds
        )
        print(f"# generating inputs ({args.size_mib} MiB × 2)", file=sys.stderr)
        v1 = write_safetensors(data / "v1.safetensors", specs, base_seed=args.seed)
        v2 = write_safetensors(data / "v2.safetensors", specs, seeds=seeds, base_seed=args.seed)
        total = v1.stat().st_size
        v2_sha = sha256_file(v2)

        add_runs: dict[str, list[ToolRun]] = {t: [] for t in TOOLS}
        share_runs: dict[str, list[ShareRun]] = {t: [] for t in TOOLS}
        disk_ref: list[float] = []
        share_refs: dict[str, list[float]] = {"push": [], "clone": []}
        for rep in range(args.repeat):
            order = tools if rep % 2 == 0 else tools[::-1]  # alternate to spread drift evenly
            rep_dir = base / f"rep{rep}"
            rep_dir.mkdir(exist_ok=True)
            if "add" in scenarios:
                for tool in order:
                    print(f"# add rep {rep + 1}/{args.repeat}: {tool}", file=sys.stderr)
                    run = run_tool(tool, rep_dir, v1, v2, v2_sha, env)
                    add_runs[tool].append(run)
                    print(f"#   add v1 {run.add_v1.wall:.2f}s  add v2 {run.add_v2.wall:.2f}s  "
                          f"checkout {run.checkout.wall:.2f}s  filter RSS {fmt_kb(run.add_v1.filter_rss_kb)}",
                          file=sys.stderr)
                    if not args.keep:
                        shutil.rmtree(rep_dir / tool)
                disk_ref.append(copy_fsync_seconds(v1, base / "disk-ref.tmp"))
            if "share" in scenarios:
                assert remote_base is not None
                inputs = {"v1": (v1, sha256_file(v1)), "v2": (v2, v2_sha)}
                for tool in order:
                    print(f"# share rep {rep + 1}/{args.repeat}: {tool}", file=sys.stderr)
                    share_dir, remote_dir = rep_dir / "share", remote_base / f"rep{rep}"
                    run = run_share(tool, share_dir, remote_dir, inputs, env)
                    share_runs[tool].append(run)
                    print("#   " + "  ".join(f"{s} {run.measured[s].wall:.2f}s {fmt_mib(run.moved[s])}"
                                              for s in SHARE_STEPS), file=sys.stderr)
                    if not args.keep:
                        shutil.rmtree(share_dir / tool)
                        shutil.rmtree(remote_dir / tool)
                share_refs["push"].append(copy_fsync_seconds(v1, remote_base / "copy-ref.tmp"))
                shm_copy = remote_base / "v1.copy"
                shutil.copyfile(v1, shm_copy)
                share_refs["clone"].append(copy_fsync_seconds(shm_copy, base / "copy-ref.tmp"))
                shm_copy.unlink()
        elapsed = time.perf_counter() - t0
        machine["load avg at end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if "add" in scenarios:
            reports["add"] = build_report(args, command, add_runs, changed, total, machine, started, elapsed,
                                          statistics.median(disk_ref))
        if "share" in scenarios:
            assert remote_base is not None
            same_fs = os.stat(remote_base).st_dev == os.stat(base).st_dev
            fs_type = filesystem_type(remote_base)
            remote_note = (f"bare repositories under `{args.remote_dir}` ({fs_type}), clients under "
                           f"`{args.workdir or tempfile.gettempdir()}` ({filesystem_type(base)}), "
                           + ("**the same filesystem** (hard links possible)" if same_fs else "different filesystems")
                           + "; URL `file://…/remote.git` for both tools")
            reports["share"] = build_share_report(args, command, share_runs, changed, total, machine, started,
                                                  elapsed, {k: statistics.median(v) for k, v in share_refs.items()},
                                                  remote_note)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
            if remote_base is not None:
                shutil.rmtree(remote_base, ignore_errors=True)
    for name in scenarios:
        print(f"## {DOC_SECTIONS[name][0].lstrip('# ')}\n\n{reports[name]}")
        if not args.no_write:
            write_doc(args.output, name, args.size_mib, reports[name])
    if not args.no_write:
        print(f"# report written to {args.output}", file=sys.stderr)
    return 0


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding ``path`` (longest matching mount point)."""
    best, kind = "", "unknown"
    real = os.path.realpath(path)
    with open("/proc/mounts") as handle:
        for line in handle:
            fields = line.split()
            mount = fields[1]
            if (real == mount or real.startswith(mount.rstrip("/") + "/")) and len(mount) > len(best):
                best, kind = mount, fields[2]
    return kind

if __name__ == "__main__":
    sys.exit(main())
