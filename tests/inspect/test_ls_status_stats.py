"""`ls-files`, `status` and `stats` end to end, with their JSON schemas."""

from __future__ import annotations

import json
from pathlib import Path

from inspect_support import ONNX_SPECS, ST_SPECS, History, git, gm, write_safetensors

from git_model.git.pointers import pointers_in_range
from git_model.git.repo import find_repo
from git_model.pointer import Pointer
from git_model.store.store import LocalStore


def as_json(repo: Path, *args: str) -> dict:
    report = json.loads(gm(repo, *args, "--json").stdout)
    assert report["version"] == 1
    return report


# -- ls-files --------------------------------------------------------------------------------
def test_ls_files_head_and_other_revisions(history: History) -> None:
    report = as_json(history.path, "ls-files")
    assert report["rev"] == "HEAD" and report["commit"] == history.commits["st3"]
    assert report["files"] == [
        {"path": "model.onnx", "blob": report["files"][0]["blob"], "oid": history.sha("model.onnx", 0),
         "size": len(history.versions["model.onnx"][0]), "present": True, "format": "onnx"},
        {"path": "model.safetensors", "blob": report["files"][1]["blob"], "oid": history.sha("model.safetensors", 2),
         "size": len(history.versions["model.safetensors"][2]), "present": True, "format": "safetensors"},
    ]
    exp = as_json(history.path, "ls-files", "exp")
    assert [f["oid"] for f in exp["files"]] == [history.sha("model.onnx", 1), history.sha("model.safetensors", 1)]
    text = gm(history.path, "ls-files").stdout.decode().splitlines()
    assert text[0].startswith(history.sha("model.onnx", 0)[:12] + " * onnx ") and text[0].endswith("  model.onnx")


def test_ls_files_content_not_local(work: History) -> None:
    store = LocalStore(work.path / ".git" / "model")
    store.manifest_path(Pointer(work.sha("model.onnx", 0), len(work.versions["model.onnx"][0]))).unlink()
    files = {f["path"]: f for f in as_json(work.path, "ls-files")["files"]}
    assert files["model.onnx"]["present"] is False and files["model.onnx"]["format"] is None
    assert files["model.safetensors"]["present"] is True
    assert " - ?" in gm(work.path, "ls-files").stdout.decode()


def test_ls_files_bad_revision(history: History) -> None:
    proc = gm(history.path, "ls-files", "nosuch", check=False)
    assert proc.returncode == 2 and proc.stderr == b"git-model: unknown revision 'nosuch'\n"


# -- status ----------------------------------------------------------------------------------
def test_status_without_remote_says_so(history: History) -> None:
    report = as_json(history.path, "status")
    assert report["branch"] == "main"
    assert report["staged"] == report["unstaged"] == report["untracked"] == report["unmerged"] == []
    assert report["not_materialized"] == []
    assert report["not_pushed"] is None
    assert report["remote"]["name"] == "origin" and "no model store configured" in report["remote"]["error"]
    text = gm(history.path, "status").stdout.decode()
    assert "No model changes" in text and "Remote 'origin': not checked" in text


def test_status_lists_every_kind_of_change(work: History, bare: Path) -> None:
    repo = work.path
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "main")
    assert as_json(repo, "status")["not_pushed"] == []

    write_safetensors(repo / "model.safetensors", ST_SPECS, seeds={"layers.2.weight": 9})  # unstaged
    write_safetensors(repo / "new.safetensors", ST_SPECS[:1])  # staged, added
    git(repo, "add", "new.safetensors")
    write_safetensors(repo / "untracked.safetensors", ST_SPECS[:1])
    (repo / "notes.txt").write_text("not a model\n")
    onnx_pointer = git(repo, "cat-file", "blob", "HEAD:model.onnx").stdout
    (repo / "model.onnx").write_bytes(onnx_pointer)  # a pointer left in the working tree
    git(repo, "add", "model.onnx")  # as a skip-smudge checkout leaves it: same blob, pointer's stat data

    report = as_json(repo, "status")
    assert report["staged"] == [{"path": "new.safetensors", "change": "added"}]
    assert report["unstaged"] == [{"path": "model.safetensors", "change": "modified"}]
    assert report["untracked"] == ["untracked.safetensors"]
    assert report["not_materialized"] == [
        {"path": "model.onnx", "oid": work.sha("model.onnx", 0), "size": len(work.versions["model.onnx"][0])}
    ]
    assert report["remote"] == {"name": "origin", "url": str(bare / "model"), "error": None}
    assert [m["path"] for m in report["not_pushed"]] == ["new.safetensors"]

    text = gm(repo, "status").stdout.decode()
    for needle in ("Models staged for commit:", "added:      new.safetensors", "modified:   model.safetensors",
                   "Untracked models:", "Not materialized", "Not on the store of remote 'origin'"):
        assert needle in text, text
    assert "notes.txt" not in text

    assert as_json(repo, "status", "--no-remote")["not_pushed"] is None


# -- stats -----------------------------------------------------------------------------------
def test_stats_counts_each_version_and_chunk_once(history: History) -> None:
    report = as_json(history.path, "stats")
    models = {m["path"]: m for m in report["models"]}
    assert sorted(models) == ["model.onnx", "model.safetensors"]
    sizes = {p: [len(v) for v in vs] for p, vs in history.versions.items()}
    assert models["model.safetensors"]["versions"] == 3 and models["model.onnx"]["versions"] == 2
    assert models["model.safetensors"]["logical_bytes"] == sum(sizes["model.safetensors"])
    total = report["total"]
    assert total["logical_bytes"] == sum(map(sum, sizes.values())) and total["versions"] == 5

    repo = find_repo(history.path)
    store = LocalStore(repo.model_dir)
    reachable = {p.pointer.oid: p.pointer for p in pointers_in_range(repo, ["--all"], [])}
    assert total["logical_bytes"] == sum(p.size for p in reachable.values())
    chunks = {cid for p in reachable.values() for cid, _ in store.manifest_entries(p, "test")}
    assert total["chunks"] == len(chunks)
    assert total["stored_bytes"] == sum(store.index.lookup(cid).stored_len for cid in chunks)
    assert total["pack_bytes"] == sum(p.stat().st_size for p in store.pack_dir.glob("*.pack"))
    assert total["stored_bytes"] < 0.6 * total["logical_bytes"]
    assert total["missing_versions"] == 0 and total["missing_chunks"] == 0
    text = gm(history.path, "stats").stdout.decode()
    assert text.splitlines()[0].split() == ["path", "versions", "logical", "stored", "ratio"]
    assert "packs on disk:" in text


def test_stats_in_an_empty_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "empty")
    report = as_json(tmp_path / "empty", "stats")
    assert report["models"] == [] and report["total"]["versions"] == 0 and report["total"]["pack_bytes"] == 0
    assert len(ONNX_SPECS) == 8
