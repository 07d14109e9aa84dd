"""``lstmkit examples``: the tutorial scripts of ``examples/``, installed as the package
``lstmkit.examples``; listed from their docstrings (nothing is imported to list them) and run
through each script's ``main(argv)``."""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import pkgutil
from pathlib import Path
from typing import Any

__all__ = ["example_arguments", "example_names", "list_examples", "run_example"]

PACKAGE = "lstmkit.examples"
#: The order ``lstmkit examples`` lists them in: the tutorials first, then the rest by name.
ORDER = ("lifecycle", "multivariate", "binary", "sine", "echo", "batch-size")


def example_arguments(
    argv: list[str] | None, name: str, doc: str | None, quick: str
) -> argparse.Namespace:
    """The command line every example takes, parsed from ``argv``: ``--quick`` (``quick`` says
    what it shortens), ``--out DIR`` (default ``lstmkit-examples/NAME``; created) and
    ``--seed`` (default 0). ``doc``: the example's docstring, whose first line describes it."""
    parser = argparse.ArgumentParser(
        prog=f"lstmkit examples {name}", description=(doc or name).strip().splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("lstmkit-examples") / name,
        help=f"folder for the plots (default lstmkit-examples/{name})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the weights")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def _package_path() -> list[str]:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"the examples package {PACKAGE!r} is not installed; reinstall lstmkit "
            "(pip install -e . from the repository)"
        )
    return list(spec.submodule_search_locations)


def example_names() -> list[str]:
    """Every example's command-line name (``batch_size.py`` is ``batch-size``)."""
    names = [
        info.name.replace("_", "-")
        for info in pkgutil.iter_modules(_package_path())
        if not info.name.startswith("_")
    ]
    first = [name for name in ORDER if name in names]
    return first + sorted(set(names) - set(first))


def _description(name: str) -> str:
    for folder in _package_path():
        source = Path(folder) / f"{name.replace('-', '_')}.py"
        if source.is_file():
            docstring = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8"))) or ""
            return docstring.strip().splitlines()[0] if docstring.strip() else ""
    return ""


def list_examples() -> list[dict[str, str]]:
    """``[{"name": ..., "description": ...}]``, one per example."""
    return [{"name": name, "description": _description(name)} for name in example_names()]


def run_example(name: str, argv: list[str]) -> dict[str, Any]:
    """Run example ``name`` with its own command-line arguments ``argv``; its results."""
    names = example_names()
    if name not in names:
        raise ValueError(f"no example named {name!r}; the examples are {', '.join(names)}")
    module = importlib.import_module(f"{PACKAGE}.{name.replace('-', '_')}")
    return module.main(argv)
