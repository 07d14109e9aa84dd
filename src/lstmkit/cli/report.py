"""The forecast job's ``report.html``: one self-contained page (inline style, images embedded as
``data:`` URIs, no scripts, nothing fetched) that leads with the published forecast and its
prediction intervals, then shows how every model did on the held-out part (one step ahead, one
forecast from the end of training, error by step ahead, interval coverage), the data, the
settings each default resolved to, the training, and the command that reproduces it.

Numbers in the target's units share one number of decimals, chosen from the spread of the
target (three significant digits of its standard deviation); dates are written in the data's
own frequency (``1961-01`` for monthly data). The page has a viewport tag, and wide tables
scroll sideways inside their own box on a phone instead of widening the page.
"""

from __future__ import annotations

import base64
import math
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from lstmkit.forecast.seasons import format_time

__all__ = ["MODEL_LABELS", "SHORT_LABELS", "render_report", "unit_decimals"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1.5rem auto;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right;
         white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
td.text { white-space: normal; text-align: left; overflow-wrap: anywhere; }
table.wide { width: 100%; }
tr.best td { font-weight: 600; background: #eef7ee; }
tr.chosen td { font-weight: 600; background: #eef2fb; }
code, pre { background: #f4f4f4; border-radius: 4px; }
pre { padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
img { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.9rem; }
.headline { font-size: 1.05rem; background: #f6f8fb; padding: 0.75rem; border-radius: 6px; }
@media (max-width: 600px) {
  body { margin: 0.75rem auto; padding: 0 0.6rem; font-size: 15px; }
  th, td { padding: 0.2rem 0.35rem; font-size: 0.85rem; }
  th { white-space: normal; vertical-align: bottom; }
  .wide-only { display: none; }
  h1 { font-size: 1.25rem; }
}
"""

#: How tables and messages name each model.
MODEL_LABELS = {
    "lstm": "LSTM (lstmkit)",
    "naive": "naive (last value)",
    "seasonal_naive": "seasonal naive (one season earlier)",
    "sarimax": "SARIMAX",
}


def unit_decimals(spread: float) -> int:
    """Decimals for numbers in the target's units: three significant digits of ``spread``
    (the target's standard deviation), between 0 and 6."""
    if not spread or not math.isfinite(spread) or spread <= 0:
        return 3
    return int(min(6, max(0, 2 - math.floor(math.log10(spread)))))


class _Numbers:
    """Formats numbers: the target's units with fixed decimals, scores with fixed ones."""

    def __init__(self, decimals: int) -> None:
        self.decimals = decimals

    def unit(self, value: Any) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "—"
        return f"{float(value):,.{self.decimals}f}"

    @staticmethod
    def fixed(value: Any, decimals: int = 2, suffix: str = "") -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "—"
        return f"{float(value):.{decimals}f}{suffix}"


def _image(path: Path, alt: str) -> str:
    encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{encoded}">'


def _table(
    header: list[str],
    rows: list[list[str]],
    classes: list[str] | None = None,
    text_columns: tuple[int, ...] = (),
    wide_only: tuple[int, ...] = (),
) -> str:
    """A table of ``rows`` (cells already HTML) in a box that scrolls sideways on a narrow
    screen; no header row when ``header`` is empty. ``wide_only``: columns left out on a
    phone's width."""

    def attributes(index: int) -> str:
        names = [
            n for n, cols in (("text", text_columns), ("wide-only", wide_only)) if index in cols
        ]
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f"<th{attributes(i)}>{escape(h)}</th>" for i, h in enumerate(header))
    head = f"<thead><tr>{head}</tr></thead>" if header else ""
    body = []
    for position, row in enumerate(rows):
        css = f' class="{classes[position]}"' if classes and classes[position] else ""
        cells = "".join(f"<td{attributes(i)}>{cell}</td>" for i, cell in enumerate(row))
        body.append(f"<tr{css}>{cells}</tr>")
    wide = ' class="wide"' if text_columns else ""
    return f'<div class="scroll"><table{wide}>{head}<tbody>{"".join(body)}</tbody></table></div>'


#: Short names for table rows.
SHORT_LABELS = {
    "lstm": "LSTM",
    "naive": "naive",
    "seasonal_naive": "seasonal naive",
    "sarimax": "SARIMAX",
}


def _label(name: str) -> str:
    return escape(MODEL_LABELS.get(name, name))


def _short(name: str) -> str:
    return escape(SHORT_LABELS.get(name, name))


def _scores_table(metrics: dict[str, Any], numbers: _Numbers) -> str:
    """Point forecasts: validation RMSE (what chose), one-step RMSE and MAE, H-step RMSE,
    MASE of the rolling backtest."""
    models = metrics["models"]
    chosen = metrics["chosen"]["model"]
    header = ["model", "valid. RMSE", "1-step RMSE", "1-step MAE"]
    header += [f"{_steps(metrics)}-step RMSE", "MASE"]
    rows, classes = [], []

    def score(scores: dict[str, Any], key: str) -> str:
        # Forecasts that overflowed have no score: say so rather than show a dash.
        return "not finite" if key in scores.get("not_finite", ()) else numbers.unit(scores[key])

    for name, result in models.items():
        backtest = result.get("backtest", {})
        rows.append(
            [
                _short(name) + (" ★" if name == chosen else ""),
                numbers.unit(result.get("validation_rmse")),
                score(result["one_step"], "rmse"),
                score(result["one_step"], "mae"),
                score(result["multi_step"], "rmse"),
                numbers.fixed(backtest.get("mase")),
            ]
        )
        classes.append("chosen" if name == chosen else "")
    return _table(header, rows, classes)


def _intervals_table(metrics: dict[str, Any], numbers: _Numbers, levels: list[float]) -> str:
    """Prediction intervals on the rolling backtest: coverage and MSIS per level."""
    chosen = metrics["chosen"]["model"]
    header = ["model"] + [f"cover {level:g} %" for level in levels]
    header += [f"MSIS {level:g}" for level in levels]
    rows, classes = [], []
    for name, result in metrics["models"].items():
        intervals = result.get("backtest", {}).get("intervals", {})
        row = [_short(name) + (" ★" if name == chosen else "")]
        row += [
            numbers.fixed(intervals.get(f"{level:g}", {}).get("coverage"), 0, " %")
            for level in levels
        ]
        row += [numbers.fixed(intervals.get(f"{level:g}", {}).get("msis")) for level in levels]
        rows.append(row)
        classes.append("chosen" if name == chosen else "")
    return _table(header, rows, classes)


def _steps(metrics: dict[str, Any]) -> int:
    return min(metrics["settings"]["steps"], metrics["data"]["test"]["rows"])


def _summary(data: dict[str, Any], numbers: _Numbers) -> str:
    train, test = data["train"], data["test"]
    rows = [
        ["file", f"<code>{escape(str(data['file']))}</code>"],
        ["rows", escape(str(data["rows"]))],
        ["target", f"<code>{escape(data['target'])}</code>"],
        [
            "features",
            ", ".join(f"<code>{escape(f)}</code>" for f in data["features"]) or "none (univariate)",
        ],
        ["dates", escape(f"{data['first']} … {data['last']}")],
        ["frequency", escape(str(data.get("frequency_words") or "not inferred"))],
        ["training part", escape(f"{train['rows']} rows, {train['first']} … {train['last']}")],
        ["held-out part", escape(f"{test['rows']} rows, {test['first']} … {test['last']}")],
    ]
    for part, label in (("target_train", "target, training"), ("target_test", "target, held out")):
        stats = data[part]
        rows.append(
            [
                label,
                escape(
                    f"min {numbers.unit(stats['min'])}, mean {numbers.unit(stats['mean'])}, "
                    f"max {numbers.unit(stats['max'])}, sd {numbers.unit(stats['std'])}"
                ),
            ]
        )
    return _table([], rows, text_columns=(1,))


def _settings(settings: dict[str, Any]) -> str:
    """Each setting, its value, and under it why (one column of text, so it fits a phone)."""
    resolved = settings.get("resolved", {})

    def cell(value: str, why: str = "") -> str:
        note = f"<br><span class='note'>{escape(why)}</span>" if why else ""
        return f"{escape(value)}{note}"

    rows = [
        [escape(name.replace("_", "-")), cell(str(settings.get(name)), resolved.get(name, ""))]
        for name in ("look_back", "horizon", "log", "season", "calendar")
    ]
    network = f"{settings['n_models']} × LSTM({settings['units']})"
    if settings["layers"] > 1:
        network += f" × {settings['layers']} layers"
    rows.append(
        [
            "network",
            cell(
                network, "an ensemble trained as one network; the forecast is the members' median"
            ),
        ]
    )
    one_step = settings.get("one_step")
    if one_step:
        rows.append(
            [
                "one step ahead",
                cell(
                    f"the mean of its first step and a one-step network ({settings['n_models']} "
                    f"× LSTM({one_step['units']}) on levels, trained on whole "
                    f"{one_step['length']}-row stretches)",
                    "the scores one step ahead; the forecasts further ahead are the direct "
                    "network's",
                ),
            ]
        )
    rows.append(["epochs", cell(str(settings["epochs"]))])
    transforms = (
        ("log, " if settings["log"] else "")
        + (
            "seasonally differenced, "
            if settings["difference"] == "seasonal"
            else "differenced, "
            if settings["difference"]
            else ""
        )
        + f"scaled {settings['scaler']}"
    )
    rows.append(["transforms", cell(transforms, "fitted on the training part only")])
    if settings.get("params_file"):
        tuning = settings.get("tuning")
        why = (
            f"from lstmkit tune: study {tuning['study']}, best validation RMSE "
            f"{tuning['best_value']:.4g} after {tuning['trials']} trials ({tuning['completed']} "
            f"complete, {tuning['pruned']} pruned) in {tuning['seconds']:.0f} s"
            if tuning
            else ""
        )
        rows.append(["parameters file", cell(settings["params_file"], why)])
    return _table(["setting", "value (and why)"], rows, text_columns=(1,))


def render_report(
    metrics: dict[str, Any],
    future: pd.DataFrame,
    images: dict[str, Path],
    freq: str | None = None,
) -> str:
    """The HTML page for one forecast run (``metrics``: what ``metrics.json`` holds; ``future``
    the published forecast with its ``lo-L``/``hi-L`` columns; ``images``: the PNGs by name,
    ``forecast``, ``heldout``, ``errors``, ``loss``)."""
    data, settings = metrics["data"], metrics["settings"]
    target = data["target"]
    numbers = _Numbers(unit_decimals(data["target_train"]["std"]))
    chosen = metrics["chosen"]
    levels = [float(level) for level in metrics["forecast"]["levels"]]
    spread = metrics["forecast"].get("ensemble_spread")
    header = ["time", "forecast"] + [f"{level:g} % interval" for level in sorted(levels)]
    if spread:
        header += ["LSTM members"]
    forecast_rows = []
    for position, (index, row) in enumerate(future.iterrows()):
        cells = [escape(format_time(index, freq)), numbers.unit(row[target])]
        cells += [
            f"{numbers.unit(row[f'lo-{level:g}'])}–{numbers.unit(row[f'hi-{level:g}'])}"
            for level in sorted(levels)
        ]
        if spread:
            cells.append(
                f"{numbers.unit(spread['min'][position])}–{numbers.unit(spread['max'][position])}"
            )
        forecast_rows.append(cells)
    by_step = {
        name: result["backtest"]["rmse_by_step"]
        for name, result in metrics["models"].items()
        if "backtest" in result
    }
    step_rows = []
    if by_step:
        for step in range(len(next(iter(by_step.values())))):
            step_rows.append(
                [str(step + 1)] + [numbers.unit(values[step]) for values in by_step.values()]
            )
    skipped = "".join(
        f"<li>{_label(name)}: {escape(reason)}</li>"
        for name, reason in metrics.get("skipped", {}).items()
    )
    overflowed = [
        name for name, result in metrics["models"].items() if result["one_step"]["rmse"] is None
    ]
    if overflowed:
        skipped += "".join(
            f"<li>{_label(name)}: its one-step forecasts are not finite (they overflowed), so "
            "they have no scores.</li>"
            for name in overflowed
        )
    evaluation = metrics["evaluation"]
    training = metrics["training"]
    steps = metrics["forecast"]["steps"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>lstmkit forecast of {escape(target)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Forecast of <code>{escape(target)}</code>, {escape(data['frequency_words'])}, "
        f"{escape(metrics['forecast']['first'])} … {escape(metrics['forecast']['last'])}</h1>",
        f"<p class='headline'>Published: <b>{_label(chosen['model'])}</b>, {steps} steps "
        f"with {' and '.join(f'{level:g} %' for level in levels)} prediction intervals. "
        f"Why: {escape(chosen['why'])}.</p>",
        _image(images["forecast"], f"{target}: data, forecast and prediction intervals"),
        _table(header, forecast_rows, wide_only=(len(header) - 1,) if spread else ()),
        "<p class='note'>Intervals: conformal, calibrated per step ahead on forecasts from the "
        "end of the training part (see the coverage below, measured on the held-out part). "
        "Grey lines: the LSTM ensemble's members, whose median is the LSTM forecast (their "
        "range is a column of the table on a wider screen).</p>",
        "<h2>How every model did on the held-out part</h2>",
        f"<p>{data['test']['rows']} held-out rows, {escape(data['test']['first'])} … "
        f"{escape(data['test']['last'])}. Validation RMSE: on the end of the training part "
        "(what chose the model). One-step: "
        f"{escape(evaluation['one_step'])}. {_steps(metrics)}-step: "
        f"{escape(evaluation['multi_step'])}. MASE, coverage and MSIS: "
        f"{escape(evaluation['backtest'])}. ★ the published model.</p>",
        _scores_table(metrics, numbers),
        "<h3>Prediction intervals</h3>",
        "<p class='note'>Share of held-out values inside each model's interval (the target is "
        "the level itself), and the mean scaled interval score (MSIS: width plus penalties for "
        "misses, over the training part's mean seasonal change; lower is better).</p>",
        _intervals_table(metrics, numbers, levels),
        f"<ul class='note'>{skipped}</ul>" if skipped else "",
        _image(images["heldout"], "every model's forecast of the held-out part"),
        "<h3>Error by step ahead</h3>",
        (
            "<p class='note'>RMSE of the forecasts from every held-out origin, by step ahead. "
            "The LSTM's are its direct network's; its one-step scores above also average in "
            "its one-step network, so its step 1 here differs from them.</p>"
            if settings.get("one_step")
            else ""
        ),
        _table(["step"] + [SHORT_LABELS.get(name, name) for name in by_step], step_rows)
        if step_rows
        else "",
        _image(images["errors"], "RMSE by step ahead for every model"),
        "<h2>Data</h2>",
        _summary(data, numbers),
        "<h2>LSTM settings</h2>",
        _settings(settings),
        "<h2>Training</h2>",
        f"<p>{training['epochs']} epochs in {training['seconds']:.1f} s; final training loss "
        f"{numbers.fixed(training['final_loss'], 5)} (mean squared error in the network's "
        "scaled space).</p>",
        _image(images["loss"], "training loss by epoch"),
        "<h2>Reproduce</h2>",
        f"<pre><code>{escape(metrics['command'])}</code></pre>",
        "<p class='note'>Files beside this page: "
        + ", ".join(f"<code>{escape(name)}</code>" for name in metrics["files"].values())
        + ".</p>",
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"
