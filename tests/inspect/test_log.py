"""`git model log` end to end: every version, the new bytes each added, ranges, --all,
renames, merges, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from inspect_support import ST_SPECS, History, git, gm, write_safetensors

from git_model.pointer import Pointer
from git_model.store.store import LocalStore


def log_json(repo: Path, *args: str) -> dict:
    return json.loads(gm(repo, "log", "--json", *args).stdout)


def by_path(report: dict) -> dict[str, list[dict]]:
    return {m["path"]: m["versions"] for m in report["models"]}


def expected_new_bytes(repo: Path, current: dict, previous: dict | None) -> tuple[int, int, int]:
    """(chunks, stored bytes, raw bytes) of distinct chunks in ``current`` not in ``previous``,
    computed straight from the store with plain sets."""
    store = LocalStore(repo / ".git" / "model")
    mine = dict(store.manifest_entries(Pointer(current["oid"], current["size"]), "test"))
    theirs = set()
    if previous is not None:
        theirs = {cid for cid, _ in store.manifest_entries(Pointer(previous["oid"], previous["size"]), "test")}
    new = [cid for cid in mine if cid not in theirs]
    stored = sum(store.index.lookup(cid).stored_len for cid in new)
    return len(new), stored, sum(mine[cid] for cid in new)


def test_log_all_lists_every_version_with_its_new_bytes(history: History) -> None:
    report = log_json(history.path, "--all")
    assert report["version"] == 1
    models = by_path(report)
    assert sorted(models) == ["model.onnx", "model.safetensors"]
    st, onnx = models["model.safetensors"], models["model.onnx"]
    c = history.commits
    assert [v["commit"] for v in st] == [c["st3"], c["st2"], c["v1"]]
    assert [v["commit"] for v in onnx] == [c["onnx2"], c["v1"]]
    assert [v["oid"] for v in st] == [history.sha("model.safetensors", n) for n in (2, 1, 0)]
    assert [v["oid"] for v in onnx] == [history.sha("model.onnx", n) for n in (1, 0)]
    assert [v["change"] for v in st] == ["modified", "modified", "added"]
    for versions in (st, onnx):
        for i, version in enumerate(versions):
            previous = versions[i + 1] if i + 1 < len(versions) else None
            assert version["previous"] == (None if previous is None else {
                "path": previous["path"], "oid": previous["oid"], "size": previous["size"],
            })
            chunks, stored, raw = expected_new_bytes(history.path, version, previous)
            assert (version["new_chunks"], version["new_bytes"], version["new_raw_bytes"]) == (chunks, stored, raw)
            assert version["new_bytes_stored"] is True and version["present"] is True
            assert version["author"] == {"name": "Test", "email": "test@example.com"}
    # a fine-tune adds about the changed tensors, not the whole model
    tensor = 256 * 1024
    assert 3 * tensor <= st[1]["new_raw_bytes"] <= 3 * tensor + 6 * 256 * 1024
    assert st[2]["new_raw_bytes"] == st[2]["size"]
    assert onnx[0]["new_raw_bytes"] <= 128 * 1024 + 2 * 256 * 1024


def test_log_defaults_to_head(history: History) -> None:
    models = by_path(log_json(history.path))
    assert len(models["model.safetensors"]) == 3
    assert [v["commit"] for v in models["model.onnx"]] == [history.commits["v1"]]


def test_log_path_and_range(history: History) -> None:
    models = by_path(log_json(history.path, "model.safetensors", "HEAD~1..HEAD"))
    assert list(models) == ["model.safetensors"]
    assert [v["commit"] for v in models["model.safetensors"]] == [history.commits["st3"]]
    models = by_path(log_json(history.path, "exp", "--", "model.onnx"))
    assert [v["commit"] for v in models["model.onnx"]] == [history.commits["onnx2"], history.commits["v1"]]


def test_log_text(history: History) -> None:
    out = gm(history.path, "log", "--all").stdout.decode()
    assert "model.safetensors  (3 versions)" in out
    assert "model.onnx  (2 versions)" in out
    for subject in ("st v3: more tuning", "st v2: fine-tune", "onnx v2 on exp", "v1: base models"):
        assert subject in out
    assert out.count("[added]") == 2
    assert history.commits["st3"][:10] in out


def test_log_from_a_subdirectory_takes_relative_paths(work: History) -> None:
    sub = work.path / "sub"
    sub.mkdir()
    models = by_path(log_json(sub, "../model.onnx", "--all"))
    assert list(models) == ["model.onnx"] and len(models["model.onnx"]) == 2


def test_log_follows_a_rename(work: History) -> None:
    repo = work.path
    git(repo, "mv", "model.safetensors", "renamed.safetensors")
    git(repo, "commit", "-qm", "rename")
    versions = by_path(log_json(repo, "renamed.safetensors"))["renamed.safetensors"]
    assert [v["change"] for v in versions] == ["renamed", "modified", "modified", "added"]
    assert versions[0]["previous"]["path"] == "model.safetensors"
    assert versions[0]["new_bytes"] == 0 and versions[0]["new_chunks"] == 0
    assert versions[0]["oid"] == versions[1]["oid"]


def test_merge_adds_no_version(work: History) -> None:
    repo = work.path
    git(repo, "merge", "-q", "--no-edit", "exp")
    models = by_path(log_json(repo))
    assert len(models["model.onnx"]) == 2 and len(models["model.safetensors"]) == 3
    merge = git(repo, "rev-parse", "HEAD").stdout.decode().strip()
    assert all(v["commit"] != merge for vs in models.values() for v in vs)


def test_version_not_in_local_store_has_unknown_new_bytes(work: History) -> None:
    repo = work.path
    v1 = Pointer(work.sha("model.safetensors", 0), len(work.versions["model.safetensors"][0]))
    store = LocalStore(repo / ".git" / "model")
    store.manifest_path(v1).unlink()
    versions = by_path(log_json(repo, "model.safetensors"))["model.safetensors"]
    assert versions[0]["new_bytes"] is not None  # v3 against v2: both local
    assert versions[1]["new_bytes"] is None  # v2 against v1: v1's manifest is gone
    assert versions[2]["present"] is False and versions[2]["new_bytes"] is None
    assert "not in the local store" in gm(repo, "log", "model.safetensors").stdout.decode()


def test_new_uncommitted_model_is_not_logged(work: History) -> None:
    write_safetensors(work.path / "other.safetensors", ST_SPECS[:2])
    assert "other.safetensors" not in by_path(log_json(work.path))


def test_bad_input(history: History) -> None:
    for args, needle in (
        (["nosuch"], "'nosuch'"),
        (["HEAD..nosuch"], "unknown revision 'nosuch'"),
        (["--", "missing.safetensors"], "'missing.safetensors'"),
        (["--", ".gitattributes"], "'.gitattributes'"),
    ):
        proc = gm(history.path, "log", *args, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        err = proc.stderr.decode()
        assert err.count("\n") == 1 and needle in err and err.startswith("git-model: "), err
        assert proc.stdout == b""
