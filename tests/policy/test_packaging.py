"""The hook template must ship in the wheel (`git model install` from a wheel renders it).

Checked twice: the package-data patterns of pyproject.toml cover
git_model/hook_programs/template.sh, and a wheel really built from the tree contains it
(a wheel without it made `git_model.hooks.render` raise FileNotFoundError).
"""

from __future__ import annotations

import fnmatch

import tomllib
from gitutil import ROOT


def test_wheel_package_data_covers_the_hook_template() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"].get("package-data", {}).get("git_model", [])
    assert (ROOT / "git_model" / "hook_programs" / "template.sh").is_file()
    assert any(fnmatch.fnmatch("hook_programs/template.sh", p) for p in patterns), patterns


def test_built_wheel_ships_the_hook_program(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Hooks must work from a wheel install: the template travels inside the package."""
    import subprocess
    import sys
    import zipfile

    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("git_model-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("git_model/hook_programs/template.sh").decode()
    assert text == (ROOT / "hooks" / "template.sh").read_text()
