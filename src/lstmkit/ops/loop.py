"""The loop paths of :mod:`lstmkit.ops.recurrent`: the LSTM loop as one autograd node with a
hand-derived backward pass through time, and Keras's masked stepping shared by the LSTM, GRU and
SimpleRNN loops. :mod:`lstmkit.ops.recurrent` chooses when they run; the equations and shapes are
in its docstring."""

from __future__ import annotations

from collections.abc import Callable

import torch

from lstmkit import activations

__all__ = ["Activation", "LSTMResult", "StepMask", "lstm_loop"]

Activation = Callable[[torch.Tensor], torch.Tensor]
LSTMResult = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


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
    ``go_backwards``); returns ``(output, h_T, c_T)`` as :func:`lstmkit.ops.recurrent.lstm` does."""

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


def lstm_loop(
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
    step_mask: StepMask | None,
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


class StepMask:
    """Keras's masked stepping for the loop paths: at a masked step the states keep their values
    and the output repeats the previous output (zeros before the first, or always zeros with
    ``zero_output_for_mask``)."""

    def __init__(self, mask: torch.Tensor, zero_output: bool) -> None:
        self.mask = mask.to(torch.bool).unsqueeze(-1)  # (batch, timesteps, 1)
        self.zero_output = zero_output
        self.previous: torch.Tensor | None = None

    @classmethod
    def of(cls, mask: torch.Tensor | None, zero_output: bool) -> StepMask | None:
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
