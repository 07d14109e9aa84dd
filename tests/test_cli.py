"""The ``lstmkit`` command end to end, in quick mode (few epochs, the same code path): the files
it writes, the metrics' keys and ranges, a report that embeds everything, and bad input that
exits with one line and leaves no output folder behind."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli import main
from lstmkit.data.datasets import dataset_path
from lstmkit.forecast import Forecaster, load_forecaster

AIRLINE = str(dataset_path("airline"))
USCHANGE = str(dataset_path("uschange"))
PNG = b"\x89PNG\r\n\x1a\n"
SCORES = {"rmse", "mae", "mape", "r2"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def quick_forecast(capsys, out: Path, *extra: str, data: str = AIRLINE) -> tuple[int, str, str]:
    return run(capsys, "forecast", data, "--epochs", "2", "--out", str(out), "--quiet", *extra)


def check_scores(scores: dict) -> None:
    assert set(scores) == SCORES
    assert np.isfinite(scores["rmse"]) and scores["rmse"] > 0
    assert 0 < scores["mae"] <= scores["rmse"] + 1e-12
    assert scores["mape"] is None or scores["mape"] >= 0
    assert scores["r2"] is None or scores["r2"] <= 1


@pytest.fixture(scope="module")
def airline_run(tmp_path_factory):
    """One quick airline run with every baseline, shared by the tests that read its files."""
    out = tmp_path_factory.mktemp("airline") / "run"
    code = main(
        [
            "forecast", AIRLINE, "--target", "Passengers", "--test", "24", "--epochs", "2",
            "--model", "lstm", "--out", str(out), "--quiet",
        ]
    )  # fmt: skip
    assert code == 0
    return out


def test_forecast_writes_every_file(airline_run):
    names = sorted(p.name for p in airline_run.iterdir())
    assert names == sorted(
        [
            ".lstmkit-output",
            "forecast.csv",
            "test_predictions.csv",
            "heldout_forecasts.csv",
            "errors_by_step.csv",
            "metrics.json",
            "loss.png",
            "forecast.png",
            "heldout.png",
            "errors_by_step.png",
            "forecaster.lstmkit",
            "report.html",
        ]
    )
    for png in ("loss.png", "forecast.png", "heldout.png", "errors_by_step.png"):
        assert (airline_run / png).read_bytes().startswith(PNG)
    forecast = pd.read_csv(airline_run / "forecast.csv")
    assert list(forecast.columns) == ["Date", "Passengers", "lo-80", "hi-80", "lo-95", "hi-95"]
    # Dates as the data writes them (monthly: 1961-01), not 1961-01-01.
    assert forecast["Date"].tolist() == [f"1961-{m:02d}" for m in range(1, 13)]
    assert np.isfinite(forecast["Passengers"]).all()
    # The bands nest around the forecast: 95 % outside 80 %.
    assert (forecast["lo-95"] < forecast["lo-80"]).all()
    assert (forecast["lo-80"] < forecast["Passengers"]).all()
    assert (forecast["Passengers"] < forecast["hi-80"]).all()
    assert (forecast["hi-80"] < forecast["hi-95"]).all()
    by_step = pd.read_csv(airline_run / "errors_by_step.csv")
    assert by_step["step"].tolist() == list(range(1, 13))
    assert list(by_step.columns[1:]) == ["lstm", "naive", "seasonal_naive", "sarimax"]
    predictions = pd.read_csv(airline_run / "test_predictions.csv")
    assert list(predictions.columns) == [
        "Date", "actual", "lstm", "naive", "seasonal_naive", "sarimax",
    ]  # fmt: skip
    assert len(predictions) == 24 and predictions["Date"].iloc[0] == "1959-01"


def test_metrics_keys_ranges_and_baseline_figures(airline_run):
    metrics = json.loads((airline_run / "metrics.json").read_text())
    assert set(metrics["models"]) == {"lstm", "naive", "seasonal_naive", "sarimax"}
    for result in metrics["models"].values():
        assert set(result) == {"one_step", "multi_step", "validation_rmse", "backtest"}
        check_scores(result["one_step"])
        check_scores(result["multi_step"])
        assert result["validation_rmse"] > 0
        backtest = result["backtest"]
        assert backtest["origins"] == 24 and len(backtest["rmse_by_step"]) == 12
        for level in ("80", "95"):
            assert 0 <= backtest["intervals"][level]["coverage"] <= 100
            assert backtest["intervals"][level]["msis"] > 0
    assert metrics["best_one_step"] in metrics["models"]
    assert metrics["chosen"] == {"model": "lstm", "why": "asked for with --model lstm"}
    assert metrics["skipped"] == {}
    # The baselines, computed here independently from the data.
    passengers = pd.read_csv(AIRLINE)["Passengers"].to_numpy(dtype=float)
    test = passengers[120:]
    naive = np.sqrt(np.mean((test - passengers[119:-1]) ** 2))
    seasonal = np.sqrt(np.mean((test - passengers[108:-12]) ** 2))
    assert metrics["models"]["naive"]["one_step"]["rmse"] == pytest.approx(naive, rel=1e-12)
    assert metrics["models"]["seasonal_naive"]["one_step"]["rmse"] == pytest.approx(seasonal)
    assert naive == pytest.approx(51.78, abs=0.01) and seasonal == pytest.approx(49.99, abs=0.01)
    ahead = np.sqrt(np.mean((test[:12] - passengers[119]) ** 2))
    assert metrics["models"]["naive"]["multi_step"]["rmse"] == pytest.approx(ahead)
    data = metrics["data"]
    assert (data["rows"], data["train"]["rows"], data["test"]["rows"]) == (144, 120, 24)
    assert (data["first"], data["last"], data["frequency"]) == ("1949-01", "1960-12", "MS")
    assert data["frequency_words"] == "monthly"
    assert metrics["training"]["epochs"] == 2
    assert metrics["command"].startswith(f"lstmkit forecast {AIRLINE} --target Passengers")


def test_report_embeds_everything_and_names_the_command(airline_run):
    html = (airline_run / "report.html").read_text()
    sources = re.findall(r'<img[^>]*\bsrc="([^"]*)"', html)
    assert len(sources) == 4
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(PNG)
    lowered = html.lower()
    for external in ("http://", "https://", "<script", "<link", "<iframe", "url("):
        assert external not in lowered
    metrics = json.loads((airline_run / "metrics.json").read_text())
    assert metrics["command"] in html.replace("&#x27;", "'")
    for label in ("LSTM", "seasonal naive", "SARIMAX", "1949-01", "1961-12", "cover 95 %"):
        assert label in html
    assert "1961-12-01" not in html and "monthly" in html


def test_saved_forecaster_reproduces_the_forecast(airline_run, capsys):
    forecaster = load_forecaster(airline_run / "forecaster.lstmkit")
    assert isinstance(forecaster, Forecaster)
    expected = pd.read_csv(airline_run / "forecast.csv")[["Date", "Passengers"]]
    code, out, err = run(capsys, "predict", str(airline_run / "forecaster.lstmkit"), AIRLINE)
    assert code == 0 and err == ""
    printed = pd.read_csv(pd.io.common.StringIO(out))
    pd.testing.assert_frame_equal(printed, expected)
    code, out, _ = run(
        capsys, "predict", str(airline_run / "forecaster.lstmkit"), AIRLINE, "--steps", "3",
        "--json",
    )  # fmt: skip
    document = json.loads(out)
    assert document["time"] == ["1961-01", "1961-02", "1961-03"]
    np.testing.assert_allclose(document["Passengers"], expected["Passengers"][:3], rtol=1e-12)


def test_the_published_baseline_is_saved_and_predict_gives_its_bands(tmp_path, capsys):
    """`--model sarimax` publishes SARIMAX: forecaster.lstmkit is that SARIMAX, and `lstmkit
    predict --level 80 95` reproduces forecast.csv, bands included, from the saved calibration."""
    out = tmp_path / "sarimax"
    code, _, _ = quick_forecast(capsys, out, "--model", "sarimax", "--test", "24")
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["forecast"]["model_class"] == "SARIMAXForecaster"
    assert all(
        name.endswith((".csv", ".json", ".png", ".lstmkit", ".html"))
        for name in metrics["files"].values()
    )
    assert type(load_forecaster(out / "forecaster.lstmkit")).__name__ == "SARIMAXForecaster"
    expected = pd.read_csv(out / "forecast.csv")
    code, printed, err = run(
        capsys, "predict", str(out / "forecaster.lstmkit"), AIRLINE, "--level", "80", "95",
    )  # fmt: skip
    assert code == 0 and err == ""
    got = pd.read_csv(pd.io.common.StringIO(printed))
    assert list(got.columns) == ["Date", "Passengers", "lo-80", "hi-80", "lo-95", "hi-95"]
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9)
    code, _, err = run(
        capsys, "predict", str(out / "forecaster.lstmkit"), AIRLINE, "--level", "120"
    )
    assert code == 1 and "level" in err and "120" in err and "Traceback" not in err


def test_predict_writes_a_file(airline_run, tmp_path, capsys):
    target = tmp_path / "next.csv"
    code, out, err = run(
        capsys, "predict", str(airline_run / "forecaster.lstmkit"), AIRLINE, "--steps", "2",
        "--output", str(target),
    )  # fmt: skip
    assert code == 0 and out == "" and "wrote 2 forecasts" in err
    assert len(pd.read_csv(target)) == 2


def test_forecast_with_features_and_json(tmp_path, capsys):
    out = tmp_path / "us"
    code, stdout, _ = quick_forecast(
        capsys, out, "--target", "Consumption", "--features", "Income,Production",
        "--look-back", "4", "--horizon", "2", "--test", "0.1", "--json", data=USCHANGE,
    )  # fmt: skip
    assert code == 0
    document = json.loads(stdout)
    assert document["out"] == str(out)
    assert document["data"]["features"] == ["Income", "Production"]
    assert document["data"]["frequency"].startswith("Q")
    assert document["data"]["test"]["rows"] == 19  # 10 % of 187 rows
    assert set(document["models"]) == {"lstm", "naive", "seasonal_naive", "sarimax"}
    check_scores(document["models"]["lstm"]["one_step"])
    # The published model: the lowest validation RMSE on the end of the training part.
    validation = {k: v["validation_rmse"] for k, v in document["models"].items()}
    assert document["chosen"]["model"] == min(validation, key=validation.get)
    assert document["chosen"]["why"].startswith("lowest RMSE of 2-step forecasts")
    assert pd.read_csv(out / "forecast.csv").columns.tolist() == [
        "Quarter", "Consumption", "lo-80", "hi-80", "lo-95", "hi-95",
    ]  # fmt: skip
    assert pd.read_csv(out / "forecast.csv")["Quarter"].tolist() == ["2016 Q4", "2017 Q1"]
    # The saved model is the published one; an LSTM with features saved alone: more steps than
    # its horizon would need future feature values, a clear refusal.
    saved = load_forecaster(out / "forecaster.lstmkit")
    assert (
        type(saved).__name__
        == {
            "lstm": "Forecaster",
            "naive": "NaiveForecaster",
            "seasonal_naive": "SeasonalNaiveForecaster",
            "sarimax": "SARIMAXForecaster",
        }[document["chosen"]["model"]]
    )
    lstm = Forecaster(
        target="Consumption", features=["Income", "Production"], horizon=2, epochs=1, n_models=1
    )
    lstm.fit(pd.read_csv(USCHANGE).iloc[:100]).save(tmp_path / "lstm.lstmkit")
    code, _, err = run(capsys, "predict", str(tmp_path / "lstm.lstmkit"), USCHANGE, "--steps", "5")
    assert code == 1 and "horizon=2" in err and "Traceback" not in err


def test_undated_series_leaves_out_the_seasonal_baseline(tmp_path, capsys):
    data = tmp_path / "values.csv"
    values = 10 + np.sin(np.arange(60) / 3)
    pd.DataFrame({"value": values}).to_csv(data, index=False)
    code, _, _ = quick_forecast(
        capsys, tmp_path / "out", "--look-back", "5", "--horizon", "3", data=str(data)
    )
    assert code == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert (
        "seasonal_naive" in metrics["skipped"]
        and "--season" in metrics["skipped"]["seasonal_naive"]
    )
    assert pd.read_csv(tmp_path / "out" / "forecast.csv")["step"].tolist() == [60, 61, 62]
    code, _, _ = quick_forecast(
        capsys, tmp_path / "out", "--look-back", "5", "--horizon", "3", "--season", "19",
        data=str(data),
    )  # fmt: skip
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert code == 0 and "seasonal_naive" in metrics["models"]


def test_progress_goes_to_stderr_unless_quiet(tmp_path, capsys):
    code, out, err = run(capsys, "forecast", AIRLINE, "--epochs", "2", "--out", str(tmp_path / "a"))
    assert code == 0
    assert "trained the LSTM" in err and "training on 115, holding out 29" in err
    assert "one-step-ahead scores" in out and "report.html" in out
    code, _, err = run(
        capsys, "forecast", AIRLINE, "--epochs", "2", "--out", str(tmp_path / "b"), "--quiet"
    )
    assert code == 0 and err == ""


# -- bad input ------------------------------------------------------------------------------------


def _text_column(tmp_path: Path) -> str:
    frame = pd.read_csv(AIRLINE)
    frame["Passengers"] = frame["Passengers"].astype(str)
    frame.loc[30, "Passengers"] = "about 300"
    path = tmp_path / "text.csv"
    frame.to_csv(path, index=False)
    return str(path)


def _short(tmp_path: Path) -> str:
    path = tmp_path / "short.csv"
    pd.read_csv(AIRLINE).head(12).to_csv(path, index=False)
    return str(path)


def _empty(tmp_path: Path) -> str:
    path = tmp_path / "empty.csv"
    path.write_text("")
    return str(path)


BAD = {
    "missing file": (lambda p: str(p / "nope.csv"), [], "no such file"),
    "unknown column": (lambda p: AIRLINE, ["--target", "Price"], "'Price' is not a column"),
    "text column": (
        _text_column,
        ["--target", "Passengers"],
        "column 'Passengers' is not numeric: row 30 holds 'about 300'",
    ),
    "too few rows": (_short, ["--test", "4"], "too few rows"),
    "zero horizon": (lambda p: AIRLINE, ["--horizon", "0"], "--horizon must be a positive"),
    "negative horizon": (lambda p: AIRLINE, ["--horizon=-3"], "--horizon must be a positive"),
    "bad test size": (lambda p: AIRLINE, ["--test", "1.5"], "--test as a fraction"),
    "empty file": (_empty, [], "is empty"),
    "unknown feature": (lambda p: AIRLINE, ["--features", "Fuel"], "--features: 'Fuel' is not"),
    "which target": (lambda p: USCHANGE, [], "say which column to forecast with --target COL"),
    "unknown date column": (lambda p: AIRLINE, ["--date-column", "When"], "--date-column 'When'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exits_with_one_line_and_no_output(case, tmp_path, capsys):
    make_data, extra, message = BAD[case]
    out = tmp_path / "work" / "out"
    code, stdout, stderr = quick_forecast(capsys, out, *extra, data=make_data(tmp_path))
    assert code == 1
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("lstmkit forecast: error: ")
    assert message in stderr
    assert "Traceback" not in stderr
    assert not out.exists() and not (tmp_path / "work").exists()


def test_usage_errors_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "forecast", AIRLINE, "--horizon", "two")
    assert code == 2 and "invalid int value: 'two'" in err
    code, _, err = run(capsys, "nonsense")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys)
    assert code == 2


def test_a_failed_rerun_keeps_the_earlier_output(airline_run, tmp_path, capsys):
    out = tmp_path / "out"
    assert quick_forecast(capsys, out, "--look-back", "6", "--horizon", "3")[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _, _ = quick_forecast(capsys, out, "--target", "Nope")
    assert code == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left
    # A successful rerun replaces it.
    assert quick_forecast(capsys, out, "--horizon", "4")[0] == 0
    assert len(pd.read_csv(out / "forecast.csv")) == 4


def test_out_must_not_clobber_other_things(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    code, _, err = quick_forecast(capsys, tmp_path / "mine")
    assert code == 1 and "is a folder lstmkit did not create" in err
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    (tmp_path / "file").write_text("x")
    code, _, err = quick_forecast(capsys, tmp_path / "file")
    assert code == 1 and "not a folder" in err


def test_ctrl_c_leaves_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Forecaster, "fit", interrupted)
    code, _, err = quick_forecast(capsys, tmp_path / "out")
    assert code == 130 and "interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_predict_bad_input(tmp_path, capsys):
    code, _, err = run(capsys, "predict", str(tmp_path / "none.lstmkit"), AIRLINE)
    assert code == 1 and err.startswith("lstmkit predict: error: MODEL: no such file")
    junk = tmp_path / "junk.lstmkit"
    junk.write_bytes(b"not a zip at all")
    code, _, err = run(capsys, "predict", str(junk), AIRLINE)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err


# -- demo, examples, help, entry points ----------------------------------------------------------


def test_demo_quick(tmp_path, capsys):
    out = tmp_path / "demo"
    code, stdout, _ = run(capsys, "demo", "--epochs", "2", "--out", str(out), "--quiet")
    assert code == 0 and "SARIMAX" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"]["log"] is True and metrics["data"]["test"]["rows"] == 24
    # The airline model on logs, one step ahead through 1959-1960 (deterministic).
    assert metrics["models"]["sarimax"]["one_step"]["rmse"] == pytest.approx(15.2, abs=0.5)
    assert "--horizon 12 --test 24 --epochs 2 --seed 0" in metrics["command"]


def test_examples_list_and_run(tmp_path, capsys):
    code, out, _ = run(capsys, "examples")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines() if line and not line.startswith("run")]
    assert names[:6] == ["lifecycle", "multivariate", "binary", "sine", "echo", "batch-size"]
    code, out, _ = run(capsys, "examples", "--json")
    assert {entry["name"] for entry in json.loads(out)} >= set(names)
    code, out, err = run(
        capsys, "examples", "lifecycle", "--quick", "--out", str(tmp_path), "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert all(Path(path).is_file() for path in result["files"])
    assert "predict" in err.lower() or err  # the example's own printing went to stderr
    code, _, err = run(capsys, "examples", "no-such-example")
    assert code == 1 and "no example named 'no-such-example'" in err


@pytest.mark.parametrize("command", ["forecast", "predict", "examples", "demo"])
def test_help_on_every_command(command, capsys):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and f"usage: lstmkit {command}" in out and "--quiet" in out


def test_entry_points_run_as_processes(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-m", "lstmkit", "--help"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0 and "forecast" in result.stdout
    script = Path(sys.executable).with_name("lstmkit")
    assert script.is_file(), "the console script is installed beside the interpreter"
    result = subprocess.run(
        [str(script), "forecast", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"lstmkit forecast: error: DATA: no such file: '{tmp_path / 'missing.csv'}'"
    ]
    assert not (tmp_path / "o").exists()


def test_dates_of_no_known_frequency_forecast_by_row(tmp_path, capsys):
    rng = np.random.default_rng(0)
    gaps = np.cumsum(rng.integers(1, 4, 60))
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(gaps, unit="D")
    data = tmp_path / "irregular.csv"
    frame = pd.DataFrame({"when": dates.strftime("%Y-%m-%d"), "v": 5 + np.sin(np.arange(60) / 4)})
    frame.to_csv(data, index=False)
    out = tmp_path / "out"
    code, _, _ = quick_forecast(capsys, out, "--look-back", "5", "--horizon", "3", data=str(data))
    assert code == 0
    assert pd.read_csv(out / "forecast.csv")["step"].tolist() == [60, 61, 62]
    predictions = pd.read_csv(out / "test_predictions.csv")
    assert predictions["when"].iloc[0] == frame["when"].iloc[48]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["frequency"] is None and metrics["data"]["date_column"] == "when"


def test_examples_quiet_prints_only_the_outcome(tmp_path, capsys):
    code, out, err = run(
        capsys, "examples", "lifecycle", "--quick", "--quiet", "--out", str(tmp_path)
    )
    assert code == 0 and err == ""
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert float(lines["largest_error"]) >= 0
    assert str(tmp_path / "loss.png") in lines["files"]


def test_semicolon_and_tab_separated_files_are_read(tmp_path, capsys):
    frame = pd.read_csv(AIRLINE)
    for name, separator in (("semicolon.csv", ";"), ("tabs.tsv", "\t")):
        path = tmp_path / name
        frame.to_csv(path, sep=separator, index=False)
        code, _, _ = quick_forecast(capsys, tmp_path / name.split(".")[0], data=str(path))
        assert code == 0
        metrics = json.loads((tmp_path / name.split(".")[0] / "metrics.json").read_text())
        assert metrics["data"]["rows"] == 144 and metrics["data"]["target"] == "Passengers"


def test_demo_full_beats_the_naive_baselines(tmp_path, capsys):
    """The demo as shipped (the Forecaster's defaults, seed 0): one-step RMSE 21.6 on 1959-1960
    (seeds 0-4: 19.0-21.6), against 50.0 for the seasonal naive forecast and 15.2 for SARIMAX."""
    out = tmp_path / "demo"
    code, _, _ = run(capsys, "demo", "--out", str(out), "--quiet")
    assert code == 0
    models = json.loads((out / "metrics.json").read_text())["models"]
    lstm = models["lstm"]["one_step"]
    assert lstm["rmse"] < 25 < models["seasonal_naive"]["one_step"]["rmse"]
    assert lstm["r2"] > 0.85


def test_the_recorded_command_says_nproc_under_torchrun(monkeypatch):
    """Each process under torchrun runs the command without --nproc (it was taken off to start
    them); the command metrics.json records puts it back, so it reproduces the run."""
    from lstmkit.cli.forecast_job import ForecastSettings

    settings = ForecastSettings(data="a.csv", target="y")
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert "--nproc" not in settings.command_line()
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert settings.command_line().endswith("--out lstmkit-forecast --nproc 2")


def test_threads_are_limited_for_the_job_and_recorded(capsys):
    """``--threads N`` (default 1): PyTorch's and the BLAS pools hold N threads inside the job
    and get their numbers back after it; a count other than 1 is part of the recorded command
    (another count may round sums in another order); 0 is refused before anything runs."""
    import threadpoolctl
    import torch

    from lstmkit.cli.forecast_job import ForecastSettings
    from lstmkit.cli.threads import limited_threads

    before = torch.get_num_threads()
    pools_before = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]
    for wanted in (1, 2):
        with limited_threads(wanted):
            assert torch.get_num_threads() == wanted
            assert all(pool["num_threads"] == wanted for pool in threadpoolctl.threadpool_info())
        assert torch.get_num_threads() == before
        assert [p["num_threads"] for p in threadpoolctl.threadpool_info()] == pools_before
    assert "--threads" not in ForecastSettings(data="a.csv", target="y").command_line()
    settings = ForecastSettings(data="a.csv", target="y", threads=2)
    assert settings.command_line().endswith("--threads 2 --seed 0 --out lstmkit-forecast")
    for command in ("forecast", "tune"):
        assert main([command, "data.csv", "--threads", "0"]) == 1
        assert "--threads must be a positive integer; got 0" in capsys.readouterr().err
