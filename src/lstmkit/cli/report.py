"""The forecast job's ``report.html``: one self-contained page (inline style, images embedded as
``data:`` URIs, no scripts, nothing fetched) with the data summary, the LSTM's scores beside the
baselines', the plots, the forecast and the command that reproduces it."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["MODEL_LABELS", "render_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.best td { font-weight: 600; background: #eef7ee; }
code, pre { background: #f4f4f4; border-radius: 4px; }
pre { padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; }
img { max-width: 100%; }
.note { color: #555; font-size: 0.9rem; }
"""

#: How tables and messages name each model.
MODEL_LABELS = {
    "lstm": "LSTM (lstmkit)",
    "naive": "naive (last value)",
    "seasonal_naive": "seasonal naive (one season earlier)",
    "sarimax": "SARIMAX",
}


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e6 else f"{value:.4e}"
    return escape(str(value))


def _image(path: Path, alt: str) -> str:
    encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{encoded}">'


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """A table of ``rows`` (cells already HTML); no header row when ``header`` is empty."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    head = f"<thead><tr>{head}</tr></thead>" if header else ""
    body = []
    for position, row in enumerate(rows):
        css = f' class="{classes[position]}"' if classes and classes[position] else ""
        body.append(f"<tr{css}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"


def _scores_table(metrics: dict[str, Any], kind: str) -> str:
    models = metrics["models"]
    scored = [name for name in models if models[name][kind]["rmse"] is not None]
    best = min(scored, key=lambda name: models[name][kind]["rmse"]) if scored else None
    rows, classes = [], []
    for name, result in models.items():
        scores = result[kind]
        rows.append(
            [
                escape(MODEL_LABELS.get(name, name)),
                *(
                    "not finite" if key in scores.get("not_finite", ()) else _number(scores[key])
                    for key in ("rmse", "mae", "mape", "r2")
                ),
            ]
        )
        classes.append("best" if name == best else "")
    return _table(["model", "RMSE", "MAE", "MAPE %", "R²"], rows, classes)


def _summary(data: dict[str, Any], settings: dict[str, Any]) -> str:
    train, test = data["train"], data["test"]
    rows = [
        ["file", f"<code>{escape(str(data['file']))}</code>"],
        ["rows", _number(data["rows"])],
        ["target", f"<code>{escape(data['target'])}</code>"],
        [
            "features",
            ", ".join(f"<code>{escape(f)}</code>" for f in data["features"]) or "none (univariate)",
        ],
        ["dates", escape(f"{data['first']} … {data['last']}")],
        ["frequency", escape(str(data["frequency"] or "not inferred"))],
        ["training part", escape(f"{train['rows']} rows, {train['first']} … {train['last']}")],
        ["held-out part", escape(f"{test['rows']} rows, {test['first']} … {test['last']}")],
    ]
    for part in ("target_train", "target_test"):
        stats = data[part]
        label = "target in training part" if part == "target_train" else "target in held-out part"
        rows.append(
            [
                label,
                escape(
                    f"min {_number(stats['min'])}, mean {_number(stats['mean'])}, "
                    f"max {_number(stats['max'])}, std {_number(stats['std'])}"
                ),
            ]
        )
    model = (
        f"look-back {settings['look_back']}, horizon {settings['horizon']}, "
        f"{settings['layers']} LSTM layer(s) of {settings['units']} units, "
        f"{settings['epochs']} epochs, seed {settings['seed']}, "
        f"{'log, ' if settings['log'] else ''}"
        f"{'differenced, ' if settings['difference'] else ''}scaled {settings['scaler']} "
        "(fitted on the training part only)"
    )
    rows.append(["model", escape(model)])
    return _table([], rows)


def render_report(
    metrics: dict[str, Any], future: pd.DataFrame, loss_png: Path, forecast_png: Path
) -> str:
    """The HTML page for one forecast run (``metrics``: what ``metrics.json`` holds)."""
    data, settings = metrics["data"], metrics["settings"]
    target = data["target"]
    best = metrics["best_one_step"]
    lstm_rmse = metrics["models"]["lstm"]["one_step"]["rmse"]
    verdict = (
        "No model has a finite one-step RMSE on the held-out part: the forecasts overflowed."
        if best is None
        else f"The LSTM's one-step forecasts are not finite; {MODEL_LABELS.get(best, best)} "
        "has the lowest one-step RMSE."
        if lstm_rmse is None
        else "The LSTM has the lowest one-step RMSE on the held-out part."
        if best == "lstm"
        else f"{MODEL_LABELS.get(best, best)} beats the LSTM on the held-out part "
        f"(one-step RMSE {metrics['models'][best]['one_step']['rmse']:.4g} against "
        f"{lstm_rmse:.4g})."
    )
    skipped = "".join(
        f"<li>{escape(MODEL_LABELS.get(name, name))}: {escape(reason)}</li>"
        for name, reason in metrics.get("skipped", {}).items()
    )
    forecast_rows = [
        [escape(str(index.date()) if hasattr(index, "date") else str(index)), _number(value, 6)]
        for index, value in zip(future.index, future[target], strict=True)
    ]
    evaluation = metrics["evaluation"]
    training = metrics["training"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>lstmkit forecast of {escape(target)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Forecast of <code>{escape(target)}</code></h1>",
        f"<p>{escape(verdict)} Scores are in the original units of "
        f"<code>{escape(target)}</code>; the best model in each table is highlighted.</p>",
        "<h2>Data</h2>",
        _summary(data, settings),
        "<h2>Scores on the held-out part</h2>",
        f"<p>{escape(evaluation['one_step'].capitalize())}.</p>",
        _scores_table(metrics, "one_step"),
        f"<p>{escape(evaluation['multi_step'].capitalize())}.</p>",
        _scores_table(metrics, "multi_step"),
        f"<ul class='note'>{skipped}</ul>" if skipped else "",
        "<h2>Forecast</h2>",
        _image(forecast_png, f"{target}: data, held-out part and forecast"),
        _table(["time", f"forecast of {target}"], forecast_rows),
        "<h2>Training</h2>",
        f"<p>{training['epochs']} epochs in {training['seconds']:.1f} s; final training loss "
        f"{_number(training['final_loss'])} (mean squared error in the network's scaled "
        "space).</p>",
        _image(loss_png, "training loss by epoch"),
        "<h2>Reproduce</h2>",
        f"<pre><code>{escape(metrics['command'])}</code></pre>",
        "<p class='note'>Files beside this page: "
        + ", ".join(f"<code>{escape(name)}</code>" for name in metrics["files"].values())
        + ".</p>",
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"
