"""A whole training step in one native call, for the models it fits.

The models of the classic tutorials — ``Sequential([LSTM(u), Dense(o)])`` (W0, W3, W4 of the
workloads) and stacks of LSTM layers, Dense layers and Dropouts (W2) — spend most of a PyTorch
step on per-operation overhead: a few dozen tensor operations, an autograd graph and the
optimizer's calls, for a few hundred thousand floating-point operations. :func:`plan` recognises
such a model and returns a function that does the forward pass, the loss, the backward pass
through time and the Adam update in one call of ``lstmkit._native``
(:class:`lstmkit.ops.native.LSTMStackStep`), on the model's own ``torch.nn.Parameter`` tensors
and on the optimizer's own slots (``momentums``, ``velocities``, ``iterations``), so everything
else — saving, loading, callbacks that read or set the weights or the learning rate — sees what
the regular step would have left. Stateful LSTMs start from their states and keep the final
ones. Dropout masks are drawn here, in layer order, from each Dropout's own generator (or the
global one) with the very calls the layer makes, so a model trained natively sees the random
numbers the regular step would have drawn.

Anything else (another layer, LSTM dropout, a mask, another loss or optimizer, clipping, weight
decay, float64, LSTM layers too big for the native kernel to beat PyTorch at the batch size, the
extension not built) gets ``None``: the regular step runs.
"""

from __future__ import annotations

from typing import Any

import torch

from lstmkit import activations, backend
from lstmkit import losses as losses_module
from lstmkit.layers.core import Dense, Dropout
from lstmkit.layers.recurrent import LSTM
from lstmkit.ops import native
from lstmkit.ops import recurrent as recurrent_ops
from lstmkit.optimizers import Adam

__all__ = ["NativeTrainStep", "plan"]

#: The losses the native step computes, by the name lstmkit.ops.native knows them by.
_LOSSES = {
    losses_module.mean_squared_error: "mean_squared_error",
    losses_module.binary_crossentropy: "binary_crossentropy",
    losses_module.categorical_crossentropy: "categorical_crossentropy",
    losses_module.mean_absolute_error: "mean_absolute_error",
}


def _native_wins(lstms: list[LSTM], batch: int, timesteps: int) -> bool:
    """Whether :func:`lstmkit.ops.recurrent.select_lstm_path` would take the native kernel for
    every one of ``lstms`` on a batch of ``batch`` sequences of ``timesteps``: the same work
    threshold, so a big model (W1's 256 units) keeps the PyTorch paths (MKL, oneDNN)."""
    features = None
    for layer in lstms:
        input_dim = layer.kernel.shape[0] if features is None else features
        exact = (
            layer.activation is activations.tanh
            and layer.recurrent_activation is activations.sigmoid
        )
        if not recurrent_ops.native_is_faster(
            batch, timesteps, input_dim, layer.units, fused_alternative=exact
        ):
            return False
        features = layer.units
    return True


class NativeTrainStep:
    """``step(x, y) -> loss``: one training step of the planned model (see :func:`plan`), in
    place, in one native call of :class:`lstmkit.ops.native.LSTMStackStep` after drawing the
    batch's dropout masks.

    ``x`` is ``(batch, timesteps, input_dim)`` and ``y`` ``(batch, outputs)`` (or ``(batch,)``
    with one output), float32. Returns the batch's mean loss as a 0-d tensor, as the loss the
    regular step computes; :attr:`prediction` then holds the model's output ``(batch, outputs)``
    for the metrics. A batch the kernel does not take (targets of another shape, which the
    regular loss broadcasts; another dtype; a batch too big for the kernel to beat PyTorch) gets
    the regular step, here.

    Each Dropout (rate > 0) in the model's order draws ``mask.bernoulli_(keep,
    generator=layer._generator).div_(keep)`` into a buffer of the shape its input has — the
    calls and order of the regular forward pass (``Dropout.call``'s ``dropout_mask``, or
    ``torch.nn.functional.dropout``, which draws the same ``bernoulli_`` on a tensor of the
    input's shape), so both consume the same random numbers. A stateful LSTM starts from its
    ``states`` and keeps the final ones, as its regular forward pass does.
    """

    def __init__(
        self,
        model: Any,
        loss: losses_module.Loss,
        loss_name: str,
        optimizer: Adam,
        params: list[torch.nn.Parameter],
        metrics: bool,
        lstms: list[tuple[LSTM, Dropout | None]],
        denses: list[tuple[Dense, Dropout | None]],
    ) -> None:
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        # The Parameters themselves: their memory is read at every step (``data_ptr``), so a
        # ``.data`` replaced or a weight loaded in place is what the next step updates.
        self.params = params
        self.metrics = metrics
        self.lstms = [layer for layer, _ in lstms]
        #: The Dropout layers that draw a mask, in the model's order.
        self.dropouts = [d for _, d in (*lstms, *denses) if d is not None]
        self._stateful = any(layer.stateful for layer in self.lstms)
        self.engine = native.LSTMStackStep(
            int(self.lstms[0].kernel.shape[0]),
            [
                native.StackLSTM(
                    layer.units,
                    layer.activation,
                    layer.recurrent_activation,
                    bool(layer.go_backwards),
                    dropout is not None,
                )
                for layer, dropout in lstms
            ],
            [
                native.StackDense(int(layer.units), layer.activation, dropout is not None)
                for layer, dropout in denses
            ],
            loss=loss_name,
            m=optimizer.momentums,
            v=optimizer.velocities,
        )
        self.engine.checked("weights", list(params))
        self._slots = (optimizer.momentums, optimizer.velocities)
        self._masks: dict[tuple[int, int], list[torch.Tensor]] = {}
        self._predictions: dict[int, torch.Tensor] = {}
        self._wins: dict[tuple[int, int], bool] = {}
        #: The model's output for the last batch, ``(batch, outputs)``.
        self.prediction: torch.Tensor | None = None

    def _prediction_buffer(self, batch: int, outputs: int) -> torch.Tensor:
        """Where the kernel writes this batch's output: a new tensor when metrics may keep it,
        else a buffer reused per batch size."""
        if self.metrics:
            return torch.empty(batch, outputs)
        prediction = self._predictions.get(batch)
        if prediction is None:
            prediction = self._predictions[batch] = torch.empty(batch, outputs)
        return prediction

    def _native_wins(self, batch: int, timesteps: int) -> bool:
        """:func:`_native_wins` for this batch's shape, remembered per ``(batch, timesteps)``."""
        wins = self._wins.get((batch, timesteps))
        if wins is None:
            wins = self._wins[(batch, timesteps)] = _native_wins(self.lstms, batch, timesteps)
        return wins

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

    def _draw_masks(self, batch: int, timesteps: int) -> list[torch.Tensor]:
        """This batch's dropout masks, drawn into buffers kept per ``(batch, timesteps)``: an
        overwritten buffer gets the numbers a new ``torch.empty`` of its shape would."""
        if not self.dropouts:
            return []
        masks = self._masks.get((batch, timesteps))
        if masks is None:
            shapes = self.engine.mask_shapes(batch, timesteps)
            masks = self._masks[(batch, timesteps)] = [torch.empty(s) for s in shapes]
        for layer, mask in zip(self.dropouts, masks, strict=True):
            keep = 1.0 - layer.rate
            mask.bernoulli_(keep, generator=layer._generator).div_(keep)
        return masks

    def _states(self, batch: int) -> list[torch.Tensor | None] | None:
        """Four per LSTM, ``h0, c0, hT, cT``: a stateful layer's states and new tensors for the
        final ones; ``None`` for the others (zeros, nothing kept). ``None`` when none is
        stateful."""
        if not self._stateful:
            return None
        states: list[torch.Tensor | None] = []
        for layer in self.lstms:
            if not layer.stateful:
                states += [None] * 4
                continue
            if layer.states is None:
                layer.reset_states()
            h0, c0 = layer.states
            if h0.shape[0] != batch:
                raise ValueError(
                    f"{layer.name} is stateful with batch size {h0.shape[0]}; got a batch of "
                    f"{batch}"
                )
            h0, c0 = h0.contiguous(), c0.contiguous()
            states += [h0, c0, torch.empty_like(h0), torch.empty_like(c0)]
        return states

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        engine, optimizer = self.engine, self.optimizer
        if optimizer.momentums is not self._slots[0] or optimizer.velocities is not self._slots[1]:
            self._follow_the_optimizer()
        batch, timesteps = x.shape[:2]
        outputs, targets = engine.outputs, y.shape
        # Targets (batch, outputs), or (batch,) for one output (the loss reads them as a
        # column); any other layout is the regular loss's to broadcast or refuse.
        plain = targets == (batch, outputs) or (outputs == 1 and targets == (batch,))
        if x.dtype is not torch.float32 or not plain or not self._native_wins(batch, timesteps):
            return self._regular(x, y)
        if len(targets) != 2 or y.dtype is not torch.float32:
            y = y.reshape(batch, outputs).to(torch.float32)
        x, y = x.contiguous(), y.contiguous()
        states = self._states(batch)
        masks = self._draw_masks(batch, timesteps)
        prediction = self._prediction_buffer(batch, outputs)
        optimizer.iterations += 1
        value = engine.train_step(
            x,
            y,
            self.params,
            masks,
            prediction=prediction,
            states=states,
            iteration=optimizer.iterations,
            learning_rate=optimizer.learning_rate,
            beta_1=optimizer.beta_1,
            beta_2=optimizer.beta_2,
            epsilon=optimizer.epsilon,
        )
        if states is not None:
            for index, layer in enumerate(self.lstms):
                if layer.stateful:
                    layer.states = [states[4 * index + 2], states[4 * index + 3]]
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


# What a subclass may define and still compute exactly as its lstmkit base class (the Keras
# namespace's classes only translate Keras 1/2 constructor arguments).
_CONSTRUCTION_ONLY = frozenset(
    {"__init__", "__doc__", "__module__", "__qualname__", "__abstractmethods__", "_abc_impl"}
)


def _computing_class(layer: Any) -> type:
    """The lstmkit class whose computation ``layer`` runs: its own class, or the nearest base
    when every class in between changes only construction."""
    kind = type(layer)
    for klass in kind.__mro__:
        if klass.__module__.startswith("lstmkit.layers."):
            return klass
        if set(vars(klass)) - _CONSTRUCTION_ONLY:
            return kind
    return kind


def _stack_layers(
    layers: list[Any],
) -> tuple[list[tuple[LSTM, Dropout | None]], list[tuple[Dense, Dropout | None]]] | None:
    """``layers`` split into LSTM and Dense layers, each with the Dropout that follows it (or
    ``None``), if they have the form the stack kernel computes; else ``None``."""
    lstms: list[tuple[LSTM, Dropout | None]] = []
    denses: list[tuple[Dense, Dropout | None]] = []
    for layer in layers:
        if getattr(layer, "weight_regularizers", None):
            return None  # their penalties are part of the regular step's loss only
        kind = _computing_class(layer)
        if kind is Dropout:
            target = denses if denses else lstms
            # One Dropout after a layer, no noise_shape (its mask broadcasts); rate 0 draws no
            # numbers in the regular step, so it draws none here either.
            if not target or target[-1][1] is not None or layer.noise_shape is not None:
                return None
            if layer.rate > 0.0:
                target[-1] = (target[-1][0], layer)
        elif kind is LSTM and not denses:
            lstms.append((layer, None))
        elif kind is Dense and lstms:
            denses.append((layer, None))
        else:
            return None
    if not lstms or not denses:
        return None
    for index, (layer, _) in enumerate(lstms):
        last = index == len(lstms) - 1
        if (
            bool(layer.return_sequences) == last
            or layer.return_state
            or layer.dropout
            or layer.recurrent_dropout
            or not layer.use_bias
            or not native.supports(layer.activation, layer.recurrent_activation)
            or not layer.trainable
        ):
            return None
    for layer, _ in denses:
        if (
            not layer.use_bias
            or layer.activation not in native.STACK_DENSE_ACTIVATION_CODES
            or not layer.trainable
        ):
            return None
    return lstms, denses


def plan(
    model: Any,
    loss: losses_module.Loss | None,
    optimizer: Any,
    metrics: list[Any] | None,
    batch_size: int | None = None,
    device: torch.device | None = None,
) -> NativeTrainStep | None:
    """A native whole-training-step function for ``model``, or ``None`` if it does not fit.

    It fits one or more LSTM layers (all but the last with ``return_sequences``; any activation
    pair the kernel computes, ``go_backwards`` and ``stateful`` allowed, no LSTM dropout, biases
    on), then one or more Dense layers with biases and any activation of
    :data:`lstmkit.ops.native.STACK_DENSE_ACTIVATION_CODES` (linear, relu, tanh, sigmoid,
    softmax, ...), each layer optionally followed by one ``Dropout`` without ``noise_shape``;
    trained with a built-in ``mean_squared_error``, ``mean_absolute_error``,
    ``binary_crossentropy`` or ``categorical_crossentropy``. And: every layer trainable, float32
    weights on the CPU, the model built, the loss on probabilities without label smoothing, an
    :class:`lstmkit.optimizers.Adam` built for exactly these weights, without ``amsgrad``,
    clipping or weight decay; and every LSTM layer small enough at ``batch_size`` that
    :func:`lstmkit.ops.recurrent.select_lstm_path` would take the native kernel for it (a batch
    past that threshold — another size than planned — takes the regular step).

    Args:
        model: the model being trained; only one whose ``plain_stack`` is true (exactly a
            ``Sequential``) can be planned.
        loss: the compiled :class:`lstmkit.losses.Loss`.
        optimizer: the compiled optimizer, already built for ``model.trainable_weights``.
        metrics: the compiled metrics; when there are any, each step's :attr:`prediction`
            is a new tensor (metrics may keep it), else a buffer reused.
        batch_size: the batch size ``fit`` trains with, when known: a model whose LSTM layers
            are too big for the native kernel at this size gets ``None``.
        device: where the model trains (the device of its weights, to which ``fit`` moves the
            data); any device but the CPU gets ``None`` before anything else is looked at: the
            kernel is a CPU kernel. By default the device of the model's first weight.

    Returns:
        A :class:`NativeTrainStep` (``step(x, y) -> loss``), or ``None``.
    """
    if device is None:
        weights = getattr(model, "weights", None) or []
        device = weights[0].device if weights else torch.device("cpu")
    if torch.device(device).type != "cpu":
        return None
    if not native.available() or not getattr(model, "plain_stack", False):
        return None
    if getattr(model, "_creates_mask", False):
        return None
    split = _stack_layers(model.layers)
    if split is None:
        return None
    lstms, denses = split
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
    params: list[torch.nn.Parameter] = []
    for layer, _ in lstms:
        params += [layer.kernel, layer.recurrent_kernel, layer.bias]
    for layer, _ in denses:
        params += [layer.kernel, layer.bias]
    trainable = model.trainable_weights
    built = getattr(optimizer, "_params", [])
    if (
        len(trainable) != len(params)
        or any(a is not b for a, b in zip(trainable, params, strict=True))
        or len(built) != len(params)
        or any(a is not b for a, b in zip(built, params, strict=True))
    ):
        return None
    tensors = [*params, *optimizer.momentums, *optimizer.velocities]
    if any(t.dtype is not torch.float32 or not t.is_cpu or not t.is_contiguous() for t in tensors):
        return None
    timesteps = model.input_shape[1] if model.input_shape is not None else None
    if (
        batch_size is not None
        and timesteps is not None
        and not _native_wins([layer for layer, _ in lstms], batch_size, timesteps)
    ):
        return None
    return NativeTrainStep(
        model, loss, _LOSSES[loss.fn], optimizer, params, bool(metrics), lstms, denses
    )
