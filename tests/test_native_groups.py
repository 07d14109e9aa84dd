"""The native stack step with ``groups``: G networks side by side in one wide network with
block-diagonal kernels (``lstmkit.forecast.ensemble``'s layout), of which the kernel computes and
updates only the diagonal blocks. Against the wide network trained by the plain native step (all
of its blocks, the ones between networks zeroed after each step), against the regular autograd
step, and against each network trained alone; what ``groups`` refuses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import activations
from lstmkit.data import load_dataset
from lstmkit.forecast import Forecaster
from lstmkit.forecast.ensemble import BlockDiagonal
from lstmkit.layers import LSTM, Dense, Dropout
from lstmkit.models import Sequential
from lstmkit.ops import native
from lstmkit.optimizers import Adam
from lstmkit.training import native_step

pytestmark = pytest.mark.skipif(not native.available(), reason="native LSTM extension not built")

BATCH, STEPS, FEATURES = 8, 5, 3


def _layers(groups: int, deep: bool) -> tuple[list[native.StackLSTM], list[native.StackDense]]:
    """One LSTM of 4 units and a Dense of 3 per network; ``deep``: two LSTMs and two Dense with
    dropouts, tanh and go_backwards."""
    if not deep:
        return [native.StackLSTM(4 * groups)], [native.StackDense(3 * groups)]
    lstms = [
        native.StackLSTM(4 * groups, dropout=True),
        native.StackLSTM(2 * groups, go_backwards=True),
    ]
    denses = [
        native.StackDense(5 * groups, activations.tanh, dropout=True),
        native.StackDense(3 * groups),
    ]
    return lstms, denses


def _shapes(lstms: list[native.StackLSTM], denses: list[native.StackDense]) -> list[tuple]:
    shapes: list[tuple] = []
    features = FEATURES
    for layer in lstms:
        shapes += [(features, 4 * layer.units), (layer.units, 4 * layer.units), (4 * layer.units,)]
        features = layer.units
    for layer in denses:
        shapes += [(features, layer.outputs), (layer.outputs,)]
        features = layer.outputs
    return shapes


def _train(
    groups: int, deep: bool, engine_groups: int, steps: int = 6, loss: str = "mse", batch=BATCH
):
    """``steps`` Adam steps of the wide network of ``groups`` networks (block-diagonal random
    weights, seed 0) through an engine of ``engine_groups``; the weights between networks are
    zeroed after each step when the engine computes them. Returns the losses, the last
    prediction, the weights and the moments."""
    lstms, denses = _layers(groups, deep)
    shapes = _shapes(lstms, denses)
    masks = native_step.block_masks(shapes, len(lstms), groups)
    generator = torch.Generator().manual_seed(0)
    weights = [torch.randn(s, generator=generator) * 0.4 for s in shapes]
    weights = [w if m is None else w * m for w, m in zip(weights, masks, strict=True)]
    m = [torch.zeros(s) for s in shapes]
    v = [torch.zeros(s) for s in shapes]
    name = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}[loss]
    engine = native.LSTMStackStep(
        FEATURES, lstms, denses, loss=name, m=m, v=v, groups=engine_groups
    )
    x = torch.randn(batch, STEPS, FEATURES, generator=generator)
    y = torch.randn(batch, engine.outputs, generator=generator)
    drops = torch.Generator().manual_seed(1)
    losses, prediction = [], torch.empty(batch, engine.outputs)
    for iteration in range(1, steps + 1):
        dropout = [
            torch.empty(s).bernoulli_(0.75, generator=drops).div_(0.75)
            for s in engine.mask_shapes(batch, STEPS)
        ]
        losses.append(
            engine.train_step(
                x,
                y,
                weights,
                dropout,
                prediction=prediction,
                iteration=iteration,
                learning_rate=0.01,
                epsilon=1e-7 / groups,
            )
        )
        if engine_groups == 1:
            for weight, mask in zip(weights, masks, strict=True):
                if mask is not None:
                    weight.mul_(mask)
    return losses, prediction, weights, m, v, masks


@pytest.mark.parametrize("deep", [False, True], ids=["LSTM-Dense", "two of each, dropouts"])
@pytest.mark.parametrize("loss", ["mse", "mae"])
@pytest.mark.parametrize("batch", [BATCH, 7, 1])  # the kernel takes rows four at a time
def test_the_grouped_step_equals_the_wide_networks_step(deep: bool, loss: str, batch: int) -> None:
    wide = _train(3, deep, engine_groups=1, loss=loss, batch=batch)
    grouped = _train(3, deep, engine_groups=3, loss=loss, batch=batch)
    np.testing.assert_allclose(grouped[0], wide[0], rtol=1e-6)
    torch.testing.assert_close(grouped[1], wide[1], rtol=1e-5, atol=2e-6)
    pairs = zip(grouped[2], wide[2], grouped[3], wide[3], wide[5], strict=True)
    for got, expected, m_got, m_expected, mask in pairs:
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=2e-6)
        if mask is not None:
            # Between the networks: never written, so zero, and so are their moments.
            assert not (got * (1 - mask)).any() and not (m_got * (1 - mask)).any()
            torch.testing.assert_close(m_got * mask, m_expected * mask, rtol=1e-5, atol=1e-8)
        else:
            torch.testing.assert_close(m_got, m_expected, rtol=1e-5, atol=1e-8)
    # The networks differ (their weights are their own), so a mix-up would have been noticed.
    assert (grouped[1][:, :3] - grouped[1][:, 3:6]).abs().max() > 1e-2


def _member(model_weights: list[np.ndarray], g: int, groups: int, lstm_count: int) -> list:
    """Network ``g``'s own weights out of the wide network's (the inverse of the layout)."""
    out = []
    for index, w in enumerate(model_weights):
        if index < 3 * lstm_count:
            cols = w.shape[-1] // 4
            c = cols // groups
            take = np.concatenate(
                [np.arange(q * cols + g * c, q * cols + (g + 1) * c) for q in range(4)]
            )
        else:
            c = w.shape[-1] // groups
            take = np.arange(g * c, (g + 1) * c)
        w = w[..., take]
        if w.ndim == 2 and index != 0:
            r = w.shape[0] // groups
            w = w[g * r : (g + 1) * r]
        out.append(w)
    return out


def _model(units: int, outputs: int, epsilon: float, layers: int = 2) -> Sequential:
    model = Sequential()
    for index in range(layers):
        kwargs = {"return_sequences": index < layers - 1}
        if index == 0:
            kwargs["input_shape"] = (STEPS, FEATURES)
        model.add(LSTM(units, **kwargs))
    model.add(Dropout(0.0))
    model.add(Dense(outputs))
    model.compile(optimizer=Adam(epsilon=epsilon), loss="mse")
    return model


def _block_diagonal(model: Sequential, groups: int) -> None:
    shapes = [tuple(w.shape) for w in model.trainable_weights]
    with torch.no_grad():
        for weight, mask in zip(
            model.trainable_weights, native_step.block_masks(shapes, 2, groups), strict=True
        ):
            if mask is not None:
                weight.mul_(mask)


def test_the_grouped_fit_equals_autograd_and_each_network_alone() -> None:
    """fit with ``native_groups`` against the same wide network trained by the regular
    (autograd) step with its off-block weights zeroed after each batch, and each network
    against itself trained alone (1/G of the wide loss's gradient, epsilon / G)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, STEPS, FEATURES)).astype(np.float32)
    y = rng.normal(size=(24, 2)).astype(np.float32)
    groups = 3
    torch.manual_seed(0)
    grouped = _model(4 * groups, 2 * groups, 1e-7 / groups)
    _block_diagonal(grouped, groups)
    reference = _model(4 * groups, 2 * groups, 1e-7 / groups)
    reference.set_weights(grouped.get_weights())
    start = grouped.get_weights()
    grouped.native_groups = groups
    grouped.fit(x, np.tile(y, (1, groups)), epochs=4, batch_size=8, shuffle=False, verbose=0)
    assert grouped.step_path == "native"
    assert grouped._trainer._native_step.groups == groups

    # Sample weights take the regular step (forward, torch.autograd.grad, Adam); the callback
    # zeroes the weights between the networks after each batch.
    masks = native_step.block_masks([tuple(w.shape) for w in reference.trainable_weights], 2, 3)
    reference.fit(
        x,
        np.tile(y, (1, groups)),
        sample_weight=np.ones(24, np.float32),
        epochs=4,
        batch_size=8,
        shuffle=False,
        verbose=0,
        callbacks=[BlockDiagonal(list(reference.trainable_weights), masks)],
    )
    assert reference.step_path == "autograd"
    for got, expected in zip(grouped.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-6)
    for g in range(groups):
        alone = _model(4, 2, 1e-7)
        alone.set_weights(_member(start, g, groups, 2))
        alone.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
        assert alone.step_path == "native"
        for got, expected in zip(
            _member(grouped.get_weights(), g, groups, 2), alone.get_weights(), strict=True
        ):
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-6)


def test_what_groups_refuses() -> None:
    lstms, denses = _layers(2, deep=False)
    zeros = [torch.zeros(s) for s in _shapes(lstms, denses)]
    with pytest.raises(ValueError, match="groups must be a positive integer; got 0"):
        native.LSTMStackStep(
            FEATURES, lstms, denses, loss="mean_squared_error", m=zeros, v=zeros, groups=0
        )
    with pytest.raises(ValueError, match=r"multiple of groups; got lstms\[0\] with 8"):
        native.LSTMStackStep(
            FEATURES, lstms, denses, loss="mean_squared_error", m=zeros, v=zeros, groups=3
        )
    with pytest.raises(ValueError, match="elementwise loss and no softmax"):
        native.LSTMStackStep(
            FEATURES, lstms, denses, loss="categorical_crossentropy", m=zeros, v=zeros, groups=2
        )
    # The kernel's own check of the spec.
    engine = native.LSTMStackStep(
        FEATURES, lstms, denses, loss="mean_squared_error", m=zeros, v=zeros, groups=2
    )
    bad = engine._spec.clone()
    bad[4] = 3
    fixed = (1, 1, 0, 1, 1, 1, 0.1, 0.9, 0.999, 1e-7)
    with pytest.raises(ValueError, match="units must be a multiple of groups"):
        native._lstm.stack_train_step(bad.data_ptr(), *fixed)
    # A model declaring networks side by side that are not.
    model = _model(6, 4, 1e-7)
    model.native_groups = 2
    x, y = np.zeros((4, STEPS, FEATURES), np.float32), np.zeros((4, 4), np.float32)
    with pytest.raises(
        ValueError,
        match=r"native_groups=2 declares 2 networks side by side, but "
        r"trainable weight 1 \(6, 24\) has non-zero entries between them",
    ):
        model.fit(x, y, verbose=0)
    model.native_groups = 4
    with pytest.raises(
        ValueError, match=r"native_groups=4: lstm.* has 6 units, not a multiple of it"
    ):
        model.fit(x, y, verbose=0)


def test_the_forecasters_ensemble_trains_its_members_on_the_diagonal_blocks() -> None:
    forecaster = Forecaster(units=4, epochs=3, n_models=3, seed=0).fit(
        load_dataset("airline").iloc[:80]
    )
    model = forecaster.model_
    assert model.step_path == "native" and model._trainer._native_step.groups == 3
    weights = list(model.trainable_weights)
    masks = native_step.block_masks([tuple(w.shape) for w in weights], 1, 3)
    assert sum(mask is not None for mask in masks) == 2  # the recurrent and Dense kernels
    for weight, mask in zip(weights, masks, strict=True):
        if mask is not None:
            assert not (weight * (1 - mask)).any()
            assert (weight * mask).any()


def test_a_batch_the_grouped_step_leaves_to_autograd_keeps_the_blocks_zero() -> None:
    # A batch too big for the kernel takes the regular step, which moves every weight; the
    # step zeroes the ones between networks again, as the kernel would have left them.
    groups = 2
    model = _model(4 * groups, 2 * groups, 1e-7 / groups)
    _block_diagonal(model, groups)
    model.native_groups = groups
    model.optimizer.build(model.trainable_weights)
    step = native_step.plan(model, model.loss, model.optimizer, [], batch_size=8)
    assert step is not None and step.groups == groups
    before = model.get_weights()
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.normal(size=(20000, STEPS, FEATURES)).astype(np.float32))
    y = torch.from_numpy(rng.normal(size=(20000, 2 * groups)).astype(np.float32))
    assert not step._native_wins(20000, STEPS)
    step(x, y)
    masks = native_step.block_masks([tuple(w.shape) for w in model.trainable_weights], 2, groups)
    for weight, mask, old in zip(model.trainable_weights, masks, before, strict=True):
        assert not np.array_equal(weight.detach().numpy(), old)
        if mask is not None:
            assert not (weight * (1 - mask)).any()
