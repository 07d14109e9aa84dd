"""A whole training step in one native call, for the models it fits.

``Sequential([LSTM(u), Dense(o)])`` trained with Keras's Adam on mean squared error or
binary/categorical cross-entropy — the model of the classic tutorials (W0, W3, W4 of the
workloads) — spends most of a PyTorch step on per-operation overhead: a few dozen tensor
operations, an autograd graph and the optimizer's calls, for a few hundred thousand
floating-point operations. :func:`plan` recognises such a model and returns a function that does
the forward pass, the loss, the backward pass through time and the Adam update in one call of
``lstmkit._native`` (:class:`lstmkit.ops.native.LSTMDenseStep`), on the model's own
``torch.nn.Parameter`` tensors and on the optimizer's own slots (``momentums``, ``velocities``,
``iterations``), so everything else — saving, loading, callbacks that read or set the weights or
the learning rate — sees what the regular step would have left.

Anything else (another layer, dropout, a mask, another loss or optimizer, clipping, weight decay,
float64, the extension not built) gets ``None``: the regular step runs.
"""

from __future__ import annotations

from typing import Any

import torch

from lstmkit import activations, backend
from lstmkit import losses as losses_module
from lstmkit.layers.core import Dense
from lstmkit.layers.recurrent import LSTM
from lstmkit.ops import native
from lstmkit.optimizers import Adam

__all__ = ["NativeTrainStep", "plan"]

_LOSSES = {
    losses_module.mean_squared_error: "mean_squared_error",
    losses_module.binary_crossentropy: "binary_crossentropy",
    losses_module.categorical_crossentropy: "categorical_crossentropy",
}
_DENSE_ACTIVATIONS = {
    activations.linear: "linear",
    activations.sigmoid: "sigmoid",
    activations.softmax: "softmax",
}


class NativeTrainStep:
    """``step(x, y) -> loss``: one training step of the planned model, in place.

    ``x`` is ``(batch, timesteps, input_dim)`` and ``y`` ``(batch, outputs)`` (or ``(batch,)``
    with one output), float32. Returns the batch's mean loss as a 0-d tensor, as the loss the
    regular step computes; :attr:`prediction` then holds the model's output ``(batch, outputs)``
    for the metrics. A batch the kernel does not take (targets of another shape, which the
    regular loss broadcasts; another dtype) gets the regular step, here.
    """

    def __init__(
        self,
        model: Any,
        loss: losses_module.Loss,
        loss_name: str,
        optimizer: Adam,
        params: list[torch.nn.Parameter],
        metrics: bool,
    ) -> None:
        lstm, dense = model.layers
        self.model = model
        self.loss = loss
        self.lstm = lstm
        self.optimizer = optimizer
        self.params = params
        self.metrics = metrics
        # The Parameters themselves: their memory is read at every step (``data_ptr``), so a
        # ``.data`` replaced or a weight loaded in place is what the next step updates.
        self.engine = native.LSTMDenseStep(
            list(params),
            m=optimizer.momentums,
            v=optimizer.velocities,
            activation=lstm.activation,
            recurrent_activation=lstm.recurrent_activation,
            go_backwards=lstm.go_backwards,
            stateful=lstm.stateful,
            dense_activation=_DENSE_ACTIVATIONS[dense.activation],
            loss=loss_name,
        )
        self._slots = (optimizer.momentums, optimizer.velocities)
        self._zeros: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._predictions: dict[int, torch.Tensor] = {}
        #: The model's output for the last batch, ``(batch, outputs)``.
        self.prediction: torch.Tensor | None = None

    def _follow_the_optimizer(self) -> None:
        """The optimizer's slots were rebuilt (new lists): use the new ones, if they are still
        for the planned weights."""
        optimizer = self.optimizer
        built = optimizer._params
        if len(built) != len(self.params) or any(
            a is not b for a, b in zip(built, self.params, strict=True)
        ):
            raise RuntimeError(
                "the optimizer was rebuilt for other weights than the planned model's; plan the "
                "step again"
            )
        self.engine.use_moments(optimizer.momentums, optimizer.velocities)
        self._slots = (optimizer.momentums, optimizer.velocities)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        engine, optimizer = self.engine, self.optimizer
        if optimizer.momentums is not self._slots[0] or optimizer.velocities is not self._slots[1]:
            self._follow_the_optimizer()
        batch = x.shape[0]
        if y.dim() != 2 or y.shape[1] != engine.outputs or y.dtype is not torch.float32:
            if y.numel() != batch * engine.outputs or x.dtype is not torch.float32:
                return self._regular(x, y)
            y = y.reshape(batch, engine.outputs).to(torch.float32)
        if x.dtype is not torch.float32:
            return self._regular(x, y)
        x, y = x.contiguous(), y.contiguous()
        engine.learning_rate = optimizer.learning_rate
        engine.beta_1, engine.beta_2, engine.epsilon = (
            optimizer.beta_1,
            optimizer.beta_2,
            optimizer.epsilon,
        )
        if self.metrics:
            prediction = torch.empty(batch, engine.outputs)
        else:
            prediction = self._predictions.get(batch)
            if prediction is None:
                prediction = self._predictions[batch] = torch.empty(batch, engine.outputs)
        lstm = self.lstm
        final_state = None
        if lstm.stateful:
            if lstm.states is None:
                lstm.reset_states()
            h0, c0 = lstm.states
            if h0.shape[0] != batch:
                raise ValueError(
                    f"{lstm.name} is stateful with batch size {h0.shape[0]}; got a batch of {batch}"
                )
            h0, c0 = h0.contiguous(), c0.contiguous()
            final_state = (torch.empty_like(h0), torch.empty_like(c0))
        else:
            zeros = self._zeros.get(batch)
            if zeros is None:
                zeros = self._zeros[batch] = (
                    torch.zeros(batch, engine.units),
                    torch.zeros(batch, engine.units),
                )
            h0, c0 = zeros
        optimizer.iterations += 1
        value = engine.train_step(
            x,
            y,
            prediction,
            initial_state=(h0, c0),
            final_state=final_state,
            iteration=optimizer.iterations,
        )
        if final_state is not None:
            lstm.states = list(final_state)
        self.prediction = prediction
        return torch.scalar_tensor(value)

    def _regular(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The regular step (``Trainer.train_step``'s), for a batch the kernel does not take."""
        prediction = self.model.forward(x, training=True)
        value = self.loss(y, prediction)
        grads = torch.autograd.grad(value, self.params)
        self.optimizer.apply(list(grads))
        self.prediction = prediction.detach()
        return value.detach()


def plan(
    model: Any,
    loss: losses_module.Loss | None,
    optimizer: Any,
    metrics: list[Any] | None,
) -> NativeTrainStep | None:
    """A native whole-training-step function for ``model``, or ``None`` if it does not fit.

    It fits ``Sequential([LSTM(u), Dense(o)])`` — an LSTM with any activation pair the kernel
    computes, ``go_backwards`` and ``stateful`` allowed, no dropout, no ``return_sequences``,
    biases on; a Dense with a linear, sigmoid or softmax activation — both trainable, float32
    weights on the CPU, the model built, compiled with a built-in ``mean_squared_error``,
    ``binary_crossentropy`` or ``categorical_crossentropy`` (on probabilities, no label
    smoothing) and an :class:`lstmkit.optimizers.Adam` built for exactly these weights, without
    ``amsgrad``, clipping or weight decay.

    Args:
        model: the model being trained (a ``Sequential``).
        loss: the compiled :class:`lstmkit.losses.Loss`.
        optimizer: the compiled optimizer, already built for ``model.trainable_weights``.
        metrics: the compiled metrics; when there are any, each step's :attr:`prediction`
            is a new tensor (metrics may keep it), else a buffer reused.

    Returns:
        A :class:`NativeTrainStep` (``step(x, y) -> loss``), or ``None``.
    """
    from lstmkit.models.sequential import Sequential

    if not native.available() or type(model) is not Sequential:
        return None
    layers = model.layers
    if len(layers) != 2 or type(layers[0]) is not LSTM or type(layers[1]) is not Dense:
        return None
    lstm, dense = layers
    if (
        lstm.return_sequences
        or lstm.return_state
        or lstm.dropout
        or lstm.recurrent_dropout
        or not lstm.use_bias
        or not native.supports(lstm.activation, lstm.recurrent_activation)
        or not dense.use_bias
        or dense.activation not in _DENSE_ACTIVATIONS
        or not lstm.trainable
        or not dense.trainable
        or getattr(model, "_creates_mask", False)
    ):
        return None
    if (
        loss is None
        or type(loss) is not losses_module.Loss
        or loss.fn not in _LOSSES
        or loss.fn_kwargs
        or backend.epsilon() != 1e-7
    ):
        return None
    if (
        type(optimizer) is not Adam
        or optimizer.amsgrad
        or optimizer.clipnorm
        or optimizer.clipvalue
        or optimizer.global_clipnorm
        or optimizer.weight_decay
    ):
        return None
    params = [lstm.kernel, lstm.recurrent_kernel, lstm.bias, dense.kernel, dense.bias]
    trainable = model.trainable_weights
    built = getattr(optimizer, "_params", [])
    if (
        len(trainable) != 5
        or any(a is not b for a, b in zip(trainable, params, strict=True))
        or len(built) != 5
        or any(a is not b for a, b in zip(built, params, strict=True))
    ):
        return None
    tensors = [*params, *optimizer.momentums, *optimizer.velocities]
    if any(t.dtype is not torch.float32 or not t.is_cpu or not t.is_contiguous() for t in tensors):
        return None
    return NativeTrainStep(model, loss, _LOSSES[loss.fn], optimizer, params, bool(metrics))
