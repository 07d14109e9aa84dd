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
    tensor on the CPU and the shape is small enough (:func:`native_is_faster`); never on another
    device (the device is an input of :func:`select_lstm_path`).

``"fused"``
    PyTorch's fused LSTM kernel (oneDNN on CPU, cuDNN on CUDA). Its gate order is Keras's, so the
    Keras weights are passed as transposed views; no copy, no translation table. It is exact for
    ``activation=tanh`` and ``recurrent_activation=sigmoid`` only, and it cannot drop out the
    recurrent state; those settings choose it when the native path does not, which on a GPU is
    always.
``"loop"``
    Any activation pair, any dtype and device, recurrent dropout and masks. The input projection
    of all timesteps is one matrix product; each step then adds ``h @ recurrent_kernel`` and
    applies the gate arithmetic.

Recurrent dropout and masks always take the loop. Input dropout (one mask per sequence, shared by
all timesteps and all gates, as Keras 3 does) is applied to the whole input before any path, so
it does not force the slow path.

On a GPU cuDNN wants one flat buffer of weights; lstmkit keeps Keras's separate kernels, so cuDNN
packs them into one at every call (a copy of the weights, small beside a sequence's work) and
PyTorch would say so in a warning at every call; that warning is silenced below, for this
message only.
"""

from __future__ import annotations

import warnings

import torch

from lstmkit import activations
from lstmkit.ops import native
from lstmkit.ops.loop import Activation, LSTMResult, StepMask
from lstmkit.ops.loop import lstm_loop as _lstm_loop

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


FUSED = "fused"
LOOP = "loop"
NATIVE = native.NATIVE

warnings.filterwarnings(
    "ignore", message="RNN module weights are not part of single contiguous chunk of memory"
)

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
    groups: int = 1,
) -> bool:
    """Whether the native kernel beats the PyTorch path it would replace on this shape, on the
    CPU (see the measurements above). ``fused_alternative``: that path is the fused kernel
    (tanh/sigmoid), else the loop. ``groups``: the layer is that many LSTMs side by side (see
    :func:`lstm`); the native kernel's recurrent work is ``groups`` times smaller, the PyTorch
    paths' is not."""
    if groups > 1:
        return _grouped_native_is_faster(
            batch, timesteps, input_dim, units, groups, fused_alternative
        )
    work = batch * timesteps * units * (input_dim + units)
    if fused_alternative:
        return work <= NATIVE_MAX_WORK_VS_FUSED
    return work <= NATIVE_MAX_WORK_PER_STEP_VS_LOOP * (timesteps + 1)


# Grouped (``groups`` LSTMs of ``u = units / groups`` side by side, see :func:`lstm`), the native
# kernel multiplies only the diagonal blocks of the recurrent kernel: its work is ``batch *
# timesteps * units * (input_dim + u)``, PyTorch's paths still do the whole ``units *
# (input_dim + units)``. Measured forward + backward with return_sequences, one thread (the
# one-step network's setting), interleaved, µs (batch, timesteps, input_dim, units, groups):
#
#   (16, 20, 14, 100, 5) fused 1691, native grouped 1453 (ungrouped 1729); (16, 20, 14, 160, 8)
#   2876 / 2287; (16, 20, 14, 200, 10) 4206 / 2912; (16, 20, 14, 320, 16) 9809 / 4940;
#   (16, 12, 3, 80, 5) 968 / 358; (32, 20, 14, 100, 5) 2616 / 2929; (64, 20, 14, 100, 5)
#   4619 / 5783; (16, 20, 14, 60, 3) 1036 / 935
#
# The grouped kernel costs about 1.35 ns per unit of its work (its diagonal blocks are narrow,
# so it does less per instruction than the ungrouped kernel's products, and the gate arithmetic
# and input products, which grouping does not shrink, weigh more); the fused kernel about 25 µs
# per timestep plus 0.28 ns per unit of the whole work. The rule below is that model. With more
# threads the fused kernel's arithmetic gets faster and the crossover comes down.

#: The grouped native kernel's cost per unit of its work, ns (one thread).
GROUPED_NATIVE_NS_PER_WORK = 1.35
#: The fused kernel's cost per timestep (its per-step operations), ns.
FUSED_NS_PER_STEP = 25_000
#: The fused kernel's cost per unit of the whole layer's work, ns (one thread).
FUSED_NS_PER_WORK = 0.28


def _grouped_native_is_faster(
    batch: int,
    timesteps: int,
    input_dim: int,
    units: int,
    groups: int,
    fused_alternative: bool,
) -> bool:
    """:func:`native_is_faster` for ``groups`` LSTMs side by side (the model above). Against the
    loop (slower than the fused kernel on every shape measured), native also wherever the
    ungrouped kernel would be: grouping only takes work away from it."""
    full = batch * timesteps * units * (input_dim + units)
    grouped = batch * timesteps * units * (input_dim + units // groups)
    native_ns = GROUPED_NATIVE_NS_PER_WORK * grouped
    fused_ns = FUSED_NS_PER_STEP * timesteps + FUSED_NS_PER_WORK * full
    if native_ns <= fused_ns:
        return True
    return not fused_alternative and native_is_faster(
        batch, timesteps, input_dim, units, fused_alternative=False
    )


def select_lstm_path(
    activation: Activation,
    recurrent_activation: Activation,
    recurrent_dropout: bool,
    masked: bool = False,
    *,
    inputs: torch.Tensor | None = None,
    units: int | None = None,
    device: torch.device | None = None,
    groups: int = 1,
) -> str:
    """The path that computes these equations fastest and exactly.

    ``"loop"`` with recurrent dropout or a mask (the fused and native kernels cannot hold or drop
    the state over a step). Otherwise ``"native"`` when ``inputs`` ``(batch, timesteps,
    input_dim)`` and ``units`` are given, the extension is built and computes this activation
    pair, ``inputs`` is float32, the device is the CPU and :func:`native_is_faster` holds for
    the shape; else ``"fused"`` for ``tanh``/``sigmoid`` (PyTorch's fused kernel, cuDNN on
    CUDA, is exact for those only), and ``"loop"`` for any other pair. Without ``inputs`` and
    ``units`` the native path is never chosen.

    ``device``: where the computation runs, by default ``inputs.device``; any device but the
    CPU excludes the native kernel (a CPU kernel: it would need the data copied to the host and
    back at every call).

    ``groups``: the layer declares itself that many LSTMs side by side (see :func:`lstm`); the
    native kernel then computes only the diagonal blocks of the recurrent kernel, which
    :func:`native_is_faster` weighs. The other paths compute the whole products, the same
    numbers when the weights between the LSTMs are zero.
    """
    if recurrent_dropout or masked:
        return LOOP
    exact = activation is activations.tanh and recurrent_activation is activations.sigmoid
    if (
        inputs is not None
        and units is not None
        and inputs.dim() == 3
        and inputs.dtype == torch.float32
        and (inputs.is_cpu if device is None else device.type == "cpu")
        and inputs.shape[0] > 0
        and inputs.shape[1] > 0
        and native.supports(activation, recurrent_activation)
        and native_is_faster(*inputs.shape, units, fused_alternative=exact, groups=groups)
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
    groups: int = 1,
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
        groups: ``G > 1`` declares the layer ``G`` LSTMs of ``units / G`` units side by side
            (:mod:`lstmkit.forecast.ensemble`'s layout: LSTM ``g`` owns units ``g·u … (g+1)·u -
            1`` of every gate) with a block-diagonal recurrent kernel whose blocks between the
            LSTMs are zero. The native path then reads only the diagonal blocks and gives them
            a zero gradient; the fused and loop paths compute the whole products (the same
            numbers, the blocks between LSTMs then getting a gradient). ``units`` must be a
            multiple of ``G``.

    Returns:
        ``(output, h_T, c_T)``: output is ``(batch, timesteps, units)`` when ``return_sequences``
        else ``(batch, units)``; ``h_T`` and ``c_T`` are ``(batch, units)``.
    """
    native.check_groups(groups, recurrent_kernel.shape[0])
    if path is None:
        path = select_lstm_path(
            activation,
            recurrent_activation,
            recurrent_mask is not None,
            mask is not None,
            inputs=inputs,
            units=recurrent_kernel.shape[0],
            groups=groups,
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
            groups=groups,
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
        StepMask.of(mask, zero_output_for_mask),
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
    train = False  # on the CPU it only switches the (zero) dropout between layers
    if not inputs.is_cpu:
        (h0, c0), weights, train = _for_cudnn((h0, c0), weights)
    output, h_n, c_n = torch.lstm(
        inputs,
        (h0.unsqueeze(0), c0.unsqueeze(0)),
        weights,
        bias is not None,  # has_biases
        1,  # num_layers
        0.0,  # dropout between layers
        train,
        False,  # bidirectional
        True,  # batch_first
    )
    h_t, c_t = h_n.squeeze(0), c_n.squeeze(0)
    return (output if return_sequences else h_t), h_t, c_t


def _for_cudnn(
    states: tuple[torch.Tensor, ...], weights: list[torch.Tensor]
) -> tuple[tuple[torch.Tensor, ...], list[torch.Tensor], bool]:
    """What PyTorch's fused kernels need off the CPU (cuDNN): contiguous states (a user's
    ``initial_state`` may be a view) and contiguous weights (cuDNN copies each weight into its
    flat buffer through ``view_as`` of a column, which a transposed view cannot give), and the
    ``train`` flag on whenever autograd records (cuDNN keeps what its backward pass needs only
    in training mode; on the CPU the flag only switches the zero dropout between layers)."""
    return (
        tuple(state.contiguous() for state in states),
        [weight.contiguous() for weight in weights],
        torch.is_grad_enabled(),
    )


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
        h0, train = initial_h, False
        if not inputs.is_cpu:
            (h0,), weights, train = _for_cudnn((h0,), weights)
        output, h_n = torch.gru(
            inputs, h0.unsqueeze(0), weights, bias is not None, 1, 0.0, train, False, True
        )
        h = h_n.squeeze(0)
        return (output if return_sequences else h), h
    projected = inputs @ kernel
    if input_bias is not None:
        projected = projected + input_bias
    h = initial_h
    step_mask = StepMask.of(mask, zero_output_for_mask)
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
        h0, train = initial_h, False
        if not inputs.is_cpu:
            (h0,), weights, train = _for_cudnn((h0,), weights)
        output, h_n = kernel_fn(
            inputs, h0.unsqueeze(0), weights, bias is not None, 1, 0.0, train, False, True
        )
        h = h_n.squeeze(0)
        return (output if return_sequences else h), h
    projected = inputs @ kernel
    if bias is not None:
        projected = projected + bias
    h = initial_h
    step_mask = StepMask.of(mask, zero_output_for_mask)
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
