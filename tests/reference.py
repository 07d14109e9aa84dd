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


def gru(
    x: Array,
    kernel: Array,
    recurrent_kernel: Array,
    bias: Array | None,
    *,
    h0: Array | None = None,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    reset_after: bool = True,
    go_backwards: bool = False,
    return_sequences: bool = False,
) -> tuple[Array, Array]:
    """Keras's GRU (gate order z, r, h) -> (output, h). ``bias`` is ``(2, 3u)`` (input and
    recurrent biases) when ``reset_after``, else ``(3u,)``."""
    act = NUMPY_ACTIVATIONS[activation]
    rec = NUMPY_ACTIVATIONS[recurrent_activation]
    x = np.asarray(x, np.float64)
    batch, timesteps, _ = x.shape
    u = recurrent_kernel.shape[0]
    h = np.zeros((batch, u)) if h0 is None else np.asarray(h0, np.float64)
    b_in = np.zeros(3 * u) if bias is None else (bias[0] if reset_after else bias)
    b_rec = np.zeros(3 * u) if bias is None or not reset_after else bias[1]
    Wz, Wr, Wh = kernel[:, :u], kernel[:, u : 2 * u], kernel[:, 2 * u :]
    Uz, Ur, Uh = (
        recurrent_kernel[:, :u],
        recurrent_kernel[:, u : 2 * u],
        recurrent_kernel[:, 2 * u :],
    )
    outputs = []
    steps = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    for t in steps:
        xt = x[:, t, :]
        z = rec(xt @ Wz + b_in[:u] + h @ Uz + b_rec[:u])
        r = rec(xt @ Wr + b_in[u : 2 * u] + h @ Ur + b_rec[u : 2 * u])
        if reset_after:
            hh = act(xt @ Wh + b_in[2 * u :] + r * (h @ Uh + b_rec[2 * u :]))
        else:
            hh = act(xt @ Wh + b_in[2 * u :] + (r * h) @ Uh)
        h = z * h + (1.0 - z) * hh
        outputs.append(h)
    output = np.stack(outputs, axis=1) if return_sequences else h
    return output, h


def simple_rnn(
    x: Array,
    kernel: Array,
    recurrent_kernel: Array,
    bias: Array | None,
    *,
    h0: Array | None = None,
    activation: str = "tanh",
    go_backwards: bool = False,
    return_sequences: bool = False,
) -> tuple[Array, Array]:
    """``h_t = activation(x_t W + h_{t-1} U + b)`` -> (output, h)."""
    act = NUMPY_ACTIVATIONS[activation]
    x = np.asarray(x, np.float64)
    batch, timesteps, _ = x.shape
    u = recurrent_kernel.shape[0]
    h = np.zeros((batch, u)) if h0 is None else np.asarray(h0, np.float64)
    outputs = []
    steps = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    for t in steps:
        h = act(x[:, t, :] @ kernel + h @ recurrent_kernel + (0.0 if bias is None else bias))
        outputs.append(h)
    output = np.stack(outputs, axis=1) if return_sequences else h
    return output, h
