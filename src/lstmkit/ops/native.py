"""The native LSTM path: a C++ forward over the whole sequence and a hand-derived backward pass
through time, called on the tensors' memory (``lstmkit/_native/``: ``recurrent.cpp``; ``lstm.h``
says which file holds what).

The equations, layout and gate order are those of :mod:`lstmkit.ops.recurrent`::

    inputs            (batch, timesteps, input_dim)
    initial_h/c       (batch, units)
    kernel            (input_dim, 4 * units)   columns [i | f | c | o]
    recurrent_kernel  (units, 4 * units)
    bias              (4 * units,)  or None

One autograd node covers the whole sequence instead of a few per timestep, and the backward is
one native call. Any pair of the activations in :data:`ACTIVATION_CODES` is supported, with
``go_backwards`` and ``return_sequences``; input dropout is applied by the caller before (as the
other paths do), recurrent dropout and masks are not supported here.

``groups=G > 1``: the layer is ``G`` LSTMs of ``units / G`` units side by side (the layout of
:mod:`lstmkit.forecast.ensemble`): LSTM ``g`` owns units ``g·u … (g+1)·u - 1`` of every gate, and
the recurrent kernel is block-diagonal. Only its ``G`` diagonal ``(u, 4u)`` blocks are read (G
times less recurrent work than the full product), and the backward writes exact zeros in the
gradient of the blocks between LSTMs, so an optimizer never moves them. The input kernel is full
(every LSTM reads all the inputs). The output is the wide layer's when the weights between the
LSTMs are zero.

The extension is optional: :func:`available` says whether it was built (``python setup.py
build_ext --inplace`` in a checkout, or the package's install).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch.autograd.function import once_differentiable

from lstmkit import activations

try:
    from lstmkit._native import _lstm
except ImportError:  # not built: the PyTorch paths of lstmkit.ops.recurrent remain
    _lstm = None

__all__ = [
    "ACTIVATION_CODES",
    "NATIVE",
    "STACK_DENSE_ACTIVATION_CODES",
    "STACK_LOSS_CODES",
    "LSTMFunction",
    "LSTMStackStep",
    "StackDense",
    "StackLSTM",
    "available",
    "check_groups",
    "lstm",
    "supports",
]

NATIVE = "native"

Activation = Callable[[torch.Tensor], torch.Tensor]

#: The activations the kernel computes, by the code the kernel knows them by (``_native/lstm.h``).
ACTIVATION_CODES: dict[Activation, int] = {
    activations.tanh: 0,
    activations.sigmoid: 1,
    activations.hard_sigmoid: 2,
    activations.relu: 3,
    activations.linear: 4,
    activations.softsign: 5,
    activations.elu: 6,
    activations.selu: 7,
}


def available() -> bool:
    """Whether the native extension ``lstmkit._native._lstm`` is built and importable."""
    return _lstm is not None


def check_groups(groups: int, units: int) -> int:
    """``groups`` if it is a positive integer dividing ``units``, else ``ValueError`` naming
    it."""
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive integer; got groups={groups!r}")
    if units % groups:
        raise ValueError(
            f"groups={groups}: the units must be a multiple of groups (groups LSTMs of equal "
            f"size side by side); got {units} units"
        )
    return groups


def supports(activation: Activation, recurrent_activation: Activation) -> bool:
    """Whether the native kernel computes this activation pair (and is built)."""
    return (
        available() and activation in ACTIVATION_CODES and recurrent_activation in ACTIVATION_CODES
    )


class _Workspaces:
    """Forward workspaces, reused: one is taken per forward and given back by its backward.

    A forward whose graph is dropped without a backward keeps its buffer until the graph is
    freed, so two graphs alive at once (two layers, or a step and its validation) never share one.
    """

    def __init__(self) -> None:
        self.free: dict[int, list[torch.Tensor]] = {}

    def take(self, floats: int) -> torch.Tensor:
        pool = self.free.get(floats)
        return pool.pop() if pool else torch.empty(floats, dtype=torch.float32)

    def give_back(self, workspace: torch.Tensor) -> None:
        self.free.setdefault(workspace.numel(), []).append(workspace)


_WORKSPACES = _Workspaces()


def _check(name: str, tensor: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    if tensor.dtype is not torch.float32 or not tensor.is_cpu:
        raise ValueError(
            f"the native LSTM needs float32 CPU tensors; got {name} as {tensor.dtype} on "
            f"{tensor.device}"
        )
    if tensor.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {tuple(tensor.shape)}")
    return tensor.contiguous()


def _check_in_place(label: str, tensor: torch.Tensor, shape: tuple[int, ...]) -> None:
    """A tensor the kernel updates in place: ``shape``, float32, on the CPU, contiguous."""
    if tuple(tensor.shape) != tuple(shape):
        raise ValueError(f"{label} must have shape {shape}; got {tuple(tensor.shape)}")
    if tensor.dtype is not torch.float32 or not tensor.is_cpu:
        raise ValueError(
            f"{label} must be float32 on the CPU; got {tensor.dtype} on {tensor.device}"
        )
    if not tensor.is_contiguous():
        raise ValueError(f"{label} must be contiguous (it is updated in place)")


def _ptr(tensor: torch.Tensor | None) -> int:
    return 0 if tensor is None else tensor.data_ptr()


def _run_forward(
    inputs: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    kernel: torch.Tensor,
    recurrent_kernel: torch.Tensor,
    bias: torch.Tensor | None,
    activation: int,
    recurrent_activation: int,
    go_backwards: bool,
    return_sequences: bool,
    groups: int,
    workspace: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The native forward into new output tensors; ``workspace`` receives what backward needs."""
    batch, timesteps, input_dim = inputs.shape
    units = h0.shape[1]
    output = inputs.new_empty((batch, timesteps, units) if return_sequences else (batch, units))
    h_t = h0.new_empty((batch, units))
    c_t = h0.new_empty((batch, units))
    _lstm.forward(
        inputs.data_ptr(),
        h0.data_ptr(),
        c0.data_ptr(),
        kernel.data_ptr(),
        recurrent_kernel.data_ptr(),
        _ptr(bias),
        batch,
        timesteps,
        input_dim,
        units,
        activation,
        recurrent_activation,
        int(go_backwards),
        int(return_sequences),
        output.data_ptr(),
        h_t.data_ptr(),
        c_t.data_ptr(),
        workspace.data_ptr(),
        groups,
    )
    return output, h_t, c_t


class LSTMFunction(torch.autograd.Function):
    """``(inputs, h0, c0, kernel, recurrent_kernel, bias, codes..., groups) -> (output, h_T,
    c_T)`` as one autograd node; shapes and ``groups`` as :func:`lstm`. Inputs must be
    contiguous float32 CPU tensors (:func:`lstm` makes sure of it). Differentiable once: the
    backward is native code, so a gradient of a gradient (``create_graph=True``) is refused
    rather than silently wrong."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        inputs: torch.Tensor,
        h0: torch.Tensor,
        c0: torch.Tensor,
        kernel: torch.Tensor,
        recurrent_kernel: torch.Tensor,
        bias: torch.Tensor | None,
        activation: int,
        recurrent_activation: int,
        go_backwards: bool,
        return_sequences: bool,
        groups: int = 1,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch, timesteps, _ = inputs.shape
        workspace = _WORKSPACES.take(_lstm.forward_workspace_floats(batch, timesteps, h0.shape[1]))
        outputs = _run_forward(
            inputs,
            h0,
            c0,
            kernel,
            recurrent_kernel,
            bias,
            activation,
            recurrent_activation,
            go_backwards,
            return_sequences,
            groups,
            workspace,
        )
        ctx.save_for_backward(inputs, h0, c0, kernel, recurrent_kernel)
        ctx.workspace = workspace
        ctx.settings = (activation, recurrent_activation, go_backwards, return_sequences, groups)
        ctx.has_bias = bias is not None
        return outputs

    @staticmethod
    @once_differentiable
    def backward(  # type: ignore[override]
        ctx: Any,
        grad_output: torch.Tensor | None,
        grad_h: torch.Tensor | None,
        grad_c: torch.Tensor | None,
    ) -> tuple[torch.Tensor | None, ...]:
        inputs, h0, c0, kernel, recurrent_kernel = ctx.saved_tensors
        activation, recurrent_activation, go_backwards, return_sequences, groups = ctx.settings
        batch, timesteps, input_dim = inputs.shape
        units = h0.shape[1]
        if grad_output is None:
            shape = (batch, timesteps, units) if return_sequences else (batch, units)
            grad_output = inputs.new_zeros(shape)
        grad_output = grad_output.contiguous()
        grad_h = None if grad_h is None else grad_h.contiguous()
        grad_c = None if grad_c is None else grad_c.contiguous()
        needs = ctx.needs_input_grad
        d_inputs = torch.empty_like(inputs) if needs[0] else None
        d_h0, d_c0 = torch.empty_like(h0), torch.empty_like(c0)
        d_kernel, d_recurrent = torch.empty_like(kernel), torch.empty_like(recurrent_kernel)
        d_bias = kernel.new_empty(4 * units) if ctx.has_bias else None
        _lstm.backward(
            inputs.data_ptr(),
            h0.data_ptr(),
            c0.data_ptr(),
            kernel.data_ptr(),
            recurrent_kernel.data_ptr(),
            batch,
            timesteps,
            input_dim,
            units,
            activation,
            recurrent_activation,
            int(go_backwards),
            int(return_sequences),
            ctx.workspace.data_ptr(),
            grad_output.data_ptr(),
            _ptr(grad_h),
            _ptr(grad_c),
            _ptr(d_inputs),
            d_h0.data_ptr(),
            d_c0.data_ptr(),
            d_kernel.data_ptr(),
            d_recurrent.data_ptr(),
            _ptr(d_bias),
            groups,
        )
        _WORKSPACES.give_back(ctx.workspace)
        del ctx.workspace
        return (d_inputs, d_h0, d_c0, d_kernel, d_recurrent, d_bias, None, None, None, None, None)


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
    groups: int = 1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run an LSTM over a batch of sequences with the native kernel; differentiable.

    Args:
        inputs: ``(batch, timesteps, input_dim)`` float32 on the CPU.
        initial_h, initial_c: ``(batch, units)``.
        kernel, recurrent_kernel, bias: Keras layout, see the module docstring.
        activation, recurrent_activation: two of :data:`ACTIVATION_CODES`.
        go_backwards: walk the sequence from its last timestep; the output is in walked order.
        return_sequences: return ``h`` for every timestep, else only the last one.
        groups: ``G > 1``: ``G`` LSTMs of ``units / G`` units side by side, the recurrent kernel
            block-diagonal (see the module docstring): only its diagonal blocks are read, and
            its gradient is zero between them. ``units`` must be a multiple of ``G``.

    Returns:
        ``(output, h_T, c_T)``: output ``(batch, timesteps, units)`` when ``return_sequences``
        else ``(batch, units)``; ``h_T`` and ``c_T`` ``(batch, units)``.

    Raises:
        ValueError: malformed shapes, dtypes or activations; ``groups`` not a positive divisor
            of the units.
    """
    if _lstm is None:
        raise RuntimeError(
            "the native LSTM kernel is not built; run `python setup.py build_ext --inplace` "
            "or reinstall lstmkit with a C++ compiler available"
        )
    codes = []
    for name, fn in (("activation", activation), ("recurrent_activation", recurrent_activation)):
        if fn not in ACTIVATION_CODES:
            known = ", ".join(activations.serialize(f) for f in ACTIVATION_CODES)
            raise ValueError(f"the native LSTM computes {name} in {known}; got {fn!r}")
        codes.append(ACTIVATION_CODES[fn])
    if inputs.dim() != 3:
        raise ValueError(
            f"inputs must be 3-D (batch, timesteps, input_dim); got shape {tuple(inputs.shape)}"
        )
    batch, timesteps, input_dim = inputs.shape
    units = recurrent_kernel.shape[0]
    if timesteps < 1:
        raise ValueError(f"inputs must have at least one timestep; got shape {tuple(inputs.shape)}")
    check_groups(groups, units)
    inputs = _check("inputs", inputs, (batch, timesteps, input_dim))
    initial_h = _check("initial_h", initial_h, (batch, units))
    initial_c = _check("initial_c", initial_c, (batch, units))
    kernel = _check("kernel", kernel, (input_dim, 4 * units))
    recurrent_kernel = _check("recurrent_kernel", recurrent_kernel, (units, 4 * units))
    if bias is not None:
        bias = _check("bias", bias, (4 * units,))
    settings = (codes[0], codes[1], bool(go_backwards), bool(return_sequences), groups)
    if torch.is_grad_enabled() and any(
        t is not None and t.requires_grad
        for t in (inputs, initial_h, initial_c, kernel, recurrent_kernel, bias)
    ):
        return LSTMFunction.apply(
            inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, *settings
        )
    # Nothing to differentiate (predict, evaluate): the kernel alone, no autograd node.
    workspace = _WORKSPACES.take(_lstm.forward_workspace_floats(batch, timesteps, units))
    try:
        return _run_forward(
            inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, *settings, workspace
        )
    finally:
        _WORKSPACES.give_back(workspace)


#: The Dense activations the stack step computes: every elementwise one of the LSTM kernel, and
#: softmax (over the last axis), by their codes in ``_native/stack_step.cpp``.
STACK_DENSE_ACTIVATION_CODES: dict[Activation, int] = {
    **ACTIVATION_CODES,
    activations.softmax: len(ACTIVATION_CODES),
}
#: The losses the stack step computes, by their codes in ``_native/stack_step.cpp``.
STACK_LOSS_CODES = {
    "mean_squared_error": 0,
    "binary_crossentropy": 1,
    "categorical_crossentropy": 2,
    "mean_absolute_error": 3,
}


_threads_set = 0


def _follow_torch_threads() -> None:
    """Let the stack step use as many threads as torch does: from two, a big enough batch is
    split in halves computed at once (their gradients summed before the update). The kernel is
    told only when the count changes."""
    global _threads_set
    threads = torch.get_num_threads()
    if threads != _threads_set:
        _lstm.set_threads(threads)
        _threads_set = threads


class StackLSTM(NamedTuple):
    """One LSTM layer of an :class:`LSTMStackStep`: ``units``, its activation pair,
    ``go_backwards``, and whether a dropout follows it (its mask is given at every step)."""

    units: int
    activation: Activation = activations.tanh
    recurrent_activation: Activation = activations.sigmoid
    go_backwards: bool = False
    dropout: bool = False


class StackDense(NamedTuple):
    """One Dense layer of an :class:`LSTMStackStep`: ``outputs``, its activation (one of
    :data:`STACK_DENSE_ACTIVATION_CODES`), and whether a dropout follows it."""

    outputs: int
    activation: Activation = activations.linear
    dropout: bool = False


class LSTMStackStep:
    """A whole training step of ``LSTM -> ... -> LSTM -> Dense -> ... -> Dense`` (each layer
    optionally followed by a dropout) with a loss and Keras's Adam, in one native call
    (``lstmkit_stack_train_step`` in ``_native/stack_step.cpp``).

    Every LSTM but the last returns its sequence; the last returns its last output. With ``D``
    the input's features, ``U_l`` the units of LSTM ``l`` and ``O_k`` the outputs of Dense ``k``,
    the weights, in the model's order, are::

        per LSTM:  kernel (D_{l-1} or D, 4 U_l), recurrent_kernel (U_l, 4 U_l), bias (4 U_l,)
        per Dense: kernel (U_last or O_{k-1}, O_k), bias (O_k,)

    all contiguous float32 on the CPU, updated in place; ``m`` and ``v``, Adam's moments, are
    shaped like them and also updated in place (their memory is fixed until :meth:`use_moments`;
    the weights' is read at every step). Dropout masks — ``(batch, timesteps, U_l)`` after an
    LSTM returning sequences, ``(batch, U_l)`` after the last, ``(batch, O_k)`` after a Dense,
    holding 0 or ``1 / keep`` — are drawn by the caller and given to :meth:`train_step`.

    ``groups=G > 1``: the stack is ``G`` networks of the same shape side by side, as one network
    whose layers are ``G`` times as wide (``lstmkit.forecast.ensemble``'s layout): network ``g``
    owns units ``g·u … (g+1)·u - 1`` of every gate of each LSTM and outputs ``g·o … (g+1)·o - 1``
    of each Dense, and every kernel but the first LSTM's input kernel is block-diagonal. The
    kernel then computes and updates only the diagonal blocks (G times less work than the wide
    network's products); the weights between networks, and their moments, are never read or
    written, so they must be zero for the output to be the wide network's. Every layer's units
    and outputs must be multiples of ``G``, and the loss elementwise (not
    ``categorical_crossentropy``, no softmax).
    """

    def __init__(
        self,
        input_dim: int,
        lstms: list[StackLSTM],
        denses: list[StackDense],
        *,
        loss: str,
        m: list[torch.Tensor],
        v: list[torch.Tensor],
        groups: int = 1,
    ) -> None:
        if _lstm is None:
            raise RuntimeError("the native LSTM kernel is not built")
        if not lstms or not denses:
            raise ValueError(
                f"lstms and denses must each hold at least one layer; got {len(lstms)} LSTM and "
                f"{len(denses)} Dense layers"
            )
        if isinstance(input_dim, bool) or not isinstance(input_dim, int) or input_dim < 1:
            raise ValueError(f"input_dim must be a positive integer; got {input_dim!r}")
        if loss not in STACK_LOSS_CODES:
            raise ValueError(f"loss must be one of {sorted(STACK_LOSS_CODES)}; got {loss!r}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"groups must be a positive integer; got {groups!r}")
        if groups > 1:
            sizes = [("lstms", i, layer.units) for i, layer in enumerate(lstms)]
            sizes += [("denses", i, layer.outputs) for i, layer in enumerate(denses)]
            for kind, index, size in sizes:
                if size % groups:
                    raise ValueError(
                        f"groups={groups}: every layer's units and outputs must be a multiple "
                        f"of groups; got {kind}[{index}] with {size}"
                    )
            if loss == "categorical_crossentropy" or any(
                layer.activation is activations.softmax for layer in denses
            ):
                raise ValueError(
                    f"groups={groups} needs an elementwise loss and no softmax; got loss={loss!r}"
                )
        self.groups = groups
        header = [len(lstms), len(denses), STACK_LOSS_CODES[loss], input_dim, groups]
        layers: list[int] = []
        self.shapes: list[tuple[int, ...]] = []
        features = input_dim
        for index, layer in enumerate(lstms):
            for fn in (layer.activation, layer.recurrent_activation):
                if fn not in ACTIVATION_CODES:
                    raise ValueError(f"lstms[{index}]: the kernel cannot compute {fn!r}")
            if layer.units < 1:
                raise ValueError(f"lstms[{index}].units must be positive; got {layer.units}")
            layers += [
                layer.units,
                ACTIVATION_CODES[layer.activation],
                ACTIVATION_CODES[layer.recurrent_activation],
                int(bool(layer.go_backwards)),
                int(bool(layer.dropout)),
            ]
            u = layer.units
            self.shapes += [(features, 4 * u), (u, 4 * u), (4 * u,)]
            features = u
        for index, layer in enumerate(denses):
            if layer.activation not in STACK_DENSE_ACTIVATION_CODES:
                raise ValueError(
                    f"denses[{index}]: the kernel cannot compute the activation "
                    f"{layer.activation!r}"
                )
            if layer.outputs < 1:
                raise ValueError(f"denses[{index}].outputs must be positive; got {layer.outputs}")
            layers += [
                layer.outputs,
                STACK_DENSE_ACTIVATION_CODES[layer.activation],
                int(bool(layer.dropout)),
            ]
            self.shapes += [(features, layer.outputs), (layer.outputs,)]
            features = layer.outputs
        self.lstms, self.denses = list(lstms), list(denses)
        self._no_states = [0] * (4 * len(lstms))
        self.input_dim, self.outputs = input_dim, features
        self._layout = header + layers
        self.use_moments(m, v)

    def use_moments(self, m: list[torch.Tensor], v: list[torch.Tensor]) -> None:
        """Update these moment tensors from now on (an optimizer's rebuilt slots); their
        addresses go into the spec the kernel reads."""
        self._m, self._v = self.checked("m", m), self.checked("v", v)
        addresses = [t.data_ptr() for t in (*self._m, *self._v)]
        # int64, fixed memory: the kernel reads the layout and the moments' addresses from it.
        self._spec = torch.tensor(self._layout + addresses, dtype=torch.int64)
        assert self._spec.numel() == _lstm.stack_spec_ints(len(self.lstms), len(self.denses))
        self._spec_pointer = self._spec.data_ptr()

    def checked(self, what: str, tensors: list[torch.Tensor]) -> list[torch.Tensor]:
        """``tensors`` if they are one per weight, shaped as :attr:`shapes`, contiguous float32
        on the CPU; else ``ValueError`` naming ``what`` and the tensor."""
        if len(tensors) != len(self.shapes):
            raise ValueError(f"{what} must be {len(self.shapes)} tensors; got {len(tensors)}")
        for index, (tensor, shape) in enumerate(zip(tensors, self.shapes, strict=True)):
            _check_in_place(f"{what}[{index}]", tensor, shape)
        return list(tensors)

    def mask_shapes(self, batch: int, timesteps: int) -> list[tuple[int, ...]]:
        """The shape of each dropout mask :meth:`train_step` takes, in layer order."""
        shapes: list[tuple[int, ...]] = []
        for index, layer in enumerate(self.lstms):
            if layer.dropout:
                last = index == len(self.lstms) - 1
                shapes.append((batch, layer.units) if last else (batch, timesteps, layer.units))
        shapes += [(batch, layer.outputs) for layer in self.denses if layer.dropout]
        return shapes

    def train_step(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        weights: list[torch.Tensor],
        masks: list[torch.Tensor],
        *,
        prediction: torch.Tensor | None = None,
        states: list[torch.Tensor | None] | None = None,
        iteration: int,
        learning_rate: float,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
    ) -> float:
        """One Adam step on the batch ``x (batch, timesteps, input_dim)``, ``y (batch,
        outputs)``, both contiguous float32; returns the batch's mean loss. Shapes are the
        caller's job (checked once by :meth:`checked` and :meth:`mask_shapes`), as pointers are
        all the kernel sees.

        Args:
            weights: the weights, as :attr:`shapes`; read at every step.
            masks: the dropout masks, as :meth:`mask_shapes`, contiguous float32.
            prediction: ``(batch, outputs)``, receives the model's output (for metrics).
            states: four per LSTM layer, ``h0, c0, hT, cT``, each ``(batch, units)`` or ``None``
                (zeros to start from; the final state not kept). Default: all ``None``.
            iteration: Adam's step number, from 1.
        """
        batch, timesteps, _ = x.shape
        state_pointers = self._no_states if states is None else [_ptr(t) for t in states]
        _follow_torch_threads()
        return _lstm.stack_train_step(
            self._spec_pointer,
            x.data_ptr(),
            y.data_ptr(),
            _ptr(prediction),
            batch,
            timesteps,
            iteration,
            float(learning_rate),
            float(beta_1),
            float(beta_2),
            float(epsilon),
            *state_pointers,
            *[t.data_ptr() for t in weights],
            *[t.data_ptr() for t in masks],
        )
