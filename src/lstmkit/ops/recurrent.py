"""The LSTM gate equations, in one place, and the choice of the path that computes them.

Weights arrive in Keras's layout and gate order (i, f, c, o)::

    kernel            (input_dim, 4 * units)   columns [i | f | c | o]
    recurrent_kernel  (units, 4 * units)
    bias              (4 * units,)  or None

For every timestep t, with ``x_t (batch, input_dim)``::

    z_t = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias       (batch, 4 * units)
    i_t = recurrent_activation(z_t[:, 0u:1u])
    f_t = recurrent_activation(z_t[:, 1u:2u])
    g_t = activation(z_t[:, 2u:3u])                                the candidate cell
    o_t = recurrent_activation(z_t[:, 3u:4u])
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * activation(c_t)

Three paths compute this; :func:`select_lstm_path` says which one runs:

``"native"``
    lstmkit's C++ kernel (:mod:`lstmkit.ops.native`): the whole sequence forward in one call and
    a hand-derived backward through time in one more, as a single autograd node. Small models on
    the CPU are dominated by per-operation overhead, not arithmetic, and there it is the fastest;
    it computes every activation pair of :data:`lstmkit.ops.native.ACTIVATION_CODES`, in
    float32 only, single-threaded. Chosen when the extension is built, the input is a float32
    CPU tensor and the shape is small enough (:func:`native_is_faster`).

``"fused"``
    PyTorch's fused LSTM kernel (oneDNN on CPU, cuDNN on CUDA). Its gate order is Keras's, so the
    Keras weights are passed as transposed views; no copy, no translation table. It is exact for
    ``activation=tanh`` and ``recurrent_activation=sigmoid`` only, and it cannot drop out the
    recurrent state; those settings choose it when the native path does not.
``"loop"``
    Any activation pair, any dtype and device, recurrent dropout and masks. The input projection
    of all timesteps is one matrix product; each step then adds ``h @ recurrent_kernel`` and
    applies the gate arithmetic.

Recurrent dropout and masks always take the loop. Input dropout (one mask per sequence, shared by
all timesteps and all gates, as Keras 3 does) is applied to the whole input before any path, so
it does not force the slow path.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from lstmkit import activations
from lstmkit.ops import native

__all__ = [
    "LSTMResult",
    "gru",
    "lstm",
    "native_is_faster",
    "select_gru_path",
    "select_lstm_path",
    "select_simple_rnn_path",
    "simple_rnn",
]

Activation = Callable[[torch.Tensor], torch.Tensor]
LSTMResult = tuple[torch.Tensor, torch.Tensor, torch.Tensor]

FUSED = "fused"
LOOP = "loop"
NATIVE = native.NATIVE

# When the native kernel beats the PyTorch path it would replace. ``work = batch * timesteps *
# units * (input_dim + units)`` is a quarter of the multiply-adds of a forward pass. The native
# kernel costs a small fixed overhead plus about 0.8 ns per unit of work (forward and backward,
# one thread); PyTorch's fused kernel a larger fixed overhead plus about 0.4 ns per unit on two
# threads, and the loop path a fixed overhead per timestep (a dozen operations forward and
# backward) plus about the same. Measured forward + backward and forward alone, interleaved, on
# the 2-core machines of the workloads with lstmkit's 2 torch threads (float32; ratios are
# PyTorch path time / native time):
#
#   vs the fused kernel (tanh/sigmoid), training:   (1, 1, 1, 50) 2.6, (5, 5, 100, 50) 2.5,
#     (64, 3, 50, 50) 1.5, (32, 10, 32, 64) 1.04, (200, 3, 50, 50) 1.07, (8, 25, 100, 128) 0.94,
#     (64, 25, 32, 64) 0.70, (160, 5, 256, 256) 0.49; forward alone the same crossover
#     ((200, 3, 50, 50) 1.03, (8, 25, 100, 128) 0.86, (1, 5, 256, 256) 4.4)
#   vs the loop (relu/sigmoid), training:   (1, 1, 1, 50) 1.6, (64, 3, 50, 50) 1.8,
#     (200, 3, 50, 50) 1.23, (64, 25, 32, 64) 2.6, (32, 25, 100, 128) 1.32, (1, 5, 256, 256) 2.2,
#     (128, 5, 3, 256) 0.66, (151, 5, 256, 256) 0.48; forward alone (32, 25, 100, 128) 1.08,
#     (32, 5, 256, 256) 0.62
#
# (batch, timesteps, input_dim, units). So: against the fused kernel, native up to a fixed amount
# of work; against the loop, whose overhead grows with the timesteps, up to an amount per
# timestep. On more cores PyTorch's arithmetic gets faster and the crossovers come down (by at
# most about half: the fixed overheads do not shrink).

#: Native rather than fused (tanh/sigmoid) up to this ``work``.
NATIVE_MAX_WORK_VS_FUSED = 3_500_000
#: Native rather than the loop up to this ``work`` per timestep (plus one): ``(T + 1) * this``.
NATIVE_MAX_WORK_PER_STEP_VS_LOOP = 1_000_000


def native_is_faster(
    batch: int,
    timesteps: int,
    input_dim: int,
    units: int,
    fused_alternative: bool,
) -> bool:
    """Whether the native kernel beats the PyTorch path it would replace on this shape, on the
    CPU (see the measurements above). ``fused_alternative``: that path is the fused kernel
    (tanh/sigmoid), else the loop."""
    work = batch * timesteps * units * (input_dim + units)
    if fused_alternative:
        return work <= NATIVE_MAX_WORK_VS_FUSED
    return work <= NATIVE_MAX_WORK_PER_STEP_VS_LOOP * (timesteps + 1)


def select_lstm_path(
    activation: Activation,
    recurrent_activation: Activation,
    recurrent_dropout: bool,
    masked: bool = False,
    *,
    inputs: torch.Tensor | None = None,
    units: int | None = None,
) -> str:
    """The path that computes these equations fastest and exactly.

    ``"loop"`` with recurrent dropout or a mask (the fused and native kernels cannot hold or drop
    the state over a step). Otherwise ``"native"`` when ``inputs`` ``(batch, timesteps,
    input_dim)`` and ``units`` are given, the extension is built and computes this activation
    pair, ``inputs`` is a float32 CPU tensor and :func:`native_is_faster` holds for its shape;
    else ``"fused"`` for ``tanh``/``sigmoid`` (PyTorch's fused kernel is exact for those only),
    and ``"loop"`` for any other pair. Without ``inputs`` and ``units`` the native path is never
    chosen.
    """
    if recurrent_dropout or masked:
        return LOOP
    exact = activation is activations.tanh and recurrent_activation is activations.sigmoid
    if (
        inputs is not None
        and units is not None
        and inputs.dim() == 3
        and inputs.dtype == torch.float32
        and inputs.is_cpu
        and inputs.shape[0] > 0
        and inputs.shape[1] > 0
        and native.supports(activation, recurrent_activation)
        and native_is_faster(*inputs.shape, units, fused_alternative=exact)
    ):
        return NATIVE
    return FUSED if exact else LOOP


def lstm(
    inputs: torch.Tensor,
    initial_h: torch.Tensor,
    initial_c: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
    *,
    activation: Activation = activations.tanh,
    recurrent_activation: Activation = activations.sigmoid,
    go_backwards: bool = False,
    return_sequences: bool = True,
    input_mask: torch.Tensor | None = None,
    recurrent_mask: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
    zero_output_for_mask: bool = False,
    path: str | None = None,
) -> LSTMResult:
    """Run an LSTM over a batch of sequences.

    Args:
        inputs: ``(batch, timesteps, input_dim)``.
        initial_h, initial_c: ``(batch, units)``.
        kernel, recurrent_kernel, bias: Keras layout, see the module docstring.
        activation, recurrent_activation: element-wise functions on tensors.
        go_backwards: walk the sequence from its last timestep to its first; the returned
            sequence is in the order it was walked (reversed), as Keras returns it.
        return_sequences: return ``h`` for every timestep, else only the last one.
        input_mask: ``(batch, input_dim)`` dropout multiplier applied to every timestep's input.
        recurrent_mask: ``(batch, units)`` dropout multiplier applied to ``h_{t-1}``.
        mask: ``(batch, timesteps)`` booleans, False for padding: a masked step leaves the
            states unchanged and repeats the previous output (zeros before any), as Keras.
        zero_output_for_mask: give zeros instead of the previous output at masked steps.
        path: force ``"native"``, ``"fused"`` or ``"loop"``; by default
            :func:`select_lstm_path` decides from the settings and the shape.

    Returns:
        ``(output, h_T, c_T)``: output is ``(batch, timesteps, units)`` when ``return_sequences``
        else ``(batch, units)``; ``h_T`` and ``c_T`` are ``(batch, units)``.
    """
    if path is None:
        path = select_lstm_path(
            activation,
            recurrent_activation,
            recurrent_mask is not None,
            mask is not None,
            inputs=inputs,
            units=recurrent_kernel.shape[0],
        )
    if path != LOOP and (recurrent_mask is not None or mask is not None):
        raise ValueError(f"the {path} LSTM path cannot apply recurrent dropout or a mask")
    if input_mask is not None:
        inputs = inputs * input_mask.unsqueeze(1)
    if path == NATIVE:
        # The kernel walks the sequence backwards itself: no flipped copy of the input.
        return native.lstm(
            inputs,
            initial_h,
            initial_c,
            kernel,
            recurrent_kernel,
            bias,
            activation=activation,
            recurrent_activation=recurrent_activation,
            go_backwards=go_backwards,
            return_sequences=return_sequences,
        )
    if go_backwards:
        inputs = inputs.flip(1)
        mask = None if mask is None else mask.flip(1)
    if path == FUSED:
        return _lstm_fused(
            inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, return_sequences
        )
    return _lstm_loop(
        inputs,
        initial_h,
        initial_c,
        kernel,
        recurrent_kernel,
        bias,
        activation,
        recurrent_activation,
        return_sequences,
        recurrent_mask,
        _StepMask.of(mask, zero_output_for_mask),
    )


def _lstm_fused(
    inputs: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
    return_sequences: bool,
) -> LSTMResult:
    # PyTorch keeps weight_ih as (4u, input_dim) with the same gate order: a transpose is the whole
    # conversion. It has two bias vectors; Keras's single bias goes in the first.
    weights = [kernel.t(), recurrent_kernel.t()]
    if bias is not None:
        weights += [bias, bias.new_zeros(bias.shape)]
    output, h_n, c_n = torch.lstm(
        inputs,
        (h0.unsqueeze(0), c0.unsqueeze(0)),
        weights,
        bias is not None,  # has_biases
        1,  # num_layers
        0.0,  # dropout between layers
        False,  # train: only matters for that dropout
        False,  # bidirectional
        True,  # batch_first
    )
    h_t, c_t = h_n.squeeze(0), c_n.squeeze(0)
    return (output if return_sequences else h_t), h_t, c_t


# -- the loop path with a hand-derived backward pass through time ---------------------------------
#
# Autograd on the loop records a dozen nodes per timestep and, going back, computes the weight
# gradients as one small product per timestep. For the activations below, whose derivative is a
# function of their output, :class:`_LoopLSTM` keeps the activated gates, c_t, act(c_t) and h_t
# of the forward pass (time-major buffers) and walks back through time itself: per step only the
# gate arithmetic and ``dz_t @ recurrent_kernel.T``; the kernel, recurrent kernel, bias and input
# gradients are then one product each over all timesteps. Recurrent dropout, masks and other
# activations keep autograd.

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _derivative_of_output(activation: Activation) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """``y -> activation'(x)`` where ``y = activation(x)``, for the activations it covers."""
    if activation is activations.tanh:
        return lambda y: 1.0 - y * y
    if activation is activations.sigmoid:
        return lambda y: y * (1.0 - y)
    if activation is activations.relu:
        return lambda y: (y > 0).to(y.dtype)
    if activation is activations.linear:
        return torch.ones_like
    if activation is activations.hard_sigmoid:  # relu6(x + 3) / 6: slope 1/6 inside (-3, 3)
        return lambda y: ((y > 0) & (y < 1)).to(y.dtype) / 6.0
    if activation is activations.softsign:  # x / (1 + |x|): 1 / (1 + |x|)^2 = (1 - |y|)^2
        return lambda y: (1.0 - y.abs()).square()
    if activation is activations.elu:  # alpha = 1: exp(x) = y + 1 below zero
        return lambda y: torch.where(y > 0, torch.ones_like(y), y + 1.0)
    if activation is activations.selu:
        return lambda y: torch.where(
            y > 0, torch.full_like(y, _SELU_SCALE), y + _SELU_SCALE * _SELU_ALPHA
        )
    return None


class _LoopLSTM(torch.autograd.Function):
    """The loop path as one autograd node: forward over the sequence, backward through time by
    hand. ``inputs (batch, timesteps, input_dim)`` already walked in order (flipped for
    ``go_backwards``); returns ``(output, h_T, c_T)`` as :func:`lstm` does."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx,
        inputs: torch.Tensor,
        h0: torch.Tensor,
        c0: torch.Tensor,
        kernel: torch.Tensor,
        recurrent_kernel: torch.Tensor,
        bias: torch.Tensor | None,
        activation: Activation,
        recurrent_activation: Activation,
        return_sequences: bool,
    ) -> LSTMResult:
        batch, timesteps, input_dim = inputs.shape
        units = recurrent_kernel.shape[0]
        # Time-major input, so each step's rows are contiguous: (timesteps * batch, input_dim).
        x_flat = inputs.transpose(0, 1).reshape(timesteps * batch, input_dim)
        gates = (x_flat @ kernel).view(timesteps, batch, 4 * units)
        if bias is not None:
            gates += bias
        cells = inputs.new_empty(timesteps, batch, units)
        acted = inputs.new_empty(timesteps, batch, units)
        hidden = inputs.new_empty(timesteps, batch, units)
        h, c = h0, c0
        for t in range(timesteps):
            z = gates[t]
            z.addmm_(h, recurrent_kernel)
            z[:, : 2 * units] = recurrent_activation(z[:, : 2 * units])
            z[:, 2 * units : 3 * units] = activation(z[:, 2 * units : 3 * units])
            z[:, 3 * units :] = recurrent_activation(z[:, 3 * units :])
            i, f, g, o = z.split(units, dim=1)
            c = torch.addcmul(f * c, i, g, out=cells[t])
            acted[t] = activation(c)
            h = torch.mul(o, acted[t], out=hidden[t])
        ctx.save_for_backward(x_flat, h0, c0, kernel, recurrent_kernel, gates, cells, acted, hidden)
        ctx.activation = activation
        ctx.recurrent_activation = recurrent_activation
        ctx.return_sequences = return_sequences
        ctx.has_bias = bias is not None
        ctx.input_shape = inputs.shape
        output = hidden.transpose(0, 1) if return_sequences else hidden[-1]
        # Outputs must not be views of what backward reads.
        return output.clone(), hidden[-1].clone(), cells[-1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx,
        d_output: torch.Tensor | None,
        d_h: torch.Tensor | None,
        d_c: torch.Tensor | None,
    ) -> tuple[torch.Tensor | None, ...]:
        x_flat, h0, c0, kernel, recurrent_kernel, gates, cells, acted, hidden = ctx.saved_tensors
        batch, timesteps, input_dim = ctx.input_shape
        units = recurrent_kernel.shape[0]
        d_act = _derivative_of_output(ctx.activation)
        d_rec = _derivative_of_output(ctx.recurrent_activation)
        d_gates = torch.empty_like(gates)  # (timesteps, batch, 4u): dloss/dz
        dh = d_h if d_h is not None else h0.new_zeros(batch, units)
        dc = d_c if d_c is not None else c0.new_zeros(batch, units)
        if d_output is not None and not ctx.return_sequences:
            dh = dh + d_output
        recurrent_t = recurrent_kernel.t()
        for t in range(timesteps - 1, -1, -1):
            if d_output is not None and ctx.return_sequences:
                dh = dh + d_output[:, t]
            i, f, g, o = gates[t].split(units, dim=1)
            di, df, dg, do = d_gates[t].split(units, dim=1)
            torch.mul(dh * acted[t], d_rec(o), out=do)
            dc = torch.addcmul(dc, dh * o, d_act(acted[t]))
            c_prev = cells[t - 1] if t > 0 else c0
            torch.mul(dc * g, d_rec(i), out=di)
            torch.mul(dc * c_prev, d_rec(f), out=df)
            torch.mul(dc * i, d_act(g), out=dg)
            dc = dc * f
            dh = d_gates[t] @ recurrent_t
        flat = d_gates.view(timesteps * batch, 4 * units)
        need = ctx.needs_input_grad
        d_inputs = d_kernel = d_recurrent = d_bias = None
        if need[0]:
            d_inputs = (flat @ kernel.t()).view(timesteps, batch, input_dim).transpose(0, 1)
        if need[3]:
            d_kernel = x_flat.t() @ flat
        if need[4]:
            previous = torch.cat([h0.unsqueeze(0), hidden[:-1]]).view(timesteps * batch, units)
            d_recurrent = previous.t() @ flat
        if need[5] and ctx.has_bias:
            d_bias = flat.sum(0)
        return d_inputs, dh, dc, d_kernel, d_recurrent, d_bias, None, None, None


def _lstm_loop(
    inputs: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
    activation: Activation,
    recurrent_activation: Activation,
    return_sequences: bool,
    recurrent_mask: torch.Tensor | None,
    step_mask: _StepMask | None,
    hand_backward: bool = True,
) -> LSTMResult:
    """The loop path. With ``hand_backward`` (and no recurrent dropout, no mask, activations
    :func:`_derivative_of_output` knows, gradients wanted) one :class:`_LoopLSTM` node, else
    autograd through every step."""
    if (
        hand_backward
        and recurrent_mask is None
        and step_mask is None
        and torch.is_grad_enabled()
        and _derivative_of_output(activation) is not None
        and _derivative_of_output(recurrent_activation) is not None
    ):
        return _LoopLSTM.apply(
            inputs,
            h,
            c,
            kernel,
            recurrent_kernel,
            bias,
            activation,
            recurrent_activation,
            return_sequences,
        )
    units = recurrent_kernel.shape[0]
    # One product for the input projection of every timestep: (batch, timesteps, 4u).
    projected = inputs @ kernel
    if bias is not None:
        projected = projected + bias
    steps = []
    for t in range(inputs.shape[1]):
        h_in = h * recurrent_mask if recurrent_mask is not None else h
        z = torch.addmm(projected[:, t], h_in, recurrent_kernel)
        gates = recurrent_activation(z[:, : 2 * units])
        i, f = gates[:, :units], gates[:, units:]
        o = recurrent_activation(z[:, 3 * units :])
        c_new = f * c + i * activation(z[:, 2 * units : 3 * units])
        h_new = o * activation(c_new)
        if step_mask is None:
            h, c, out = h_new, c_new, h_new
        else:
            (h, c), out = step_mask.hold(t, (h_new, c_new), (h, c), h_new)
        if return_sequences:
            steps.append(out)
    output = torch.stack(steps, dim=1) if return_sequences else out
    return output, h, c


class _StepMask:
    """Keras's masked stepping for the loop paths: at a masked step the states keep their values
    and the output repeats the previous output (zeros before the first, or always zeros with
    ``zero_output_for_mask``)."""

    def __init__(self, mask: torch.Tensor, zero_output: bool) -> None:
        self.mask = mask.to(torch.bool).unsqueeze(-1)  # (batch, timesteps, 1)
        self.zero_output = zero_output
        self.previous: torch.Tensor | None = None

    @classmethod
    def of(cls, mask: torch.Tensor | None, zero_output: bool) -> _StepMask | None:
        return None if mask is None else cls(mask, zero_output)

    def hold(
        self,
        t: int,
        new_states: tuple[torch.Tensor, ...],
        old_states: tuple[torch.Tensor, ...],
        output: torch.Tensor,
    ) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        keep = self.mask[:, t]
        states = tuple(
            torch.where(keep, new, old) for new, old in zip(new_states, old_states, strict=True)
        )
        if self.zero_output or self.previous is None:
            fallback = torch.zeros_like(output)
        else:
            fallback = self.previous
        self.previous = torch.where(keep, output, fallback)
        return states, self.previous


# -- GRU ----------------------------------------------------------------------------------------
#
# Keras's layout, gate order z (update), r (reset), h (candidate):
#
#     kernel            (input_dim, 3 * units)   columns [z | r | h]
#     recurrent_kernel  (units, 3 * units)
#     bias              (2, 3 * units): [input bias; recurrent bias]   reset_after=True (default)
#                       (3 * units,)                                   reset_after=False
#
# For every timestep, with x_t (batch, input_dim) and the biases split as b_in, b_rec:
#
#     x_z, x_r, x_h = split(x_t @ kernel + b_in)
#     z = recurrent_activation(x_z + h @ U_z + b_rec_z)
#     r = recurrent_activation(x_r + h @ U_r + b_rec_r)
#     reset_after=True:   hh = activation(x_h + r * (h @ U_h + b_rec_h))
#     reset_after=False:  hh = activation(x_h + (r * h) @ U_h)
#     h_t = z * h_{t-1} + (1 - z) * hh
#
# PyTorch's fused GRU is exactly reset_after=True with tanh/sigmoid, in gate order r, z, n: the
# Keras column blocks are reordered at the boundary, here and nowhere else.


def select_gru_path(
    activation: Activation,
    recurrent_activation: Activation,
    reset_after: bool,
    recurrent_dropout: bool,
    masked: bool = False,
) -> str:
    """``"fused"`` when PyTorch's fused GRU computes exactly these equations, else ``"loop"``
    (always with a mask)."""
    exact = activation is activations.tanh and recurrent_activation is activations.sigmoid
    return FUSED if exact and reset_after and not recurrent_dropout and not masked else LOOP


def gru(
    inputs: torch.Tensor,
    initial_h: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
    *,
    activation: Activation = activations.tanh,
    recurrent_activation: Activation = activations.sigmoid,
    reset_after: bool = True,
    go_backwards: bool = False,
    return_sequences: bool = True,
    input_mask: torch.Tensor | None = None,
    recurrent_mask: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
    zero_output_for_mask: bool = False,
    path: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a GRU over a batch of sequences.

    Args:
        inputs: ``(batch, timesteps, input_dim)``. initial_h: ``(batch, units)``.
        kernel, recurrent_kernel, bias: Keras layout, see above.
        input_mask: ``(batch, input_dim)`` dropout multiplier for every timestep's input.
        recurrent_mask: ``(batch, units)`` dropout multiplier for ``h_{t-1}`` in the recurrent
            products (not in the final interpolation, as Keras).
        Other arguments as :func:`lstm`.

    Returns:
        ``(output, h_T)``: output ``(batch, timesteps, units)`` when ``return_sequences`` else
        ``(batch, units)``; ``h_T`` ``(batch, units)``.
    """
    if path is None:
        path = select_gru_path(
            activation,
            recurrent_activation,
            reset_after,
            recurrent_mask is not None,
            mask is not None,
        )
    if input_mask is not None:
        inputs = inputs * input_mask.unsqueeze(1)
    if go_backwards:
        inputs = inputs.flip(1)
        mask = None if mask is None else mask.flip(1)
    units = recurrent_kernel.shape[0]
    if bias is None:
        input_bias = recurrent_bias = None
    elif reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, None
    if path == FUSED:
        if recurrent_mask is not None or mask is not None or not reset_after:
            raise ValueError(
                "the fused GRU path needs reset_after=True, no recurrent dropout and no mask"
            )

        def torch_order(w: torch.Tensor) -> torch.Tensor:  # [z | r | h] -> [r | z | n]
            return torch.cat([w[..., units : 2 * units], w[..., :units], w[..., 2 * units :]], -1)

        weights = [torch_order(kernel).t(), torch_order(recurrent_kernel).t()]
        if bias is not None:
            weights += [torch_order(input_bias), torch_order(recurrent_bias)]
        output, h_n = torch.gru(
            inputs, initial_h.unsqueeze(0), weights, bias is not None, 1, 0.0, False, False, True
        )
        h = h_n.squeeze(0)
        return (output if return_sequences else h), h
    projected = inputs @ kernel
    if input_bias is not None:
        projected = projected + input_bias
    h = initial_h
    step_mask = _StepMask.of(mask, zero_output_for_mask)
    steps = []
    for t in range(inputs.shape[1]):
        x_t = projected[:, t]
        h_in = h * recurrent_mask if recurrent_mask is not None else h
        if reset_after:
            inner = h_in @ recurrent_kernel
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            zr = recurrent_activation(x_t[:, : 2 * units] + inner[:, : 2 * units])
            z, r = zr[:, :units], zr[:, units:]
            hh = activation(x_t[:, 2 * units :] + r * inner[:, 2 * units :])
        else:
            zr = recurrent_activation(x_t[:, : 2 * units] + h_in @ recurrent_kernel[:, : 2 * units])
            z, r = zr[:, :units], zr[:, units:]
            hh = activation(x_t[:, 2 * units :] + (r * h_in) @ recurrent_kernel[:, 2 * units :])
        h_new = z * h + (1.0 - z) * hh
        if step_mask is None:
            h = out = h_new
        else:
            (h,), out = step_mask.hold(t, (h_new,), (h,), h_new)
        if return_sequences:
            steps.append(out)
    output = torch.stack(steps, dim=1) if return_sequences else out
    return output, h


# -- SimpleRNN ----------------------------------------------------------------------------------
#
#     h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)
#
# kernel (input_dim, units), recurrent_kernel (units, units), bias (units,). PyTorch's fused
# RNN kernels compute exactly this for tanh and relu.


def select_simple_rnn_path(
    activation: Activation, recurrent_dropout: bool, masked: bool = False
) -> str:
    """``"fused"`` for tanh or relu without recurrent dropout or mask, else ``"loop"``."""
    fused = activation is activations.tanh or activation is activations.relu
    return FUSED if fused and not recurrent_dropout and not masked else LOOP


def simple_rnn(
    inputs: torch.Tensor,
    initial_h: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
    *,
    activation: Activation = activations.tanh,
    go_backwards: bool = False,
    return_sequences: bool = True,
    input_mask: torch.Tensor | None = None,
    recurrent_mask: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
    zero_output_for_mask: bool = False,
    path: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a fully connected RNN over a batch of sequences. Shapes and arguments as
    :func:`gru`; returns ``(output, h_T)``."""
    if path is None:
        path = select_simple_rnn_path(activation, recurrent_mask is not None, mask is not None)
    if input_mask is not None:
        inputs = inputs * input_mask.unsqueeze(1)
    if go_backwards:
        inputs = inputs.flip(1)
        mask = None if mask is None else mask.flip(1)
    if path == FUSED:
        if recurrent_mask is not None or mask is not None:
            raise ValueError("the fused SimpleRNN path cannot apply recurrent dropout or a mask")
        kernel_fn = torch.rnn_tanh if activation is activations.tanh else torch.rnn_relu
        weights = [kernel.t(), recurrent_kernel.t()]
        if bias is not None:
            weights += [bias, bias.new_zeros(bias.shape)]
        output, h_n = kernel_fn(
            inputs, initial_h.unsqueeze(0), weights, bias is not None, 1, 0.0, False, False, True
        )
        h = h_n.squeeze(0)
        return (output if return_sequences else h), h
    projected = inputs @ kernel
    if bias is not None:
        projected = projected + bias
    h = initial_h
    step_mask = _StepMask.of(mask, zero_output_for_mask)
    steps = []
    for t in range(inputs.shape[1]):
        h_in = h * recurrent_mask if recurrent_mask is not None else h
        h_new = activation(torch.addmm(projected[:, t], h_in, recurrent_kernel))
        if step_mask is None:
            h = out = h_new
        else:
            (h,), out = step_mask.hold(t, (h_new,), (h,), h_new)
        if return_sequences:
            steps.append(out)
    output = torch.stack(steps, dim=1) if return_sequences else out
    return output, h
