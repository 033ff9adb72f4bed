"""`git model meta show|set|check` through the real command: exit codes, stdout and stderr."""

from __future__ import annotations

import json
from pathlib import Path

from gitutil import git, gm
from modelgen import tensor_specs, write_gguf, write_safetensors
from policy_helpers import (
    GOOD,
    POLICY,
    add_policy,
    commit,
    onnx_model,
    set_meta,
    stderr_lines,
)


def test_show_merges_embedded_and_sidecar(repo: Path) -> None:
    onnx_model(repo / "model.onnx", {"license": "GPL", "owner": "vision"})
    set_meta(repo, "model.onnx", "license=MIT", "metrics.accuracy=0.91", "epochs=12", 'version="1.10"')
    out = gm(repo, "meta", "show", "model.onnx", "--json").stdout
    document = json.loads(out)
    assert document["path"] == "model.onnx" and document["format"] == "onnx"
    assert document["sidecar"] == "model.onnx.meta.toml"
    meta, sources = document["metadata"], document["sources"]
    assert meta["license"] == "MIT" and sources["license"] == "sidecar"
    assert meta["owner"] == "vision" and sources["owner"] == "embedded"
    assert meta["producer_name"] == "git-model-tests"
    assert (meta["metrics.accuracy"], meta["epochs"], meta["version"]) == (0.91, 12, "1.10")
    text = gm(repo, "meta", "show", "model.onnx").stdout.decode().splitlines()
    assert text[0] == "model.onnx (onnx), sidecar model.onnx.meta.toml"
    assert any(line.split() == ["license", "MIT", "sidecar"] for line in text)
    assert any(line.split() == ["owner", "vision", "embedded"] for line in text)


def test_show_from_a_subdirectory_and_a_revision(repo: Path) -> None:
    (repo / "models").mkdir()
    onnx_model(repo / "models" / "net.onnx", {"license": "MIT"})
    commit(repo, "models/net.onnx", check=True)
    onnx_model(repo / "models" / "net.onnx", {"license": "Apache-2.0"}, seed=3)
    here = json.loads(gm(repo / "models", "meta", "show", "net.onnx", "--json").stdout)
    assert here["path"] == "models/net.onnx" and here["metadata"]["license"] == "Apache-2.0"
    then = json.loads(gm(repo / "models", "meta", "show", "net.onnx", "--rev", "HEAD", "--json").stdout)
    assert then["metadata"]["license"] == "MIT"


def test_show_reads_a_pointer_left_in_the_working_tree_from_the_store(repo: Path) -> None:
    onnx_model(repo / "model.onnx", {"license": "MIT"})
    commit(repo, "model.onnx", check=True)
    (repo / "model.onnx").write_bytes(git(repo, "cat-file", "blob", "HEAD:model.onnx").stdout)
    assert (repo / "model.onnx").stat().st_size < 1024
    document = json.loads(gm(repo, "meta", "show", "model.onnx", "--json").stdout)
    assert document["metadata"]["license"] == "MIT"


def test_show_safetensors_and_gguf(repo: Path) -> None:
    write_safetensors(repo / "w.safetensors", tensor_specs(32 * 1024, 2), metadata={"license": "MIT"})
    write_gguf(repo / "m.gguf", [("t", "F32", [16, 16])], metadata={"general.license": "apache-2.0"})
    st = json.loads(gm(repo, "meta", "show", "w.safetensors", "--json").stdout)
    assert (st["format"], st["metadata"]) == ("safetensors", {"license": "MIT"})
    gg = json.loads(gm(repo, "meta", "show", "m.gguf", "--json").stdout)
    assert gg["format"] == "gguf" and gg["metadata"]["general.license"] == "apache-2.0"


def test_show_errors(repo: Path) -> None:
    proc = gm(repo, "meta", "show", "absent.onnx", check=False)
    assert (proc.returncode, stderr_lines(proc)) == (2, ["git-model: absent.onnx: no such file"])
    (repo / "bad.onnx").write_bytes(b"\x08\x07garbage")
    proc = gm(repo, "meta", "show", "bad.onnx", check=False)
    assert proc.returncode == 6 and stderr_lines(proc)[0].startswith("git-model: bad.onnx: ")


def test_set_updates_in_place_and_types_values(repo: Path) -> None:
    onnx_model(repo / "model.onnx")
    set_meta(repo, "model.onnx", "license=MIT", "metrics.accuracy=0.5")
    set_meta(repo, "model.onnx", "metrics.accuracy=0.91", "metrics.f1=0.8", "data=s3://d/x", "steps=1_000", "tag=007")
    assert (repo / "model.onnx.meta.toml").read_text() == (
        'license = "MIT"\ndata = "s3://d/x"\nsteps = 1000\ntag = "007"\n\n[metrics]\naccuracy = 0.91\nf1 = 0.8\n'
    )


def test_set_errors(repo: Path) -> None:
    onnx_model(repo / "model.onnx")
    set_meta(repo, "model.onnx", "license=MIT")
    for args, message in [
        (["absent.onnx", "a=1"], "git-model: absent.onnx: no such file"),
        (["model.onnx", "novalue"], "git-model: meta set: 'novalue' is not KEY=VALUE"),
        (["model.onnx", "license.name=x"], "git-model: meta set: 'license' holds a value, so 'license.name' cannot be set"),
    ]:
        proc = gm(repo, "meta", "set", *args, check=False)
        assert (proc.returncode, stderr_lines(proc)) == (2, [message])
    (repo / "model.onnx.meta.toml").write_text("license = \n")
    proc = gm(repo, "meta", "set", "model.onnx", "a=1", check=False)
    assert proc.returncode == 6
    assert stderr_lines(proc) == ["git-model: model.onnx.meta.toml line 1: invalid value (column 11)"]


def test_check_working_tree(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "good.onnx", GOOD)
    onnx_model(repo / "bad.onnx", {"metrics.accuracy": "0.1"}, seed=1)
    (repo / "ignored").mkdir()
    (repo / ".gitignore").write_text("ignored/\n")
    onnx_model(repo / "ignored" / "x.onnx", seed=2)
    write_safetensors(repo / "w.safetensors", tensor_specs(32 * 1024, 2))  # no policy for it
    proc = gm(repo, "meta", "check", check=False)
    assert proc.returncode == 5
    assert proc.stdout.decode().splitlines() == [
        "bad.onnx: license: require: missing",
        "bad.onnx: metrics.accuracy: min 0.5: got 0.1",
    ]
    assert stderr_lines(proc) == ["git-model: 2 policy violation(s) in 1 model(s); policy: .gitmodel"]
    document = json.loads(gm(repo, "meta", "check", "--json", check=False).stdout)
    assert sorted(document["checked"]) == ["bad.onnx", "good.onnx"]  # not ignored/x.onnx, not w.safetensors
    assert document["violations"][0] == {"path": "bad.onnx", "key": "license", "rule": "require", "problem": "missing"}

    set_meta(repo, "bad.onnx", "license=MIT", "metrics.accuracy=0.7")
    proc = gm(repo, "meta", "check")
    assert proc.stdout == b"" and stderr_lines(proc) == ["git-model: 2 model(s) meet the policy in .gitmodel"]


def test_check_paths_sidecars_and_unmatched_files(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "a.onnx", seed=1)
    onnx_model(repo / "b.onnx", seed=2)
    (repo / "notes.txt").write_text("x")
    proc = gm(repo, "meta", "check", "a.onnx", "notes.txt", check=False)
    assert proc.returncode == 5
    assert {line.split(":")[0] for line in proc.stdout.decode().splitlines()} == {"a.onnx"}
    set_meta(repo, "b.onnx", "license=MIT", "metrics.accuracy=0.9")
    assert gm(repo, "meta", "check", "b.onnx.meta.toml").returncode == 0  # a sidecar stands for its model
    proc = gm(repo, "meta", "check", "missing.onnx", check=False)
    assert (proc.returncode, stderr_lines(proc)) == (2, ["git-model: missing.onnx: no such file"])


def test_check_staged_and_rev(repo: Path) -> None:
    add_policy(repo)
    onnx_model(repo / "model.onnx", GOOD)
    commit(repo, "model.onnx", check=True)
    onnx_model(repo / "model.onnx", seed=4)  # working tree: no metadata
    assert gm(repo, "meta", "check", "--staged").returncode == 0
    assert gm(repo, "meta", "check", "--rev", "HEAD").returncode == 0
    assert gm(repo, "meta", "check", check=False).returncode == 5
    git(repo, "add", "model.onnx")
    proc = gm(repo, "meta", "check", "--staged", check=False)
    assert proc.returncode == 5 and proc.stdout.decode().startswith("model.onnx: license: require: missing")
    proc = gm(repo, "meta", "check", "--staged", "--rev", "HEAD", check=False)
    assert (proc.returncode, stderr_lines(proc)) == (2, ["git-model: meta: choose one of --staged and --rev"])
    proc = gm(repo, "meta", "check", "--rev", "nope", check=False)
    assert proc.returncode == 2 and "nope" in stderr_lines(proc)[0]


def test_check_without_policy(repo: Path) -> None:
    onnx_model(repo / "model.onnx")
    proc = gm(repo, "meta", "check")
    assert stderr_lines(proc) == ["git-model: no policy in .gitmodel: nothing to check"]
    (repo / ".gitmodel").write_text("[remote]\n\turl = /tmp/store\n")
    assert gm(repo, "meta", "check").returncode == 0


def test_check_malformed_policy_and_sidecar(repo: Path) -> None:
    onnx_model(repo / "model.onnx", GOOD)
    (repo / ".gitmodel").write_text('[policy "*.onnx"]\n\trequire = license\n\tmatch = license "\\d"\n')
    proc = gm(repo, "meta", "check", check=False)
    assert (proc.returncode, stderr_lines(proc)) == (4, ["git-model: .gitmodel: bad config line 3 in file .gitmodel"])
    (repo / ".gitmodel").write_text(POLICY + "\ttype = metrics.accuracy float\n")
    proc = gm(repo, "meta", "check", check=False)
    assert (proc.returncode, stderr_lines(proc)) == (
        4, ["git-model: .gitmodel line 5: unknown type 'float' (types: string, number, integer, boolean)"]
    )
    (repo / ".gitmodel").write_text(POLICY)
    (repo / "model.onnx.meta.toml").write_text('license = "MIT"\nlicense = "GPL"\n')
    proc = gm(repo, "meta", "check", check=False)
    assert proc.returncode == 6
    (line,) = stderr_lines(proc)
    assert line.startswith("git-model: model.onnx.meta.toml line 2: ")
