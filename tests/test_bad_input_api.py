"""Bad or unusual input, Python API: reading a series (``prepare_series``: dates, gaps, numbers,
values) and the targets of ``fit``/``evaluate`` (class labels, float32's range).

Every case asserts the exact error class and the key words of the message, or the correct
result.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.reading import parse_numbers
from lstmkit.forecast import prepare_series
from lstmkit.layers import LSTM, Dense
from lstmkit.models import Sequential

MONTHS = pd.date_range("1949-01-01", periods=14, freq="MS")
DAYS = pd.date_range("2020-01-10", periods=14, freq="D")


def frame(dates: list[Any], values: list[Any] | None = None, name: str = "v") -> pd.DataFrame:
    values = np.arange(1.0, len(dates) + 1) if values is None else values
    return pd.DataFrame({"d": dates, name: values})


# -- dates read right -----------------------------------------------------------------------------

DATES_READ = {
    # name: (dates, options, first, last, freq)
    "day-first settled by a 13": (
        list(DAYS.strftime("%d/%m/%Y")), {}, "2020-01-10", "2020-01-23", "D",
    ),
    "month-first settled by a 13": (
        list(DAYS.strftime("%m/%d/%Y")), {}, "2020-01-10", "2020-01-23", "D",
    ),
    "day-first with dots": (
        list(DAYS.strftime("%d.%m.%Y")), {}, "2020-01-10", "2020-01-23", "D",
    ),
    "day-first with dashes": (
        list(DAYS.strftime("%d-%m-%Y")), {}, "2020-01-10", "2020-01-23", "D",
    ),
    "day-first, two-digit year": (
        list(DAYS.strftime("%d/%m/%y")), {}, "2020-01-10", "2020-01-23", "D",
    ),
    "day-first, one-digit day": (
        [f"{d.day}/{d.month}/{d.year}" for d in DAYS], {}, "2020-01-10", "2020-01-23", "D",
    ),
    "day-first with a time": (
        list(DAYS.strftime("%d/%m/%Y 10:30")), {}, "2020-01-10 10:30", "2020-01-23 10:30", "D",
    ),
    "ambiguous, told dayfirst=True": (
        list(MONTHS.strftime("%d/%m/%Y")), {"dayfirst": True}, "1949-01-01", "1950-02-01", "MS",
    ),
    "ambiguous, told dayfirst=False": (
        list(MONTHS.strftime("%d/%m/%Y")), {"dayfirst": False}, "1949-01-01", "1950-01-02", None,
    ),
    "ambiguous, told a format": (
        list(MONTHS.strftime("%d/%m/%Y")),
        {"date_format": "%d/%m/%Y"},
        "1949-01-01",
        "1950-02-01",
        "MS",
    ),
    "day equals month everywhere": (
        ["01/01/2020", "02/02/2020", "03/03/2020"], {}, "2020-01-01", "2020-03-03", None,
    ),
    "Jan-49 is 1949": (list(MONTHS.strftime("%b-%y")), {}, "1949-01-01", "1950-02-01", "MS"),
    "Jan 49 is 1949": (list(MONTHS.strftime("%b %y")), {}, "1949-01-01", "1950-02-01", "MS"),
    "January 1949": (list(MONTHS.strftime("%B %Y")), {}, "1949-01-01", "1950-02-01", "MS"),
    "Jan-12 is 2012, not 12 January": (
        ["Jan-12", "Feb-12", "Mar-12"], {}, "2012-01-01", "2012-03-01", "MS",
    ),
    "49-Jan": (["49-Jan", "49-Feb", "49-Mar"], {}, "1949-01-01", "1949-03-01", "MS"),
    "01-Feb-49": (["01-Feb-49", "01-Mar-49", "01-Apr-49"], {}, "1949-02-01", "1949-04-01", "MS"),
    "across 2000": (["Nov-99", "Dec-99", "Jan-00", "Feb-00"], {}, "1999-11-01", "2000-02-01", "MS"),
    "%y format is 1949": (
        list(MONTHS.strftime("%m/%y")), {"date_format": "%m/%y"}, "1949-01-01", "1950-02-01", "MS",
    ),
    "ISO months": (list(MONTHS.strftime("%Y-%m")), {}, "1949-01-01", "1950-02-01", "MS"),
    "ISO days": (list(DAYS.strftime("%Y-%m-%d")), {}, "2020-01-10", "2020-01-23", "D"),
    "quarters": (
        ["1970 Q1", "1970 Q2", "1970 Q3", "1970 Q4"], {}, "1970-01-01", "1970-10-01", "QS-JAN",
    ),
    "datetime64 column": (list(DAYS), {}, "2020-01-10", "2020-01-23", "D"),
    "business days": (
        list(pd.date_range("2020-01-06", periods=10, freq="B").strftime("%Y-%m-%d")),
        {},
        "2020-01-06",
        "2020-01-17",
        "B",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DATES_READ))
def test_dates_are_read_as_meant(case):
    dates, options, first, last, freq = DATES_READ[case]
    series = prepare_series(frame(dates), **options)
    index = series.frame.index
    assert isinstance(index, pd.DatetimeIndex) and index.name == "d"
    assert index[0] == pd.Timestamp(first) and index[-1] == pd.Timestamp(last)
    assert series.freq == freq
    assert len(index) == len(dates)


# -- dates refused --------------------------------------------------------------------------------

DATES_REFUSED = {
    "ambiguous monthly": (
        list(MONTHS.strftime("%d/%m/%Y")),
        {},
        "could be day-first or month-first (row 1 holds '01/02/1949'",
    ),
    "ambiguous with dots": (
        list(MONTHS.strftime("%d.%m.%Y")), {}, "could be day-first or month-first",
    ),
    "ambiguous two-digit years": (
        list(MONTHS.strftime("%d/%m/%y")), {}, "say which with date_format=... (e.g.",
    ),
    "mixed orders": (
        ["13/01/2020", "01/14/2020", "15/01/2020"],
        {},
        "mixes day-first and month-first dates: row 0 holds '13/01/2020' (day first) and "
        "row 1 holds '01/14/2020'",
    ),
    "dayfirst contradicted": (
        list(DAYS.strftime("%m/%d/%Y")), {"dayfirst": True}, "dayfirst=True but row 3 holds",
    ),
    "monthfirst contradicted": (
        list(DAYS.strftime("%d/%m/%Y")),
        {"dayfirst": False},
        "dayfirst=False but row 3 holds '13/01/2020', whose first number (13) cannot be a month",
    ),
    "format not matched": (
        list(DAYS.strftime("%Y-%m-%d")),
        {"date_format": "%d/%m/%Y"},
        "row 0 holds '2020-01-10', which does not match date_format='%d/%m/%Y'",
    ),
    "not a date day-first": (
        ["31/02/2020", "13/03/2020", "14/03/2020"], {}, "which is not a date when read day-first",
    ),
    "no year": (["Jan", "Feb", "Mar"], {"date_column": "d"}, "which has no year"),
    "not dates": (["x1", "x2", "x3"], {"date_column": "d"}, "does not hold dates: row 0"),
    "missing date": (["2020-01-01", None, "2020-01-03"], {"date_column": "d"}, "no date at row 1"),
    "missing date, detected": (["2020-01-01", "2020-01-02", None], {}, "no date at row 2"),
    "repeated date": (
        ["2020-01-01", "2020-01-02", "2020-01-02"],
        {},
        "row 2 (2020-01-02) does not come after row 1 (2020-01-02)",
    ),
    "decreasing dates": (
        ["2020-01-03", "2020-01-02", "2020-01-04"], {}, "must increase without repeats",
    ),
    "a skipped month": (
        list(MONTHS.delete(5).strftime("%Y-%m")),
        {},
        "skip 1 of the 14 times of their frequency (MS), the first 1949-06-01 (after 1949-05-01)",
    ),
    "skipped days": (
        list(DAYS.delete([3, 9]).strftime("%Y-%m-%d")), {}, "skip 2 of the 14 times",
    ),
    "a skipped week": (
        list(pd.date_range("2020-01-05", periods=10, freq="W").delete(4).strftime("%Y-%m-%d")),
        {},
        "(W-SUN), the first 2020-02-02",
    ),
    "a skipped hour": (
        list(pd.date_range("2020-01-05", periods=10, freq="h").delete(4).astype(str)),
        {},
        "the first 2020-01-05 04:00:00 (after 2020-01-05 03:00:00)",
    ),
    "a skipped quarter": (
        ["1970 Q1", "1970 Q2", "1970 Q4", "1971 Q1", "1971 Q2"], {}, "the first 1970-07-01",
    ),
    "bad date_format": (
        list(DAYS.strftime("%Y-%m-%d")), {"date_format": "dd/mm"},
        "date_format='dd/mm' is not a strftime format",
    ),
    "unknown directive": (
        list(DAYS.strftime("%Y-%m-%d")), {"date_format": "%Q-%Y"},
        "date_format='%Q-%Y' is not a format dates can be read with",
    ),
    "bad dayfirst": (list(DAYS.strftime("%Y-%m-%d")), {"dayfirst": "yes"}, "dayfirst must be"),
    "bad fill": (list(DAYS.strftime("%Y-%m-%d")), {"fill": "mean"}, "fill must be one of"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DATES_REFUSED))
def test_dates_that_would_be_guessed_are_refused(case):
    dates, options, words = DATES_REFUSED[case]
    with pytest.raises(ValueError, match=re.escape(words)):
        prepare_series(frame(dates), **options)


# -- gaps filled when asked -----------------------------------------------------------------------

FILLED = {
    # fill: the value at the skipped 1949-06-01 (between 5.0 and 6.0 of the rows around it)
    "interpolate": 5.0 + 31 / 61,  # linear in time: May has 31 days, May+June 61
    "ffill": 5.0,
    "zero": 0.0,
}


@pytest.mark.parametrize("fill", list(FILLED))
def test_a_skipped_month_is_filled_when_asked(fill):
    dates = MONTHS.delete(5)
    series = prepare_series(frame(list(dates.strftime("%Y-%m"))), fill=fill)
    assert len(series.frame) == 14 and series.freq == "MS"
    assert series.frame.index[5] == pd.Timestamp("1949-06-01")
    assert series.frame["v"].iloc[5] == pytest.approx(FILLED[fill])
    assert series.frame["v"].iloc[6] == 6.0


@pytest.mark.parametrize("fill", ["interpolate", "ffill", "zero"])
def test_an_empty_value_is_filled_when_asked(fill):
    values = [1.0, 2.0, np.nan, 4.0, 5.0]
    series = prepare_series(frame(list(DAYS[:5].strftime("%Y-%m-%d")), values), fill=fill)
    assert series.frame["v"].iloc[2] == {"interpolate": 3.0, "ffill": 2.0, "zero": 0.0}[fill]


def test_irregular_dates_are_not_gaps():
    rng = np.random.default_rng(0)
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.cumsum(rng.integers(1, 4, 60)), "D")
    series = prepare_series(frame(list(dates.strftime("%Y-%m-%d"))))
    assert series.freq is None and len(series.frame) == 60


# -- numbers --------------------------------------------------------------------------------------

NUMBERS_READ = {
    # name: (values, decimal, expected)
    "thousands settled by a million": (["1,234,567", "112,000", "5"], None, [1234567, 112000, 5]),
    "thousands settled by a decimal point": (
        ["1,234.5", "112,000", "7.25"], None, [1234.5, 112000, 7.25],
    ),
    "quoted thousands, told '.'": (["112,000", "118,000", "13,000"], ".", [112000, 118000, 13000]),
    "decimal comma": (["1,5", "2,25", "3"], None, [1.5, 2.25, 3]),
    "decimal comma, negative": (["-1,5", "+2,25", "3"], None, [-1.5, 2.25, 3]),
    "decimal comma with dot thousands": (["1.234,5", "12,75", "9"], None, [1234.5, 12.75, 9]),
    "dot thousands only": (["1.234.567", "2,5", "7"], None, [1234567, 2.5, 7]),
    "'1,500' told ','": (["1,500", "2,250", "3,000"], ",", [1.5, 2.25, 3.0]),
    "plain text numbers": (["1.5", "2", "1e3"], None, [1.5, 2, 1000]),
    "empty values kept empty": (["1,5", None, "3,25"], None, [1.5, np.nan, 3.25]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(NUMBERS_READ))
def test_numbers_with_separators_are_read(case):
    values, decimal, expected = NUMBERS_READ[case]
    read = parse_numbers(pd.Series(values, dtype=object), "v", decimal)
    np.testing.assert_allclose(read.to_numpy(), np.asarray(expected, dtype=float))


NUMBERS_REFUSED = {
    "'1,500' alone": (
        ["1,500", "2,250"],
        "column 'v': row 0 holds '1,500', where the comma could separate thousands or be a "
        "decimal comma; say which with decimal=',' or decimal='.'",
    ),
    "decimal comma and decimal point": (
        ["1,5", "2.5"],
        "column 'v' mixes a decimal comma (row 0 holds '1,5') with a decimal point or thousands "
        "commas (row 1 holds '2.5')",
    ),
    "decimal comma and thousands": (["1,5", "1,234,567"], "mixes a decimal comma"),
}


@pytest.mark.parametrize("case", list(NUMBERS_REFUSED))
def test_numbers_that_would_be_guessed_are_refused(case):
    values, words = NUMBERS_REFUSED[case]
    with pytest.raises(ValueError, match=re.escape(words)):
        prepare_series(pd.DataFrame({"v": values}))


@pytest.mark.parametrize("text", ["about 300", "12 kg", "1,2,3.4.5", "--5", "0x10"])
def test_text_that_is_no_number_is_named_with_its_row(text):
    values = ["1", "2", text, "4"]
    with pytest.raises(ValueError, match=re.escape(f"row 2 holds {text!r}")):
        prepare_series(pd.DataFrame({"v": values}), target="v")


def test_quoted_thousands_are_not_taken_for_dates():
    data = frame(list(MONTHS.strftime("%Y-%m")), [f"{1000 * (i + 1):,}" for i in range(14)])
    data["w"] = ["1,234,567"] + ["2,000"] * 13
    series = prepare_series(data, target="v", decimal=".")
    assert series.date_column == "d"
    assert series.frame["v"].iloc[-1] == 14000.0


# -- values ---------------------------------------------------------------------------------------

VALUES_REFUSED = {
    "NaN": ({"v": [1.0, 2.0, np.nan, 4.0]}, "column 'v' has a gap (NaN) at row 2"),
    "inf": ({"v": [1.0, np.inf, 3.0, 4.0]}, "column 'v' holds inf (infinite) at row 1"),
    "-inf": ({"v": [1.0, 2.0, 3.0, -np.inf]}, "column 'v' holds -inf (infinite) at row 3"),
    "inf as text": ({"v": ["1", "inf", "3", "4"]}, "column 'v' holds inf (infinite) at row 1"),
    "1e200": (
        {"v": [1.0, 1e200, 3.0, 4.0]},
        "column 'v' holds 1e+200 at row 1, beyond the float32 range",
    ),
    "-1e39": ({"v": [1.0, 2.0, -1e39, 4.0]}, "column 'v' holds -1e+39 at row 2, beyond"),
    "inf in a feature": (
        {"v": [1.0, 2.0, 3.0, 4.0], "f": [0.0, 0.0, np.inf, 0.0]},
        "column 'f' holds inf (infinite) at row 2",
    ),
    "one row": ({"v": [1.0]}, "a series needs at least 2 rows; got 1"),
}


@pytest.mark.parametrize("case", list(VALUES_REFUSED))
def test_values_a_network_cannot_use_are_refused(case):
    columns, words = VALUES_REFUSED[case]
    features = ["f"] if "f" in columns else None
    with pytest.raises(ValueError, match=re.escape(words)):
        prepare_series(pd.DataFrame(columns), target="v", features=features)


def test_values_near_float32s_limit_are_kept():
    series = prepare_series(pd.DataFrame({"v": [1.0, 3e38, -3e38]}))
    assert series.frame["v"].iloc[1] == 3e38


# -- class labels and float32's range in fit/evaluate ---------------------------------------------


def _classifier(loss: str, units: int) -> Sequential:
    activation = "sigmoid" if loss == "binary_crossentropy" else "softmax"
    model = Sequential([LSTM(2, input_shape=(3, 2)), Dense(units, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    return model


X = np.zeros((5, 3, 2), dtype=np.float32)

LABELS_REFUSED = {
    "sparse past the last class": (
        "sparse_categorical_crossentropy", 3, [0, 1, 2, 3, 0],
        "y holds the label 3 at row 3, but the model's output has 3 classes (labels 0 to 2)",
    ),
    "sparse negative": (
        "sparse_categorical_crossentropy", 3, [0, -1, 2, 1, 0], "the label -1 at row 1",
    ),
    "sparse far out": (
        "sparse_categorical_crossentropy", 4, [0, 1, 2, 1, 40], "the label 40 at row 4",
    ),
    "sparse fractional": (
        "sparse_categorical_crossentropy", 3, [0, 1, 1.5, 1, 0],
        "y holds 1.5 at row 2; sparse_categorical_crossentropy needs integer class labels",
    ),
    "sparse column of labels": (
        "sparse_categorical_crossentropy", 2, [[0], [1], [2], [1], [0]], "the label 2 at row 2",
    ),
    "binary label 2": (
        "binary_crossentropy", 1, [0, 1, 2, 1, 0],
        "y holds the label 2 at row 2, but binary_crossentropy needs labels 0 or 1",
    ),
    "binary label -1": ("binary_crossentropy", 1, [-1, 1, 1, 1, 0], "the label -1 at row 0"),
    "binary alias bce": ("bce", 1, [0, 1, 1, 1, 3], "the label 3 at row 4"),
    "categorical counts": (
        "categorical_crossentropy", 3, np.eye(3)[[0, 1, 2, 0, 1]] * 2,
        "y holds the label 2 at row 0, but categorical_crossentropy needs one-hot rows over the "
        "3 classes",
    ),
    "categorical negative": (
        "categorical_crossentropy", 3, -np.eye(3)[[0, 1, 2, 0, 1]], "the label -1 at row 0",
    ),
}  # fmt: skip


@pytest.mark.parametrize("call", ["fit", "evaluate"])
@pytest.mark.parametrize("case", list(LABELS_REFUSED))
def test_labels_out_of_range_are_refused(case, call):
    loss, units, labels, words = LABELS_REFUSED[case]
    model = _classifier(loss, units)
    run = getattr(model, call)
    with pytest.raises(ValueError, match=re.escape(words)):
        run(X, np.asarray(labels), verbose=0)


LABELS_ACCEPTED = {
    "sparse every class": ("sparse_categorical_crossentropy", 3, [0, 1, 2, 1, 0]),
    "sparse as floats": ("sparse_categorical_crossentropy", 3, [0.0, 1.0, 2.0, 1.0, 0.0]),
    "binary probabilities": ("binary_crossentropy", 1, [0.0, 0.3, 1.0, 0.7, 0.5]),
    "categorical one-hot": ("categorical_crossentropy", 3, np.eye(3)[[0, 1, 2, 0, 1]]),
    "categorical soft": ("categorical_crossentropy", 2, [[0.2, 0.8]] * 5),
    "mse takes any value": ("mse", 1, [-5.0, 1e6, 2.0, 3.0, 0.0]),
}


@pytest.mark.parametrize("case", list(LABELS_ACCEPTED))
def test_labels_in_range_train(case):
    loss, units, labels = LABELS_ACCEPTED[case]
    model = _classifier(loss, units)
    history = model.fit(X, np.asarray(labels), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


FLOAT32 = {
    "x past float32": ("x", 1e200, "x holds 1e+200 at index (1, 0, 0), beyond the float32 range"),
    "x negative past float32": ("x", -1e39, "x holds -1e+39 at index (1, 0, 0), beyond"),
    "y past float32": ("y", 1e39, "y holds 1e+39 at index (1,), beyond the float32 range"),
    "x NaN": ("x", np.nan, "x contains NaN or inf (first at index (1, 0, 0))"),
    "y inf": ("y", np.inf, "y contains NaN or inf (first at index (1,))"),
}


@pytest.mark.parametrize("case", list(FLOAT32))
def test_values_past_float32_are_named_before_training(case):
    which, value, words = FLOAT32[case]
    model = Sequential([LSTM(2, input_shape=(3, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((5, 3, 2))
    y = np.zeros(5)
    (x if which == "x" else y)[1] = value
    with pytest.raises(ValueError, match=re.escape(words)):
        model.fit(x, y, epochs=1, verbose=0)


def test_an_unused_column_of_unreadable_numbers_does_not_stop_the_run():
    data = frame(list(MONTHS.strftime("%Y-%m")))
    data["code"] = ["1,5", "2.5"] * 7  # a decimal comma and a point: refused if used
    series = prepare_series(data, target="v")
    assert list(series.frame.columns) == ["v"] and series.date_column == "d"
    with pytest.raises(ValueError, match=re.escape("column 'code' mixes a decimal comma")):
        prepare_series(data, target="v", features=["code"])
