"""Optimizers against independent NumPy implementations of Keras 3's update formulas."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import optimizers
from lstmkit.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, Nadam, RMSprop

STEPS = 5
START = np.array([1.0, -2.0, 0.5, 3.0])
TARGET = np.array([0.3, 0.1, -0.4, 2.0])


def gradient(w: np.ndarray) -> np.ndarray:
    """Gradient of the quadratic 0.5 * sum(scale * (w - target)^2)."""
    return np.array([1.0, 3.0, 0.5, 2.0]) * (w - TARGET)


def run_lstmkit(optimizer: optimizers.Optimizer) -> np.ndarray:
    w = torch.tensor(START, dtype=torch.float64)
    optimizer.build([w])
    for _ in range(STEPS):
        optimizer.apply([torch.from_numpy(gradient(w.numpy()))])
    return w.numpy()


def numpy_sgd(lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> np.ndarray:
    w, m = START.copy(), np.zeros(4)
    for _ in range(STEPS):
        g = gradient(w)
        m = momentum * m - lr * g
        w = w + (momentum * m - lr * g if nesterov else m)
    return w


def numpy_adam(lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False) -> np.ndarray:
    w, m, v, vhat = START.copy(), np.zeros(4), np.zeros(4), np.zeros(4)
    for t in range(1, STEPS + 1):
        g = gradient(w)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        if amsgrad:
            vhat = np.maximum(vhat, v)
            w = w - alpha * m / (np.sqrt(vhat) + eps)
        else:
            w = w - alpha * m / (np.sqrt(v) + eps)
    return w


def numpy_rmsprop(lr=0.001, rho=0.9, momentum=0.0, eps=1e-7, centered=False) -> np.ndarray:
    w, v, avg, mom = START.copy(), np.zeros(4), np.zeros(4), np.zeros(4)
    for _ in range(STEPS):
        g = gradient(w)
        v = rho * v + (1 - rho) * g * g
        if centered:
            avg = rho * avg + (1 - rho) * g
            denominator = v - avg * avg + eps
        else:
            denominator = v + eps
        increment = lr * g / np.sqrt(denominator)
        if momentum:
            mom = momentum * mom + increment
            w = w - mom
        else:
            w = w - increment
    return w


def numpy_adagrad(lr=0.001, initial=0.1, eps=1e-7) -> np.ndarray:
    w, acc = START.copy(), np.full(4, initial)
    for _ in range(STEPS):
        g = gradient(w)
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def numpy_adadelta(lr=0.001, rho=0.95, eps=1e-7) -> np.ndarray:
    w, acc_g, acc_d = START.copy(), np.zeros(4), np.zeros(4)
    for _ in range(STEPS):
        g = gradient(w)
        acc_g = rho * acc_g + (1 - rho) * g * g
        delta = -np.sqrt(acc_d + eps) * g / np.sqrt(acc_g + eps)
        acc_d = rho * acc_d + (1 - rho) * delta * delta
        w = w + lr * delta
    return w


def numpy_adamax(lr=0.001, b1=0.9, b2=0.999, eps=1e-7) -> np.ndarray:
    w, m, u = START.copy(), np.zeros(4), np.zeros(4)
    for t in range(1, STEPS + 1):
        g = gradient(w)
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1**t) * (u + eps))
    return w


def numpy_nadam(lr=0.001, b1=0.9, b2=0.999, eps=1e-7) -> np.ndarray:
    w, m, v, u_product = START.copy(), np.zeros(4), np.zeros(4), 1.0
    for t in range(1, STEPS + 1):
        g = gradient(w)
        u_t = b1 * (1 - 0.5 * 0.96**t)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product *= u_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


@pytest.mark.parametrize(
    ("optimizer", "expected"),
    [
        (lambda: SGD(), lambda: numpy_sgd()),
        (lambda: SGD(lr=0.1, momentum=0.3), lambda: numpy_sgd(0.1, 0.3)),
        (lambda: SGD(0.05, momentum=0.9, nesterov=True), lambda: numpy_sgd(0.05, 0.9, True)),
        (lambda: Adam(), lambda: numpy_adam()),
        (lambda: Adam(0.1, amsgrad=True), lambda: numpy_adam(0.1, amsgrad=True)),
        (lambda: RMSprop(), lambda: numpy_rmsprop()),
        (
            lambda: RMSprop(0.01, momentum=0.5, centered=True),
            lambda: numpy_rmsprop(0.01, 0.9, 0.5, 1e-7, True),
        ),
        (lambda: Adagrad(0.1), lambda: numpy_adagrad(0.1)),
        (lambda: Adadelta(1.0), lambda: numpy_adadelta(1.0)),
        (lambda: Adamax(0.01), lambda: numpy_adamax(0.01)),
        (lambda: Nadam(0.01), lambda: numpy_nadam(0.01)),
    ],
)
def test_update_formulas_match_keras(optimizer, expected) -> None:
    np.testing.assert_allclose(run_lstmkit(optimizer()), expected(), rtol=1e-10, atol=1e-12)


def test_keras_defaults() -> None:
    assert SGD().learning_rate == 0.01
    adam = Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    rms = RMSprop()
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon) == (0.001, 0.9, 0.0, 1e-7)
    assert (Adagrad().initial_accumulator_value, Adagrad().epsilon) == (0.1, 1e-7)
    assert (Adadelta().learning_rate, Adadelta().rho) == (0.001, 0.95)


def test_legacy_lr_spelling_reads_and_writes_the_learning_rate() -> None:
    sgd = SGD(lr=0.1, momentum=0.3)
    assert sgd.learning_rate == 0.1
    sgd.lr = 0.05
    assert sgd.learning_rate == 0.05
    assert sgd.lr == 0.05


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Adam(lr=0.1, learning_rate=0.2), "got both lr=0.1 and learning_rate=0.2"),
        (lambda: SGD(decay=1e-6), r"does not take decay="),
        (lambda: Adam(beta1=0.9), r"unexpected keyword argument\(s\) beta1; it accepts .*beta_1"),
        (lambda: SGD(momentum=1.5), r"0 <= momentum <= 1; got momentum=1.5"),
        (lambda: Adam(learning_rate=-1), "non-negative learning_rate; got -1"),
    ],
)
def test_bad_arguments_are_named(make, message) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make()


def test_clipping_follows_keras() -> None:
    w = torch.zeros(3, dtype=torch.float64)
    grad = torch.tensor([3.0, -4.0, 0.5], dtype=torch.float64)
    sgd = SGD(1.0, clipvalue=1.0)
    sgd.build([w])
    sgd.apply([grad.clone()])
    np.testing.assert_allclose(w.numpy(), [-1.0, 1.0, -0.5])
    w.zero_()
    sgd = SGD(1.0, clipnorm=1.0)
    sgd.build([w])
    sgd.apply([grad.clone()])
    np.testing.assert_allclose(w.numpy(), -grad.numpy() / np.linalg.norm(grad.numpy()))
    a, b = torch.zeros(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    sgd = SGD(1.0, global_clipnorm=1.0)
    sgd.build([a, b])
    sgd.apply([torch.tensor([3.0], dtype=torch.float64), torch.tensor([4.0], dtype=torch.float64)])
    np.testing.assert_allclose([a.item(), b.item()], [-0.6, -0.8])


def test_get_makes_fresh_instances_and_lists_known_names() -> None:
    first, second = optimizers.get("adam"), optimizers.get("Adam")
    assert isinstance(first, Adam)
    assert first is not second
    with pytest.raises(
        ValueError, match=r"Unknown optimizer: 'adamw2'\. Known optimizers: adadelta"
    ):
        optimizers.get("adamw2")


def test_config_round_trip() -> None:
    rms = RMSprop(0.01, momentum=0.2, clipnorm=1.0)
    clone = optimizers.deserialize(optimizers.serialize(rms))
    assert isinstance(clone, RMSprop)
    assert clone.get_config() == rms.get_config()


def test_positional_arguments_keep_keras_order() -> None:
    adam = Adam(0.01, 0.8, 0.99, 1e-6, True)
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (
        0.01,
        0.8,
        0.99,
        1e-6,
        True,
    )
    nadam = Nadam(0.01, 0.8, 0.99, 1e-6)
    assert (nadam.beta_1, nadam.beta_2, nadam.epsilon) == (0.8, 0.99, 1e-6)
