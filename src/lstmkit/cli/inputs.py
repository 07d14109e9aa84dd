"""Reading what the command is given: the CSV (``DATA``), ``--test`` and ``--params``, and the
option names its messages use in place of the Python arguments of :func:`prepare_series`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from lstmkit.forecast import Forecaster

__all__ = ["check_positive", "option_names", "parse_test_size", "read_csv", "read_params"]


def read_csv(path: str, argument: str = "DATA") -> pd.DataFrame:
    """The CSV at ``path`` as a DataFrame; a clear error for a missing, empty or unreadable
    file (``argument`` names it in messages). ``frame.attrs["decimal"]`` says how the file's
    field separator settles a value such as ``"1,500"``: in a comma-separated file a comma in
    a value was quoted, as spreadsheets quote thousands separators (``"."``); in a
    semicolon-separated file it is a decimal comma (``","``)."""
    file = Path(path)
    if not file.exists():
        raise ValueError(f"{argument}: no such file: {path!r}")
    if file.is_dir():
        raise ValueError(f"{argument}: {path!r} is a folder, not a CSV file")
    try:
        frame = pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{argument}: {path!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{argument}: {path!r} is not a readable CSV file ({first})") from None
    separator = None
    if frame.shape[1] == 1:
        # One column whose name holds a ';' or a tab: a file with another separator.
        header = str(frame.columns[0])
        separator = next((mark for mark in (";", "\t") if mark in header), None)
        if separator is not None:
            frame = pd.read_csv(file, sep=separator)
    if frame.empty:
        raise ValueError(f"{argument}: {path!r} has a header but no rows")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:")]
    frame = frame.drop(columns=unnamed)
    frame.attrs["decimal"] = {None: ".", ";": ","}.get(separator)
    return frame


def parse_test_size(text: str, rows: int) -> int:
    """``--test``: a row count (``24``) or a fraction of the rows (``0.2``) → rows held out."""
    try:
        count = int(text)
    except ValueError:
        count = None
    if count is not None:
        if count < 1:
            raise ValueError(f"--test must hold out at least 1 row; got {text!r}")
        return count
    try:
        fraction = float(text)
    except ValueError:
        raise ValueError(
            f"--test must be a number of rows (24) or a fraction (0.2); got {text!r}"
        ) from None
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"--test as a fraction must lie between 0 and 1; got {text!r}")
    return max(1, round(fraction * rows))


#: prepare_series's messages start with the Python argument at fault; the CLI names its option.
_PREFIXES = (
    ("date_column ", "--date-column "),
    ("target column ", "--target column "),
    ("target ", "--target "),
    ("feature column ", "--features column "),
    ("feature ", "--features: "),
)


#: Python arguments in the middle of prepare_series's messages, and the options they are.
_ARGUMENTS = (
    ("target=...", "--target COL"),
    ("date_column=...", "--date-column D"),
    ("date_format=...", "--date-format FORMAT"),
    ("date_format=", "--date-format "),
    ("dayfirst=True/False", "--dayfirst or --monthfirst"),
    ("dayfirst=True", "--dayfirst"),
    ("dayfirst=False", "--monthfirst"),
    ("fill='interpolate', 'ffill' or 'zero'", "--fill interpolate, ffill or zero"),
    ("fill=...", "--fill"),
    ("decimal=',' or decimal='.'", "--decimal , or --decimal ."),
)


def option_names(message: str) -> str:
    """A message of :func:`prepare_series` with the command line's option names for its Python
    argument names."""
    for python, option in _ARGUMENTS:
        message = message.replace(python, option)
    for python, option in _PREFIXES:
        if message.startswith(python):
            return option + message[len(python) :]
    return message


def check_positive(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value}")


def read_params(path: str | None) -> dict[str, Any]:
    """``--params FILE``: a JSON object of Forecaster parameters (``lstmkit tune`` writes
    ``best.json``); unknown names are an error naming them."""
    if path is None:
        return {}
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"--params: no such file: {path!r}")
    try:
        params = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"--params: {path!r} is not JSON ({error.msg}, line {error.lineno})"
        ) from None
    if isinstance(params, dict) and isinstance(params.get("params"), dict):
        params = params["params"]
    if not isinstance(params, dict):
        raise ValueError(f"--params: {path!r} must hold a JSON object of parameters")
    known = set(Forecaster().get_params())
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"--params: {path!r} names parameters a Forecaster does not have: {unknown}; "
            f"known: {sorted(known)}"
        )
    return params
