"""Optimizers against independent NumPy implementations of Keras 3's update formulas
(keras/src/optimizers/*.py, update_step) and its clipping (base_optimizer.py)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from lstmkit import optimizers
from lstmkit.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, Nadam, RMSprop

STEPS = 6
# Values exact in float32, so the float32 run starts from the same numbers; the last weight sits
# at its target, a zero gradient throughout.
START = np.array([1.0, -2.0, 0.5, 3.0, 0.0, -0.75])
TARGET = np.array([0.25, 0.125, -0.375, 2.0, 1.0, -0.75])
SCALE = np.array([1.0, 3.0, 0.5, 2.0, 4.0, 1.5])


def gradient(w: np.ndarray) -> np.ndarray:
    """Gradient of the quadratic 0.5 * sum(SCALE * (w - TARGET)^2)."""
    return SCALE * (w - TARGET)


def run_lstmkit(optimizer: optimizers.Optimizer, dtype: torch.dtype) -> np.ndarray:
    # Two parameter tensors, so the multi-tensor ops see a list.
    w = torch.tensor(START, dtype=dtype)
    first, second = w[:4].clone(), w[4:].reshape(1, 2).clone()
    optimizer.build([first, second])
    for _ in range(STEPS):
        g = torch.from_numpy(gradient(torch.cat([first, second.flatten()]).double().numpy()))
        optimizer.apply([g[:4].to(dtype), g[4:].reshape(1, 2).to(dtype)])
    assert optimizer.iterations == STEPS
    return torch.cat([first, second.flatten()]).double().numpy()


def numpy_sgd(lr=0.01, momentum=0.0, nesterov=False) -> np.ndarray:
    w, m = START.copy(), np.zeros_like(START)
    for _ in range(STEPS):
        g = gradient(w)
        if momentum:
            m = momentum * m - lr * g
            w = w + (momentum * m - lr * g if nesterov else m)
        else:
            w = w - lr * g
    return w


def numpy_adam(lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False) -> np.ndarray:
    w, m, v, v_hat = START.copy(), *(np.zeros_like(START) for _ in range(3))
    for t in range(1, STEPS + 1):
        g = gradient(w)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        if amsgrad:
            v_hat = np.maximum(v_hat, v)
            w = w - m * alpha / (np.sqrt(v_hat) + eps)
        else:
            w = w - m * alpha / (np.sqrt(v) + eps)
    return w


def numpy_rmsprop(lr=0.001, rho=0.9, momentum=0.0, eps=1e-7, centered=False) -> np.ndarray:
    w, v, avg, mom = START.copy(), *(np.zeros_like(START) for _ in range(3))
    for _ in range(STEPS):
        g = gradient(w)
        v = rho * v + (1 - rho) * g * g
        if centered:
            avg = rho * avg + (1 - rho) * g
            denominator = v - avg * avg + eps
        else:
            denominator = v + eps
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            mom = momentum * mom + increment
            w = w - mom
        else:
            w = w - increment
    return w


def numpy_adagrad(lr=0.001, initial=0.1, eps=1e-7) -> np.ndarray:
    w, acc = START.copy(), np.full_like(START, initial)
    for _ in range(STEPS):
        g = gradient(w)
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def numpy_adadelta(lr=0.001, rho=0.95, eps=1e-7) -> np.ndarray:
    w, acc_g, acc_d = START.copy(), np.zeros_like(START), np.zeros_like(START)
    for _ in range(STEPS):
        g = gradient(w)
        acc_g = rho * acc_g + (1 - rho) * g * g
        delta = -np.sqrt(acc_d + eps) * g / np.sqrt(acc_g + eps)
        acc_d = rho * acc_d + (1 - rho) * delta * delta
        w = w + lr * delta
    return w


def numpy_adamax(lr=0.001, b1=0.9, b2=0.999, eps=1e-7) -> np.ndarray:
    w, m, u = START.copy(), np.zeros_like(START), np.zeros_like(START)
    for t in range(1, STEPS + 1):
        g = gradient(w)
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1**t) * (u + eps))
    return w


def numpy_nadam(lr=0.001, b1=0.9, b2=0.999, eps=1e-7) -> np.ndarray:
    w, m, v, u_product = START.copy(), np.zeros_like(START), np.zeros_like(START), 1.0
    for t in range(1, STEPS + 1):
        g = gradient(w)
        u_t = b1 * (1 - 0.5 * 0.96**t)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product_t = u_product * u_t
        u_product_t1 = u_product_t * u_t1
        u_product = u_product_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_t1 * m / (1 - u_product_t1) + (1 - u_t) * g / (1 - u_product_t)
        v_hat = v / (1 - b2**t)
        w = w - m_hat * lr / (np.sqrt(v_hat) + eps)
    return w


CASES: list[tuple[Callable[[], optimizers.Optimizer], Callable[[], np.ndarray]]] = [
    (lambda: SGD(), lambda: numpy_sgd()),
    (lambda: SGD(lr=0.1, momentum=0.3), lambda: numpy_sgd(0.1, 0.3)),
    (lambda: SGD(0.05, momentum=0.9, nesterov=True), lambda: numpy_sgd(0.05, 0.9, True)),
    (lambda: Adam(), lambda: numpy_adam()),
    (lambda: Adam(0.1, beta_1=0.8, beta_2=0.99), lambda: numpy_adam(0.1, 0.8, 0.99)),
    (lambda: Adam(0.1, amsgrad=True), lambda: numpy_adam(0.1, amsgrad=True)),
    (lambda: RMSprop(), lambda: numpy_rmsprop()),
    (lambda: RMSprop(0.01, momentum=0.5), lambda: numpy_rmsprop(0.01, momentum=0.5)),
    (
        lambda: RMSprop(0.01, rho=0.8, momentum=0.5, centered=True),
        lambda: numpy_rmsprop(0.01, 0.8, 0.5, 1e-7, True),
    ),
    (lambda: Adagrad(), lambda: numpy_adagrad()),
    (lambda: Adagrad(0.1, initial_accumulator_value=0.5), lambda: numpy_adagrad(0.1, 0.5)),
    (lambda: Adadelta(), lambda: numpy_adadelta()),
    (lambda: Adadelta(1.0, rho=0.9), lambda: numpy_adadelta(1.0, 0.9)),
    (lambda: Adamax(0.01), lambda: numpy_adamax(0.01)),
    (lambda: Nadam(0.01), lambda: numpy_nadam(0.01)),
]


@pytest.mark.parametrize(("optimizer", "expected"), CASES)
def test_update_formulas_match_keras(optimizer, expected) -> None:
    reference = expected()
    assert not np.allclose(reference, START)  # the steps moved the weights
    # float64: only rounding separates the two implementations.
    np.testing.assert_allclose(run_lstmkit(optimizer(), torch.float64), reference, atol=1e-12)
    # float32, as training runs.
    np.testing.assert_allclose(run_lstmkit(optimizer(), torch.float32), reference, atol=1e-6)


def test_keras_3_defaults() -> None:
    assert (SGD().learning_rate, SGD().momentum, SGD().nesterov) == (0.01, 0.0, False)
    adam = Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (
        0.001,
        0.9,
        0.999,
        1e-7,
        False,
    )
    rms = RMSprop()
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon, rms.centered) == (
        0.001,
        0.9,
        0.0,
        1e-7,
        False,
    )
    adagrad = Adagrad()
    assert (adagrad.learning_rate, adagrad.initial_accumulator_value, adagrad.epsilon) == (
        0.001,
        0.1,
        1e-7,
    )
    adadelta = Adadelta()
    assert (adadelta.learning_rate, adadelta.rho, adadelta.epsilon) == (0.001, 0.95, 1e-7)
    for cls in (Adamax, Nadam):
        opt = cls()
        assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon) == (0.001, 0.9, 0.999, 1e-7)


def test_positional_arguments_keep_keras_order() -> None:
    adam = Adam(0.01, 0.8, 0.99, 1e-6, True)
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (
        0.01,
        0.8,
        0.99,
        1e-6,
        True,
    )
    rms = RMSprop(0.01, 0.8, 0.1, 1e-6, True)
    assert (rms.rho, rms.momentum, rms.epsilon, rms.centered) == (0.8, 0.1, 1e-6, True)
    sgd = SGD(0.2, 0.5, True)
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.2, 0.5, True)


def test_legacy_lr_spelling_reads_and_writes_the_learning_rate() -> None:
    sgd = SGD(lr=0.1, momentum=0.3)
    assert sgd.learning_rate == 0.1
    sgd.lr = 0.05
    assert sgd.learning_rate == 0.05
    assert sgd.lr == 0.05
    # Keras 2.2's documented signature, copied into many tutorials: decay=0.0 changes nothing.
    adam = Adam(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, amsgrad=False)
    assert (adam.learning_rate, adam.epsilon) == (0.002, 1e-7)


def test_learning_rate_can_change_between_steps() -> None:
    w = torch.zeros(2, dtype=torch.float64)
    sgd = SGD(0.1)
    sgd.build([w])
    sgd.apply([torch.ones(2, dtype=torch.float64)])
    sgd.learning_rate = np.float32(0.5)  # what a scheduler callback may hand over
    assert isinstance(sgd.learning_rate, float)
    sgd.apply([torch.ones(2, dtype=torch.float64)])
    sgd.learning_rate = torch.tensor(0.25)
    sgd.apply([torch.ones(2, dtype=torch.float64)])
    np.testing.assert_allclose(w.numpy(), [-0.85, -0.85])
    assert sgd.iterations == 3


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: Adam(lr=0.1, learning_rate=0.2),
            ValueError,
            "got both lr=0.1 and learning_rate=0.2",
        ),
        (lambda: Adam(0.1, lr=0.1), ValueError, "got both lr=0.1 and learning_rate=0.1"),
        (lambda: SGD(lr=0.01, decay=1e-6), TypeError, r"SGD does not support decay=1e-06"),
        (lambda: Adam(decay=0.01), TypeError, r"time-based learning-rate decay was removed"),
        (
            lambda: Adam(beta1=0.9),
            TypeError,
            r"Adam got unexpected keyword argument\(s\) beta1; it accepts learning_rate, lr, "
            r"beta_1, beta_2, epsilon, amsgrad, clipnorm",
        ),
        (
            lambda: SGD(nesterov=True, mom=0.9),
            TypeError,
            r"argument\(s\) mom; it accepts .*momentum",
        ),
        (lambda: SGD(momentum=1.5), ValueError, r"0 <= momentum <= 1; got momentum=1.5"),
        (lambda: Adam(learning_rate=-1), ValueError, "non-negative learning_rate; got -1"),
        (lambda: Adam(learning_rate="fast"), ValueError, "non-negative learning_rate; got 'fast'"),
        (
            lambda: SGD(clipnorm=1.0, clipvalue=0.5),
            ValueError,
            "only one of clipnorm, clipvalue and global_clipnorm can be set",
        ),
        (lambda: SGD(clipnorm=-1.0), ValueError, "clipnorm to be a non-negative number"),
    ],
)
def test_bad_arguments_are_named(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def step_sgd(grads: list[list[float]], **clipping: float) -> list[np.ndarray]:
    params = [torch.zeros(len(g), dtype=torch.float64) for g in grads]
    sgd = SGD(1.0, **clipping)
    sgd.build(params)
    sgd.apply([torch.tensor(g, dtype=torch.float64) for g in grads])
    return [p.numpy() for p in params]


def test_clipping_follows_keras() -> None:
    grads = [[3.0, -4.0, 0.5], [0.3, 0.4]]
    # clipvalue: each element to [-1, 1].
    clipped = step_sgd(grads, clipvalue=1.0)
    np.testing.assert_allclose(clipped[0], [-1.0, 1.0, -0.5])
    np.testing.assert_allclose(clipped[1], [-0.3, -0.4])
    # clipnorm: each tensor times clipnorm / max(norm, clipnorm); the small one is untouched.
    clipped = step_sgd(grads, clipnorm=1.0)
    np.testing.assert_allclose(clipped[0], -np.array(grads[0]) / np.linalg.norm(grads[0]))
    np.testing.assert_allclose(clipped[1], [-0.3, -0.4])
    # global_clipnorm: all tensors scaled by the joint norm.
    clipped = step_sgd(grads, global_clipnorm=1.0)
    joint = np.linalg.norm(np.concatenate(grads))
    np.testing.assert_allclose(clipped[0], -np.array(grads[0]) / joint)
    np.testing.assert_allclose(clipped[1], -np.array(grads[1]) / joint)
    unclipped = step_sgd(grads, global_clipnorm=100.0)
    np.testing.assert_allclose(unclipped[1], [-0.3, -0.4])


def test_clipping_comes_before_the_adam_update() -> None:
    w = torch.tensor(START, dtype=torch.float64)
    adam = Adam(0.1, clipvalue=0.5)
    adam.build([w])
    g = gradient(START)
    adam.apply([torch.tensor(g, dtype=torch.float64)])
    # One Adam step on the clipped gradient: m = 0.1 c, v = 0.001 c², alpha = lr sqrt(.001) / .1.
    c = np.clip(g, -0.5, 0.5)
    alpha = 0.1 * np.sqrt(1 - 0.999) / (1 - 0.9)
    expected = START - alpha * (0.1 * c) / (np.sqrt(0.001 * c * c) + 1e-7)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-12)


def test_weight_decay_is_decoupled_as_keras_3() -> None:
    w = torch.tensor([2.0, -1.0], dtype=torch.float64)
    sgd = SGD(0.1, weight_decay=0.5)
    sgd.build([w])
    sgd.apply([torch.tensor([1.0, 1.0], dtype=torch.float64)])
    # w -= w * wd * lr, then w -= lr * g.
    np.testing.assert_allclose(w.numpy(), [2.0 * 0.95 - 0.1, -1.0 * 0.95 - 0.1])


def test_get_makes_fresh_instances_and_lists_known_names() -> None:
    for name, cls in [
        ("sgd", SGD),
        ("adam", Adam),
        ("RMSprop", RMSprop),
        ("adagrad", Adagrad),
        ("adadelta", Adadelta),
        ("adamax", Adamax),
        ("nadam", Nadam),
    ]:
        assert type(optimizers.get(name)) is cls
    first, second = optimizers.get("adam"), optimizers.get("Adam")
    assert first is not second
    assert optimizers.get(first) is first
    assert type(optimizers.get(Nadam)) is Nadam
    with pytest.raises(
        ValueError, match=r"Unknown optimizer: 'adamw2'\. Known optimizers: adadelta, adagrad, adam"
    ):
        optimizers.get("adamw2")


@pytest.mark.parametrize(
    "optimizer",
    [
        RMSprop(0.01, momentum=0.2, clipnorm=1.0),
        SGD(lr=0.1, momentum=0.3, nesterov=True),
        Adam(amsgrad=True, global_clipnorm=2.0),
        Adagrad(0.1, initial_accumulator_value=0.2, weight_decay=0.01),
        Adadelta(name="my_adadelta"),
        Nadam(clipvalue=0.5),
    ],
)
def test_config_round_trip_is_json_safe(optimizer: optimizers.Optimizer) -> None:
    config = json.loads(json.dumps(optimizers.serialize(optimizer)))
    clone = optimizers.get(config)
    assert type(clone) is type(optimizer)
    assert clone.get_config() == optimizer.get_config()
    assert type(optimizer).from_config(optimizer.get_config()).get_config() == (
        optimizer.get_config()
    )
    assert optimizer.get_config()["name"] == optimizer.name


@pytest.mark.parametrize("epsilon", [1e-7, 2e-8, 1e-13])
def test_adam_with_gradients_that_stay_zero_is_bit_exact(epsilon) -> None:
    # Entries with a zero gradient (v = 0: PyTorch's sqrt is slow on zeros, so Adam clamps v
    # to the smallest normal float before the root where epsilon hides it), entries with tiny
    # ones (v denormal or underflowing) and ordinary ones, against sqrt(v) + epsilon bit for bit.
    gen = torch.Generator().manual_seed(0)
    weights = [torch.randn(6, 5, generator=gen), torch.randn(7, generator=gen)]
    weights[1][:2] = 0.0  # so that the tiny gradients' steps (~1e-17) show in the weights' bits
    optimizer = Adam(0.01, epsilon=epsilon)
    optimizer.build(weights)
    m = [torch.zeros_like(w) for w in weights]
    v = [torch.zeros_like(w) for w in weights]
    expected = [w.clone() for w in weights]
    for t in range(1, 6):
        grads = [torch.randn(w.shape, generator=gen) for w in weights]
        grads[0][:, :3] = 0.0
        grads[1][:2] = 1e-21
        optimizer.apply([g.clone() for g in grads])
        alpha = 0.01 * math.sqrt(1.0 - 0.999**t) / (1.0 - 0.9**t)
        for i, g in enumerate(grads):
            m[i].lerp_(g, 1.0 - 0.9)
            v[i].mul_(0.999).addcmul_(g, g, value=1.0 - 0.999)
            expected[i].addcdiv_(m[i], torch.sqrt(v[i]) + epsilon, value=-alpha)
    assert torch.count_nonzero(optimizer.velocities[0][:, :3]) == 0
    assert weights[1][:2].abs().min() > 0
    for got, want in zip(weights, expected, strict=True):
        assert torch.equal(got, want)
