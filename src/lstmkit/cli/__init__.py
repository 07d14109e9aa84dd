"""The ``lstmkit`` command line: ``forecast``, ``predict``, ``examples`` and ``demo``
(``lstmkit --help``; ``python -m lstmkit`` is the same)."""

from lstmkit.cli.main import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
