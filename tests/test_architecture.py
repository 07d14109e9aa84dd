"""The one-way layering of docs/architecture.md: the import contracts hold, and they catch the
kinds of import that once made cycles (an import inside a function included)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lstmkit import _registry

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(source_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_the_package_keeps_every_import_contract():
    result = _lint(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "injected", "broken"),
    [
        # The first cycle of issue 14: a layer reaching up into models for symbolic calls.
        (
            "layers/base.py",
            "def _up():\n    from lstmkit.models import sequential\n",
            "lstmkit.layers is not allowed to import lstmkit.models",
        ),
        # A cycle inside one package: the layer registry importing a layer module back.
        (
            "layers/registry.py",
            "def _back():\n    from lstmkit.layers import wrappers\n",
            "No cycles are allowed in lstmkit.layers",
        ),
        # Saving reaching for the Forecaster instead of the class registry.
        (
            "saving/forecaster_file.py",
            "def _up():\n    from lstmkit.forecast import lstm\n",
            "lstmkit.saving is not allowed to import lstmkit.forecast",
        ),
        # Any module importing the package root.
        (
            "saving/archive.py",
            "from lstmkit import __version__ as _v\n",
            "is not allowed to import lstmkit",
        ),
        # The engine pulling in pandas.
        (
            "training/loop.py",
            "def _heavy():\n    import pandas\n",
            "is not allowed to import pandas",
        ),
    ],
)
def test_a_contract_breaks_when_an_upward_import_comes_back(tmp_path, module, injected, broken):
    shutil.copytree(ROOT / "src" / "lstmkit", tmp_path / "lstmkit")
    target = tmp_path / "lstmkit" / module
    target.write_text(target.read_text() + "\n\n" + injected)
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout


def test_a_class_that_no_upper_layer_registered_is_named_with_the_package_to_import():
    with pytest.raises(LookupError, match=r"Nonesuch is not available: import lstmkit.forecast"):
        _registry.registered_class("Nonesuch")
    assert _registry.registered_class("Sequential").__name__ == "Sequential"
