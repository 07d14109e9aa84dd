"""Reading the columns of a table as a user meant them: numbers written with thousands
separators or decimal commas, dates in day-first or month-first order or with two-digit years,
and the times a regular series skips.

Every decision is made over the whole column, never value by value: one value past 12 in the
first place of ``01/02/1949``-style dates makes the whole column day-first; a column where no
value settles the order is refused, not guessed. Whatever cannot be read without guessing is
refused with a message naming the column, the row (0-based, as pandas counts) and the value.

Two-digit years are read as the latest such year not after the current one (observations lie
in the past): in 2026, ``Jan-49`` is January 1949 and ``Mar-21`` March 2021.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FILLS",
    "check_fill",
    "fill_gaps",
    "fill_values",
    "looks_like_dates",
    "parse_dates",
    "parse_numbers",
    "regular_frequency",
]

#: The ways ``fill`` may close the times a regular series skips.
FILLS = ("interpolate", "ffill", "zero")

# -- numbers --------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$", re.I)
#: "1,500" or "112,000": a thousands separator or a decimal comma with three decimals.
_EITHER = re.compile(r"^[+-]?\d{1,3},\d{3}$")
#: "1,234,567", "1,234.5": commas that can only separate thousands.
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
#: "1,5", "1234,56", "1.234,5", "1.234.567": a decimal comma (dots, if any, separate thousands).
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d+|\d{1,3}(\.\d{3})+),\d+$|^[+-]?\d{1,3}(\.\d{3}){2,}$")


def _classify(text: str) -> str:
    if _PLAIN.match(text):
        return "dot" if "." in text else "plain"
    if _EITHER.match(text):
        return "either"
    if _THOUSANDS.match(text):
        return "thousands"
    if _DECIMAL_COMMA.match(text):
        return "decimal"
    return "bad"


def parse_numbers(column: pd.Series, name: str, decimal: str | None = None) -> pd.Series | None:
    """A column of text as float64 numbers, or ``None`` when some value is not a number.

    Thousands separators (``"112,000"``, ``"1,234.5"``) and decimal commas (``"1,5"``,
    ``"1.234,5"``) are read when the column settles which it uses; ``decimal`` (``","`` or
    ``"."``, e.g. from the file's field separator) decides a column of values such as
    ``"1,500"`` that either could mean. A column that mixes the two, or that nothing settles,
    raises ValueError naming the column and the rows.
    """
    present = column[column.notna()]
    text = present.astype(str).str.strip()
    if len(text) == 0:
        return None
    kinds = text.map(_classify)
    if (kinds == "bad").any():
        return None
    found = set(kinds)
    if found <= {"plain", "dot"}:
        return pd.to_numeric(column.astype(str).str.strip().where(column.notna()), errors="coerce")

    def first(kind: str) -> str:
        row = kinds.index[(kinds == kind).to_numpy()][0]
        return f"row {row} holds {text[row]!r}"

    comma_decimal = "decimal" in found
    thousands = "thousands" in found or ("dot" in found and "either" in found)
    if comma_decimal and ("thousands" in found or "dot" in found):
        other = "thousands" if "thousands" in found else "dot"
        raise ValueError(
            f"column {name!r} mixes a decimal comma ({first('decimal')}) with a decimal point "
            f"or thousands commas ({first(other)}); write every value the same way"
        )
    if not comma_decimal and not thousands:
        if decimal not in (",", "."):
            raise ValueError(
                f"column {name!r}: {first('either')}, where the comma could separate thousands "
                "or be a decimal comma; say which with decimal=',' or decimal='.', or convert "
                "the column to numbers first"
            )
        comma_decimal = decimal == ","
    if comma_decimal:
        converted = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        converted = text.str.replace(",", "", regex=False)
    out = pd.Series(np.nan, index=column.index, dtype=np.float64)
    out[converted.index] = pd.to_numeric(converted).astype(np.float64)
    return out


# -- dates ----------------------------------------------------------------------------------------

#: "01/02/1949", "1.2.49", "01-02-1949 10:00": day and month in some order, then the year.
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:$|[\sT])")
_DIGITS = re.compile(r"\d+")
#: "Jan-49", "January 1949", "Jan'49": a month's name and a year (dateutil reads "Jan-12" as
#: 12 January of the year 1).
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})[\s\-/.']*(\d{2}|\d{4})$")
#: "49-Jan", "1949-Jan".
_YEAR_MONTH = re.compile(r"^(\d{2}|\d{4})[\s\-/.]*([A-Za-z]{3,9})$")


def _month_year(text: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """Dates (the first of each month) and which had two-digit years, when every value is a
    month's name and a year; else None."""
    parts = text.str.extract(_MONTH_YEAR)
    if parts.isna().any(axis=None):
        swapped = text.str.extract(_YEAR_MONTH)
        if swapped.isna().any(axis=None):
            return None
        parts = swapped[[1, 0]].set_axis([0, 1], axis=1)
    names = parts[0].str.lower()
    month = names.map(_MONTHS)
    month = month.where(month.notna(), names.str[:3].map(_MONTHS))
    if month.isna().any():
        return None
    year = parts[1].astype(int)
    two_digit = parts[1].str.len() == 2
    year = year.where(~two_digit, year + 2000)
    frame = pd.DataFrame({"year": year, "month": month.astype(int), "day": 1})
    return pd.Series(pd.to_datetime(frame), index=text.index), two_digit


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


def _pivot_two_digit_years(dates: pd.Series, two_digit: pd.Series) -> pd.Series:
    """Years read from two digits that lie after the current year move back a century."""
    this_year = datetime.date.today().year
    late = two_digit & (dates.dt.year > this_year)
    if late.any():
        dates = dates.copy()
        dates[late] = dates[late] - pd.DateOffset(years=100)
    return dates


def looks_like_dates(column: pd.Series) -> bool:
    """Whether every value of a text column reads as a date (for finding the date column)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    if pd.api.types.is_numeric_dtype(column):
        return False
    # A missing date does not hide the column: parse_dates then refuses it, naming the row.
    text = column[column.notna()].astype(str).str.strip()
    if len(text) < 2:
        return False
    if not text.str.contains(r"\d").all():
        return False
    if text.str.match(_NUMERIC_DATE).all() or _month_year(text) is not None:
        return True
    return _loose(text) is not None


def _loose(text: pd.Series, dayfirst: bool = False) -> pd.Series | None:
    """Dates in any format pandas knows (each value on its own), or None."""
    try:
        return pd.Series(pd.to_datetime(text, format="mixed", dayfirst=dayfirst), index=text.index)
    except (ValueError, TypeError, OverflowError):
        pass
    try:  # quarterly text: "1970 Q1", "1970-Q1"
        periods = pd.PeriodIndex(text.str.replace(" ", "-"), freq="Q")
        return pd.Series(periods.to_timestamp(), index=text.index)
    except (ValueError, TypeError):
        return None


def parse_dates(
    column: pd.Series,
    name: str,
    *,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> pd.DatetimeIndex:
    """The column as dates, decided over the whole column (see the module's docstring).

    ``date_format``: a ``strftime`` format every value must match (``'%d/%m/%Y'``).
    ``dayfirst``: ``True``/``False`` says the order of numeric dates such as ``01/02/1949``;
    ``None`` lets the column settle it (a value past 12 in either place), and refuses a column
    where nothing does. Raises ValueError naming ``name``, the row and the value.
    """
    if column.isna().any():
        row = column.index[column.isna().to_numpy()][0]
        raise ValueError(f"date_column {name!r} has no date at row {row}")
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.DatetimeIndex(column)
    text = column.astype(str).str.strip()
    if date_format is not None:
        try:
            parsed = pd.Series(pd.to_datetime(text, format=date_format, errors="coerce"))
        except ValueError as error:  # a directive strptime does not know
            raise ValueError(
                f"date_format={date_format!r} is not a format dates can be read with ({error})"
            ) from None
        if parsed.isna().any():
            row = text.index[parsed.isna().to_numpy()][0]
            raise ValueError(
                f"date_column {name!r}: row {row} holds {text[row]!r}, which does not match "
                f"date_format={date_format!r}"
            )
        if "%y" in date_format:
            parsed = _pivot_two_digit_years(parsed, pd.Series(True, index=parsed.index))
        return pd.DatetimeIndex(parsed)

    parts = text.str.extract(_NUMERIC_DATE)
    if parts.notna().all(axis=None):
        return pd.DatetimeIndex(_numeric_dates(text, parts, name, dayfirst))
    named = _month_year(text)
    if named is not None:
        return pd.DatetimeIndex(_pivot_two_digit_years(*named))
    parsed = _loose(text, dayfirst=bool(dayfirst))
    if parsed is None:
        bad = pd.Series(pd.to_datetime(text, format="mixed", errors="coerce"))
        row = text.index[bad.isna().to_numpy()][0] if bad.isna().any() else text.index[0]
        raise ValueError(f"date_column {name!r} does not hold dates: row {row} holds {text[row]!r}")
    # Which values wrote their year with two digits: no group of four digits, and a group of
    # two that is the parsed year's last two digits. A value with no year at all is refused.
    two_digit = pd.Series(False, index=text.index)
    # A group of four or more digits holds the year ("1949-01", "19490101"); look closer only
    # at the values without one.
    for row, value in text[~text.str.contains(r"\d{4}")].items():
        groups = _DIGITS.findall(value)
        year = parsed[row].year
        if any(len(group) == 2 and int(group) == year % 100 for group in groups):
            two_digit[row] = True
        else:
            raise ValueError(
                f"date_column {name!r}: row {row} holds {value!r}, which has no year; give "
                "dates with their year"
            )
    return pd.DatetimeIndex(_pivot_two_digit_years(parsed, two_digit))


def _numeric_dates(
    text: pd.Series, parts: pd.DataFrame, name: str, dayfirst: bool | None
) -> pd.Series:
    first, second = parts[0].astype(int), parts[2].astype(int)
    day_first_rows = first.index[(first > 12).to_numpy()]
    month_first_rows = second.index[(second > 12).to_numpy()]
    if len(day_first_rows) and len(month_first_rows):
        a, b = day_first_rows[0], month_first_rows[0]
        raise ValueError(
            f"date_column {name!r} mixes day-first and month-first dates: row {a} holds "
            f"{text[a]!r} (day first) and row {b} holds {text[b]!r} (month first)"
        )
    settled = True if len(day_first_rows) else False if len(month_first_rows) else None
    if dayfirst is not None and settled is not None and dayfirst != settled:
        row = day_first_rows[0] if settled else month_first_rows[0]
        place = "first" if settled else "second"
        value = first[row] if settled else second[row]
        raise ValueError(
            f"date_column {name!r}: dayfirst={dayfirst} but row {row} holds {text[row]!r}, "
            f"whose {place} number ({value}) cannot be a month"
        )
    order = dayfirst if dayfirst is not None else settled
    if order is None:
        differ = first.index[(first != second).to_numpy()]
        if len(differ):
            row = differ[0]
            raise ValueError(
                f"date_column {name!r}: the dates could be day-first or month-first (row {row} "
                f"holds {text[row]!r}, and no value past 12 in either place settles it); say "
                "which with date_format=... (e.g. '%d/%m/%Y') or dayfirst=True/False"
            )
        order = True  # day and month are equal in every row: the order changes nothing
    day, month = (first, second) if order else (second, first)
    year_text = parts[3]
    year = year_text.astype(int)
    two_digit = year_text.str.len() == 2
    year = year.where(~two_digit, year + 2000)
    rest = text.str.replace(_NUMERIC_DATE, "", regex=True).str.strip()
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    dates = pd.Series(pd.to_datetime(frame, errors="coerce"), index=text.index)
    if dates.isna().any():
        row = dates.index[dates.isna().to_numpy()][0]
        raise ValueError(
            f"date_column {name!r}: row {row} holds {text[row]!r}, which is not a date when read "
            f"{'day' if order else 'month'}-first"
        )
    if (rest != "").any():  # a time of day after the date
        times = pd.to_datetime(rest.where(rest != "", "00:00"), format="mixed", errors="coerce")
        if pd.Series(times).isna().any():
            row = rest.index[pd.Series(times).isna().to_numpy()][0]
            raise ValueError(f"date_column {name!r}: row {row} holds {text[row]!r}")
        times = pd.Series(times, index=text.index)
        dates = dates + (times - times.dt.normalize())
    return _pivot_two_digit_years(dates, two_digit)


# -- regular series and their gaps ----------------------------------------------------------------

#: Candidate frequencies, coarsest first, with their rough length in days (to skip grids that
#: would be far longer than the series).
_CANDIDATES: tuple[tuple[str, float], ...] = (
    ("YS", 365.25),
    ("YE", 365.25),
    ("QS", 91.3),
    ("QE", 91.3),
    ("MS", 30.4),
    ("ME", 30.4),
    *((f"W-{day}", 7.0) for day in ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
    ("B", 1.4),
    ("D", 1.0),
    ("h", 1 / 24),
    ("min", 1 / 1440),
    ("s", 1 / 86400),
)
#: A series counts as regular with gaps when its dates lie on one frequency's grid and cover at
#: least this share of it; sparser dates are an irregular series, forecast by row.
REGULAR_SHARE = 0.8


def regular_frequency(dates: pd.DatetimeIndex) -> tuple[str | None, pd.DatetimeIndex | None]:
    """``(freq, grid)``: the pandas frequency of increasing ``dates`` and, when they skip some
    times of it, the complete grid of times from the first to the last (``None`` when none is
    skipped). ``(None, None)`` for fewer than 3 dates or an irregular series."""
    if len(dates) < 3:
        return None, None
    inferred = pd.DatetimeIndex(dates, freq="infer").freq
    if inferred is not None:
        return inferred.freqstr, None
    span_days = (dates[-1] - dates[0]) / pd.Timedelta(days=1)
    for freq, days in _CANDIDATES:
        if span_days / days > len(dates) / REGULAR_SHARE + 2:
            continue
        grid = pd.date_range(dates[0], dates[-1], freq=freq)
        if len(grid) and grid[0] == dates[0] and dates.isin(grid).all():
            if len(dates) >= REGULAR_SHARE * len(grid):
                return freq, grid
            return None, None
    return None, None


def fill_gaps(frame: pd.DataFrame, grid: pd.DatetimeIndex, how: str) -> pd.DataFrame:
    """``frame`` (dated rows) on every time of ``grid``; the new rows, and NaN values, filled by
    ``how`` (see :func:`fill_values`)."""
    return fill_values(frame.reindex(grid), how)


def fill_values(frame: pd.DataFrame, how: str) -> pd.DataFrame:
    """NaN values filled: ``'interpolate'`` (linear in time, or in rows without dates),
    ``'ffill'`` (the last value before; the first value for leading gaps) or ``'zero'``."""
    if how == "interpolate":
        method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "linear"
        return frame.interpolate(method=method, limit_direction="both")
    if how == "ffill":
        return frame.ffill().bfill()
    if how == "zero":
        return frame.fillna(0.0)
    raise ValueError(f"fill must be one of {list(FILLS)} or None; got fill={how!r}")


def check_fill(fill: Any) -> str | None:
    """``fill`` as given, or ValueError naming what is allowed."""
    if fill is not None and fill not in FILLS:
        raise ValueError(f"fill must be one of {list(FILLS)} or None; got fill={fill!r}")
    return fill
