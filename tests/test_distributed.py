"""Data-parallel training under torchrun (lstmkit.training.distributed): two CPU processes on
gloo against one process with twice the batch, files and prints from rank 0 only, the stateful
rule, and nothing changed without torchrun."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import lstmkit
from lstmkit import LSTM, Dense, Sequential
from lstmkit.training.distributed import shard_positions

needs_gloo = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="needs torch.distributed with the gloo backend",
)

# Run by torchrun (two processes) and imported by the test (one process, the reference). Every
# rank is seeded differently on purpose: rank 0's weights and stream must reach the others.
SCRIPT = textwrap.dedent(
    """
    import contextlib, io, json, os, sys
    import numpy as np
    import lstmkit
    from lstmkit import LSTM, Dense, Dropout, Sequential
    from lstmkit.callbacks import CSVLogger, ModelCheckpoint

    RANK = int(os.environ.get("RANK", 0))
    WORLD = int(os.environ.get("WORLD_SIZE", 1))
    RNG = np.random.default_rng(0)
    X = RNG.normal(size=(22, 5, 3)).astype("float32")
    Y = RNG.normal(size=(22, 1)).astype("float32")


    def weights(model):
        return np.concatenate([w.detach().numpy().ravel() for w in model.weights])


    def plain(batch_size, out=None):
        # 18 training samples: 9 per process in batches of 4, 4 and 1 (one process: 8, 8,
        # 2); 4 validation samples, 2 per process.
        lstmkit.set_random_seed(RANK + 1)
        model = Sequential([LSTM(4, input_shape=(5, 3)), Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        callbacks = []
        if out is not None:
            callbacks = [
                CSVLogger(os.path.join(out, f"log{RANK}.csv")),
                ModelCheckpoint(os.path.join(out, f"ckpt{RANK}.lstmkit")),
            ]
        history = model.fit(
            X[:18], Y[:18], batch_size=batch_size, epochs=2, shuffle=True, verbose=2,
            validation_data=(X[18:], Y[18:]), callbacks=callbacks,
        )
        if out is not None:
            model.save(os.path.join(out, f"final{RANK}.lstmkit"))
        return weights(model), history.history


    def dropout():
        lstmkit.set_random_seed(RANK + 1)
        model = Sequential([LSTM(4, input_shape=(5, 3)), Dropout(0.5), Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(X, Y, batch_size=3, epochs=2, verbose=0)
        if RANK == 1:
            # As if rank 1 had restored another state: the next fit starts from rank 0's.
            model.set_weights([w + 1.0 for w in model.get_weights()])
            model.optimizer.iterations += 7
            for slot in model.optimizer.get_state()[0].values():
                slot.add_(0.5)
        model.fit(X, Y, batch_size=3, epochs=1, verbose=0)
        return weights(model)


    def stateful(parts):
        # Each process keeps its own streams: rank r trains on parts[r], batch 2, in order.
        lstmkit.set_random_seed(RANK + 1)
        rows = 2 * len(parts)
        model = Sequential([LSTM(3, batch_input_shape=(rows, 5, 3), stateful=True), Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        x = np.concatenate([X[p] for p in parts])
        y = np.concatenate([Y[p] for p in parts])
        # Batches of the concatenation: [part 0's rows of batch k, part 1's rows of batch k].
        order = np.concatenate(
            [np.arange(k * 2, k * 2 + 2) + j * 6 for k in range(3) for j in range(len(parts))]
        )
        model.fit(x[order], y[order], batch_size=rows, epochs=1, shuffle=False, verbose=0)
        return weights(model)


    STATEFUL_PARTS = [np.arange(0, 6), np.arange(6, 12)]


    class Batches:  # a Keras Sequence: __len__ and __getitem__
        # The first 18 samples in batches of `size`.

        def __init__(self, size):
            self.size = size
            self.ends = 0

        def __len__(self):
            return 18 // self.size

        def __getitem__(self, index):
            rows = slice(index * self.size, (index + 1) * self.size)
            return X[rows], Y[rows]

        def on_epoch_end(self):
            self.ends += 1


    def sequence(size):
        lstmkit.set_random_seed(RANK + 1)
        model = Sequential([LSTM(4, input_shape=(5, 3)), Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        batches = Batches(size)
        history = model.fit(batches, epochs=2, shuffle=False, verbose=0)
        return weights(model), history.history["loss"], batches.ends

    if __name__ == "__main__":
        out = sys.argv[1]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            w, history = plain(4, out)
        results = {
            "plain": w.tolist(),
            "history": history,
            "printed": printed.getvalue(),
            "dropout": dropout().tolist(),
            "stateful": stateful([STATEFUL_PARTS[RANK]]).tolist(),
        }
        w, loss, ends = sequence(3)
        results.update(sequence=w.tolist(), sequence_loss=loss, sequence_ends=ends)
        model = Sequential([LSTM(2, input_shape=(5, 3)), Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        try:
            model.fit(X[: 10 + RANK], Y[: 10 + RANK], verbose=0)
        except ValueError as error:
            results["unequal"] = str(error)
        with open(os.path.join(out, f"result{RANK}.json"), "w") as file:
            json.dump(results, file)
    """
)


def _script(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    spec = importlib.util.spec_from_file_location("ddp_train_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return path, module


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """Run the script under ``torchrun --nproc_per_node=2`` once; both ranks' results."""
    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        pytest.skip("needs torch.distributed with the gloo backend")
    tmp_path = tmp_path_factory.mktemp("ddp")
    path, module = _script(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(path),
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = [json.loads((out / f"result{rank}.json").read_text()) for rank in (0, 1)]
    return module, out, results


@needs_gloo
def test_both_processes_end_with_identical_weights(two_processes):
    _, _, (rank0, rank1) = two_processes
    for key in ("plain", "dropout", "stateful", "sequence"):
        a, b = np.array(rank0[key], np.float32), np.array(rank1[key], np.float32)
        assert a.tobytes() == b.tobytes(), key


@needs_gloo
def test_two_processes_train_as_one_with_twice_the_batch(two_processes):
    module, _, (rank0, _) = two_processes
    # One process, batch 8 = 2 x 4, seeded as rank 0: the same permutations and the same
    # averaged gradients, epoch after epoch (no dropout).
    weights, history = module.plain(8)
    np.testing.assert_allclose(np.array(rank0["plain"]), weights, rtol=0, atol=1e-5)
    assert set(rank0["history"]) == {"loss", "mae", "val_loss", "val_mae"}
    for key, values in history.items():
        np.testing.assert_allclose(rank0["history"][key], values, rtol=1e-6, atol=0)


@needs_gloo
def test_history_is_reduced_and_equal_on_every_rank(two_processes):
    module, _, (rank0, rank1) = two_processes
    assert rank0["history"] == rank1["history"]
    # The validation loss of the last epoch is the loss over all 4 validation samples, of
    # which each process evaluated 2: recompute it from the final weights.
    model = Sequential([LSTM(4, input_shape=(5, 3)), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.build((None, 5, 3))
    flat, tensors = np.array(rank0["plain"], np.float32), []
    for weight in model.weights:
        tensors.append(flat[: weight.numel()].reshape(tuple(weight.shape)))
        flat = flat[weight.numel() :]
    model.set_weights(tensors)
    logs = model.evaluate(module.X[18:], module.Y[18:], verbose=0, return_dict=True)
    assert rank0["history"]["val_loss"][-1] == pytest.approx(logs["loss"], rel=1e-5)
    assert rank0["history"]["val_mae"][-1] == pytest.approx(logs["mae"], rel=1e-5)


@needs_gloo
def test_only_rank_zero_prints_and_writes_files(two_processes):
    _, out, (rank0, rank1) = two_processes
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("result"))
    assert written == ["ckpt0.lstmkit", "final0.lstmkit", "log0.csv"]
    assert "Epoch 1/2" in rank0["printed"] and "val_loss" in rank0["printed"]
    assert rank1["printed"] == ""
    rows = (out / "log0.csv").read_text().splitlines()
    assert rows[0] == "epoch,loss,mae,val_loss,val_mae" and len(rows) == 3
    assert float(rows[2].split(",")[1]) == pytest.approx(rank0["history"]["loss"][1], rel=1e-6)
    saved = lstmkit.models.load_model(str(out / "final0.lstmkit"))
    flat = np.concatenate([w.detach().numpy().ravel() for w in saved.weights])
    assert flat.tobytes() == np.array(rank0["plain"], np.float32).tobytes()


@needs_gloo
def test_stateful_processes_keep_their_own_streams(two_processes):
    module, _, (rank0, _) = two_processes
    # Each process trained its own 6 samples as 2 streams; one process holding both parts
    # side by side (4 streams, batch 4) computes the same averaged gradients.
    expected = module.stateful(module.STATEFUL_PARTS)
    np.testing.assert_allclose(np.array(rank0["stateful"]), expected, rtol=0, atol=1e-5)


@needs_gloo
def test_a_sequence_is_shared_out_by_batches(two_processes):
    module, _, (rank0, rank1) = two_processes
    # 6 batches of 3, 3 per process (shuffle=False: batches 0, 2, 4 and 1, 3, 5), against one
    # process reading 3 batches of 6.
    weights, loss, ends = module.sequence(6)
    np.testing.assert_allclose(np.array(rank0["sequence"]), weights, rtol=0, atol=1e-5)
    np.testing.assert_allclose(rank0["sequence_loss"], loss, rtol=1e-6)
    assert rank0["sequence_loss"] == rank1["sequence_loss"]
    assert rank0["sequence_ends"] == rank1["sequence_ends"] == ends == 2


@needs_gloo
def test_processes_with_different_data_sizes_are_refused(two_processes):
    _, _, (rank0, rank1) = two_processes
    assert "every process must give fit the same number of training samples" in rank0["unequal"]
    assert "they gave between 10 and 11 (this process: 10)" in rank0["unequal"]
    assert "(this process: 11)" in rank1["unequal"]


def test_shards_follow_distributed_sampler():
    order = torch.tensor([4, 0, 3, 1, 2])
    assert shard_positions(order, 0, 2).tolist() == [4, 3, 2]
    assert shard_positions(order, 1, 2).tolist() == [0, 1, 4]  # padded with the first
    assert [shard_positions(torch.tensor([7]), r, 3).tolist() for r in range(3)] == [[7]] * 3
    with pytest.raises(ValueError, match="at least one sample; got 0"):
        shard_positions(torch.tensor([], dtype=torch.int64), 0, 2)


def _as_rank(monkeypatch, rank):
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", "2")


def test_stateful_model_with_shuffle_is_refused_with_the_rule(monkeypatch):
    _as_rank(monkeypatch, 0)
    model = Sequential([LSTM(3, batch_input_shape=(2, 4, 1), stateful=True), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.zeros((4, 4, 1), np.float32), np.zeros((4, 1), np.float32)
    with (
        pytest.warns(UserWarning, match="shuffle=True reorders the samples of a stateful"),
        pytest.raises(ValueError, match=r"stateful LSTM carries its state .* shuffle=False"),
    ):
        model.fit(x, y, batch_size=2, shuffle=True, verbose=0)
    # Refused before any process group was joined.
    assert not torch.distributed.is_initialized()


def test_batches_from_a_generator_are_refused(monkeypatch):
    _as_rank(monkeypatch, 0)
    model = Sequential([LSTM(3, input_shape=(4, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    batches = iter([(np.zeros((2, 4, 1), np.float32), np.zeros((2, 1), np.float32))] * 3)
    with pytest.raises(ValueError, match="x is a generator, which lstmkit cannot index"):
        model.fit(batches, steps_per_epoch=2, verbose=0)


def test_save_on_another_rank_writes_nothing(monkeypatch, tmp_path):
    model = Sequential([LSTM(3, input_shape=(4, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    _as_rank(monkeypatch, 1)
    model.save(str(tmp_path / "m.lstmkit"))
    model.save_weights(str(tmp_path / "m.weights.lstmkit"))
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("RANK", "0")
    model.save(str(tmp_path / "m.lstmkit"))
    assert [p.name for p in tmp_path.iterdir()] == ["m.lstmkit"]


def test_without_torchrun_nothing_changes(monkeypatch):
    for name in ("RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    model = Sequential([LSTM(3, input_shape=(4, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((8, 4, 1), np.float32), np.zeros((8, 1), np.float32), verbose=0)
    assert model._trainer.step_path == "native"  # the single-process fast path is kept
    assert model._trainer._parallel is None
    assert not torch.distributed.is_initialized()


def test_forecast_nproc_runs_the_same_command_under_torchrun(monkeypatch, capsys):
    cli = importlib.import_module("lstmkit.cli.main")  # the module (the package exports main)

    for name in ("RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    launched = []

    def fake_run(command, env, check):
        launched.append((command, env["OMP_NUM_THREADS"]))
        return subprocess.CompletedProcess(command, 3)

    monkeypatch.setattr(cli.subprocess, "run", fake_run)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    argv = ["forecast", "data.csv", "--nproc", "2", "--epochs", "2", "--out", "o"]
    assert cli.main(argv) == 3  # torchrun's exit status
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    same = ["forecast", "data.csv", "--epochs", "2", "--out", "o"]
    assert launched == [([*torchrun, "--nproc_per_node=2", "-m", "lstmkit", *same], "1")]
    assert cli.main(["forecast", "data.csv", "--nproc=0"]) == 1
    assert "--nproc must be a positive number of processes; got 0" in capsys.readouterr().err
    _as_rank(monkeypatch, 0)
    assert cli.main(["forecast", "data.csv", "--nproc", "2"]) == 1
    assert "already runs under torchrun" in capsys.readouterr().err


def test_each_local_process_defaults_to_its_own_gpu(monkeypatch):
    from lstmkit import devices

    monkeypatch.delenv(devices.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(devices, "_chosen", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert devices.get_device() == torch.device("cuda", 0)
    for local, expected in (("2", 2), ("5", 1)):
        monkeypatch.setenv("LOCAL_RANK", local)
        assert devices.get_device() == torch.device("cuda", expected)
    # The CPU stays the CPU, whatever LOCAL_RANK says.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert devices.get_device() == torch.device("cpu")
