"""The hook template must ship in the wheel (`git model install` from a wheel renders it).

Checked statically (building a wheel needs the network for build isolation): the
package-data patterns of pyproject.toml must cover git_model/hook_programs/template.sh.
A wheel built with the current patterns lacks it (`pip wheel --no-deps`; verified by hand),
and `git_model.hooks.render` then raises FileNotFoundError.
"""

from __future__ import annotations

import fnmatch

import pytest
import tomllib
from policy_helpers import ROOT


@pytest.mark.xfail(
    strict=True,
    reason='pyproject.toml lists package-data git_model = ["hooks/*"]; it must be ["hook_programs/*"]',
)
def test_wheel_package_data_covers_the_hook_template() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"].get("package-data", {}).get("git_model", [])
    assert (ROOT / "git_model" / "hook_programs" / "template.sh").is_file()
    assert any(fnmatch.fnmatch("hook_programs/template.sh", p) for p in patterns), patterns
