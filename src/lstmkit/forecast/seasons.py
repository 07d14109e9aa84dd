"""The season length of a date frequency (the bottom of :mod:`lstmkit.forecast`: it imports
nothing of the package)."""

from __future__ import annotations

__all__ = ["describe_frequency", "format_time", "infer_season"]

_SEASONS = {"M": 12, "Q": 4, "D": 7, "h": 24, "H": 24, "W": 52}


def infer_season(freq: str | None) -> int | None:
    """The season length of a pandas frequency: 12 monthly, 4 quarterly, 7 daily, 24 hourly,
    52 weekly, 5 business-daily; ``None`` when unknown."""
    if freq is None:
        return None
    code = freq.split("-")[0].lstrip("0123456789")
    for prefix, season in _SEASONS.items():
        if code.startswith(prefix) or code.startswith(f"{prefix}S") or code == f"{prefix}E":
            return season
    if code.startswith("B") and len(code) == 1:
        return 5
    return None


#: Words for pandas frequency codes (their prefix), for people.
_WORDS = (
    ("YE", "yearly"),
    ("YS", "yearly"),
    ("Y", "yearly"),
    ("A", "yearly"),
    ("QE", "quarterly"),
    ("QS", "quarterly"),
    ("Q", "quarterly"),
    ("ME", "monthly"),
    ("MS", "monthly"),
    ("M", "monthly"),
    ("W", "weekly"),
    ("B", "business-daily"),
    ("D", "daily"),
    ("h", "hourly"),
    ("H", "hourly"),
    ("min", "every minute"),
    ("s", "every second"),
)


def describe_frequency(freq: str | None) -> str:
    """``'MS'`` → ``'monthly'``, ``'QS-OCT'`` → ``'quarterly'``, ``'2D'`` → ``'every 2 days'``;
    ``'not inferred'`` for ``None``."""
    if freq is None:
        return "not inferred"
    head = freq.split("-")[0]
    digits = head[: len(head) - len(head.lstrip("0123456789"))]
    code = head[len(digits) :]
    for prefix, word in _WORDS:
        if code == prefix or (code.startswith(prefix) and prefix not in ("M", "min")):
            if digits and digits != "1":
                unit = {
                    "daily": "days",
                    "weekly": "weeks",
                    "monthly": "months",
                    "quarterly": "quarters",
                    "yearly": "years",
                    "hourly": "hours",
                }
                return f"every {digits} {unit.get(word, code)}"
            return word
    return freq


def format_time(value: object, freq: str | None) -> str:
    """A time as its frequency writes it: ``1961-01`` monthly, ``1961 Q1`` quarterly, ``1961``
    yearly, the date daily or weekly, date and time below a day; row positions as they are."""
    import pandas as pd

    if not isinstance(value, pd.Timestamp):
        return str(value)
    word = describe_frequency(freq)
    if word == "monthly" or word.endswith("months"):
        return value.strftime("%Y-%m")
    if word == "quarterly" or word.endswith("quarters"):
        return f"{value.year} Q{value.quarter}"
    if word == "yearly" or word.endswith("years"):
        return str(value.year)
    if value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M")
