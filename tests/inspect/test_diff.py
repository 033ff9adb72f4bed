"""`git model diff` end to end: exactly the tensors that changed, for safetensors, ONNX and
GGUF; revisions against revisions and against the working tree; chunk share; bad input."""

from __future__ import annotations

import json
from pathlib import Path

from inspect_support import (
    ONNX_SPECS,
    ONNX_V2_CHANGED,
    ST_SPECS,
    ST_V2_CHANGED,
    ST_V3_CHANGED,
    History,
    git,
    gm,
    write_safetensors,
)
from modelgen import write_gguf


def diff_json(repo: Path, *args: str) -> dict:
    report = json.loads(gm(repo, "diff", "--json", *args).stdout)
    assert report["version"] == 1
    return report


def files(report: dict) -> dict[str, dict]:
    return {f["path"]: f for f in report["files"]}


def changed_names(entry: dict) -> list[str]:
    return sorted(c["name"] for c in entry["model"]["changed"])


def test_two_revisions_name_exactly_the_changed_tensors(history: History) -> None:
    entry = files(diff_json(history.path, "HEAD~2", "HEAD~1"))["model.safetensors"]
    assert entry["status"] == "modified"
    assert changed_names(entry) == sorted(ST_V2_CHANGED)
    summary = entry["model"]["summary"]
    assert summary == {"added": 0, "removed": 0, "changed": 3, "unchanged": 9, "skipped": 0}
    assert entry["old"] == {"oid": history.sha("model.safetensors", 0), "size": len(history.versions["model.safetensors"][0]),
                            "format": "safetensors", "source": "store"}
    assert all(c["reason"] == "values" for c in entry["model"]["changed"])
    chunks = entry["chunks"]
    assert 0 < chunks["shared"] < chunks["new"] and 0.5 < chunks["share"] < 0.9
    assert entry["model"]["metadata"] == {}

    report = diff_json(history.path, "HEAD~1..HEAD")
    entry = files(report)["model.safetensors"]
    assert changed_names(entry) == sorted(ST_V3_CHANGED)
    assert entry["model"]["metadata"] == {"stage": {"old": "base", "new": "tuned"}}
    assert list(files(report)) == ["model.safetensors"]  # model.onnx did not change


def test_onnx_across_branches(history: History) -> None:
    report = diff_json(history.path, "main", "exp", "--", "model.onnx")
    assert list(files(report)) == ["model.onnx"]
    entry = files(report)["model.onnx"]
    assert changed_names(entry) == ONNX_V2_CHANGED
    assert entry["model"]["summary"]["unchanged"] == len(ONNX_SPECS) - 1
    assert entry["new"]["format"] == "onnx"
    text = gm(history.path, "diff", "exp~1", "exp").stdout.decode()
    assert "model.onnx: modified" in text
    assert "~ layers.3.weight  FLOAT [128, 256]" in text
    assert text.count("\n  ~ ") == 1


def test_working_tree_against_head_and_a_revision(work: History) -> None:
    repo = work.path
    seeds = {**{n: 2 for n in ST_V2_CHANGED}, **{n: 3 for n in ST_V3_CHANGED}, "layers.11.weight": 7}
    write_safetensors(repo / "model.safetensors", ST_SPECS, seeds=seeds, metadata={"stage": "tuned"})
    entry = files(diff_json(repo))["model.safetensors"]
    assert changed_names(entry) == ["layers.11.weight"]
    assert entry["new"]["source"] == "worktree"
    assert entry["new"]["oid"] == __import__("hashlib").sha256((repo / "model.safetensors").read_bytes()).hexdigest()
    entry = files(diff_json(repo, "HEAD~1", "--", "model.safetensors"))["model.safetensors"]
    assert changed_names(entry) == sorted([*ST_V3_CHANGED, "layers.11.weight"])
    assert git(repo, "status", "--porcelain").stdout == b" M model.safetensors\n"


def test_added_and_deleted_models(work: History) -> None:
    repo = work.path
    write_safetensors(repo / "small.safetensors", ST_SPECS[:2])
    git(repo, "add", "small.safetensors")
    git(repo, "rm", "-q", "model.onnx")
    git(repo, "commit", "-qm", "add small, drop onnx")
    report = files(diff_json(repo, "HEAD~1", "HEAD"))
    assert report["small.safetensors"]["status"] == "added"
    assert sorted(t["name"] for t in report["small.safetensors"]["model"]["added"]) == ["layers.0.weight", "layers.1.weight"]
    assert report["model.onnx"]["status"] == "deleted"
    assert len(report["model.onnx"]["model"]["removed"]) == len(ONNX_SPECS)
    assert report["model.onnx"]["chunks"] is None


def test_other_formats_fall_back_to_size_and_oid(work: History) -> None:
    repo = work.path
    (repo / "weights.bin").write_bytes(b"\x01" * 300_000)
    git(repo, "add", "weights.bin")
    git(repo, "commit", "-qm", "bin v1")
    (repo / "weights.bin").write_bytes(b"\x01" * 200_000 + b"\x02" * 100_000)
    entry = files(diff_json(repo))["weights.bin"]
    assert entry["model"] is None and "size and oid" in entry["note"]
    assert entry["old"]["format"] is None and entry["old"]["size"] == 300_000


def test_gguf(work: History) -> None:
    repo = work.path
    specs = [("blk.0.attn_q.weight", "Q8_0", [64, 256]), ("blk.0.ffn.weight", "F32", [64, 256]), ("output.weight", "F16", [32, 256])]
    write_gguf(repo / "model.gguf", specs, metadata={"general.name": "tiny"})
    git(repo, "add", "model.gguf")
    git(repo, "commit", "-qm", "gguf v1")
    write_gguf(repo / "model.gguf", specs, seeds={"blk.0.attn_q.weight": 4}, metadata={"general.name": "tiny"})
    git(repo, "commit", "-qam", "gguf v2")
    entry = files(diff_json(repo, "HEAD~1", "HEAD"))["model.gguf"]
    assert entry["new"]["format"] == "gguf"
    assert changed_names(entry) == ["blk.0.attn_q.weight"]
    assert entry["model"]["changed"][0]["reason"] == "bytes"


def test_no_changes(history: History) -> None:
    assert gm(history.path, "diff", "HEAD", "HEAD").stdout.decode().strip() == "no model changes"
    assert gm(history.path, "diff").stdout.decode().strip() == "no model changes"
    assert diff_json(history.path, "HEAD~1", "HEAD", "--", "model.onnx")["files"] == []


def test_bad_revisions_and_paths(history: History) -> None:
    for args, needle in (
        (["nosuch"], "'nosuch': unknown revision or path not in the working tree"),
        (["HEAD", "nosuch"], "'nosuch'"),
        (["nosuch..HEAD"], "unknown revision 'nosuch'"),
        (["HEAD", "HEAD~1", "HEAD~2"], "at most two revisions"),
    ):
        proc = gm(history.path, "diff", *args, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        err = proc.stderr.decode()
        assert err.count("\n") == 1 and needle in err, err


def test_truncated_and_corrupted_headers(work: History) -> None:
    repo = work.path
    good = work.versions["model.safetensors"][2]
    (repo / "model.safetensors").write_bytes(good[: 8 + 100])  # header cut short
    git(repo, "commit", "-qam", "truncated")
    proc = gm(repo, "diff", "HEAD~1", "HEAD", check=False)
    assert proc.returncode == 6, proc.stderr
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "HEAD:model.safetensors" in err and "truncated" in err, err

    header_len = int.from_bytes(good[:8], "little")
    corrupt = good[:8] + b"{" + b"x" * (header_len - 1) + good[8 + header_len :]
    (repo / "model.safetensors").write_bytes(corrupt)
    proc = gm(repo, "diff", "HEAD~2", check=False)  # against the working tree
    assert proc.returncode == 6, proc.stderr
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "model.safetensors (working tree)" in err, err

    (repo / "model.onnx").write_bytes(b"\x08\x0a\x12\xff\xff\xff\xff\x0f")  # length past the end
    git(repo, "commit", "-qam", "broken onnx")
    proc = gm(repo, "diff", "HEAD~1", "HEAD", "--", "model.onnx", check=False)
    assert proc.returncode == 6 and proc.stderr.decode().count("\n") == 1, proc.stderr
