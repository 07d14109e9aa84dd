"""An independent NumPy implementation of the LSTM gate equations, in float64, for tests.

Written from the equations (Hochreiter & Schmidhuber; Keras's layout, gate order i, f, c, o),
not from lstmkit's code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Array = np.ndarray


def sigmoid(x: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-x))


def hard_sigmoid(x: Array) -> Array:
    # Keras 3: relu6(x + 3) / 6.
    return np.clip((x + 3.0) / 6.0, 0.0, 1.0)


NUMPY_ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
    "hard_sigmoid": hard_sigmoid,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
}


def lstm(
    x: Array,
    kernel: Array,
    recurrent_kernel: Array,
    bias: Array | None,
    *,
    h0: Array | None = None,
    c0: Array | None = None,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    go_backwards: bool = False,
    return_sequences: bool = False,
) -> tuple[Array, Array, Array]:
    """x (batch, timesteps, features) -> (output, h, c); output (batch, [timesteps,] units)."""
    act = NUMPY_ACTIVATIONS[activation]
    rec = NUMPY_ACTIVATIONS[recurrent_activation]
    x = np.asarray(x, np.float64)
    batch, timesteps, _ = x.shape
    units = recurrent_kernel.shape[0]
    h = np.zeros((batch, units)) if h0 is None else np.asarray(h0, np.float64)
    c = np.zeros((batch, units)) if c0 is None else np.asarray(c0, np.float64)
    outputs = []
    steps = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    for t in steps:
        z = x[:, t, :] @ kernel + h @ recurrent_kernel
        if bias is not None:
            z = z + bias
        i = rec(z[:, :units])
        f = rec(z[:, units : 2 * units])
        g = act(z[:, 2 * units : 3 * units])
        o = rec(z[:, 3 * units :])
        c = f * c + i * g
        h = o * act(c)
        outputs.append(h)
    output = np.stack(outputs, axis=1) if return_sequences else h
    return output, h, c


def dense(x: Array, kernel: Array, bias: Array | None, activation: str = "linear") -> Array:
    out = np.asarray(x, np.float64) @ kernel
    if bias is not None:
        out = out + bias
    return NUMPY_ACTIVATIONS[activation](out)
