"""The layer protocol: configuration plus weights, and nothing about training.

A layer declares its weights in :meth:`Layer.build` through :meth:`Layer.add_weight` once the
input shape is known, computes in :meth:`Layer.call` on torch tensors, and describes itself with
:meth:`Layer.get_config` (JSON-safe, ``from_config(cfg)`` is ``cls(**cfg)``). Calling a layer on a
NumPy array runs it eagerly and returns a NumPy array.

Shapes are tuples whose first entry is the batch size, ``None`` when it is not fixed.
"""

from __future__ import annotations

import math
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import torch

from lstmkit import devices, initializers
from lstmkit.layers.shapes import Shape, format_shape
from lstmkit.layers.symbolic import is_symbolic, symbolic_call
from lstmkit.utils import unique_name

__all__ = ["Layer", "Shape", "deferred_weights", "format_shape"]


class _Deferred(threading.local):
    active = False


_deferred = _Deferred()


@contextmanager
def deferred_weights() -> Iterator[None]:
    """Within this block, layers built get placeholder weights (right shapes, no memory, no
    initializer run); loading assigns the real values afterwards."""
    previous = _deferred.active
    _deferred.active = True
    try:
        yield
    finally:
        _deferred.active = previous


def snake_case(name: str) -> str:
    """Keras's conversion: ``LSTM`` → ``lstm``, ``InputLayer`` → ``input_layer``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Layer(ABC):
    """Base class of every layer.

    Keyword arguments every layer accepts (Keras spellings, Keras 2 ones included):
    ``name``, ``trainable``, ``input_shape`` (without the batch dimension), ``batch_input_shape``
    (with it), ``batch_size``, ``input_dim`` (shorthand for ``input_shape=(input_dim,)``) and
    ``dtype`` (only ``"float32"``).
    """

    #: Number of dimensions the layer takes, batch included; ``None`` accepts any rank ≥ 2.
    input_ndim: ClassVar[int | None] = None
    #: Whether the layer keeps state between calls (stateful recurrent layers).
    stateful: bool = False
    #: Whether a timestep mask passes through the layer unchanged (Dense, Dropout, ...); a
    #: layer that neither supports nor consumes masks ends the mask.
    supports_masking: ClassVar[bool] = False
    #: Whether :meth:`call` takes ``mask=`` (recurrent layers skip masked timesteps).
    consumes_mask: ClassVar[bool] = False
    #: Whether the layer makes a mask from its input (``Masking``, ``Embedding(mask_zero)``);
    #: models without one skip mask bookkeeping altogether.
    creates_mask: bool = False

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        input_shape: tuple[int | None, ...] | None = None,
        batch_input_shape: tuple[int | None, ...] | None = None,
        batch_size: int | None = None,
        input_dim: int | None = None,
        dtype: str | None = None,
    ) -> None:
        if dtype not in (None, "float32"):
            raise ValueError(f"lstmkit layers compute in float32; got dtype={dtype!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.trainable = trainable
        self.built = False
        self._params: dict[str, torch.nn.Parameter] = {}
        self._input_shape_arg = input_shape
        self._batch_input_shape_arg = batch_input_shape
        self._batch_size_arg = batch_size
        self._input_dim_arg = input_dim
        self.batch_input_shape: Shape | None = self._declared_batch_input_shape()
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None

    def _declared_batch_input_shape(self) -> Shape | None:
        if self._batch_input_shape_arg is not None:
            shape = tuple(self._batch_input_shape_arg)
            if self._batch_size_arg is not None and shape[0] != self._batch_size_arg:
                raise ValueError(
                    f"{self.name}: batch_size={self._batch_size_arg} disagrees with "
                    f"batch_input_shape={shape}"
                )
            return shape
        if self._input_shape_arg is not None:
            return (self._batch_size_arg, *tuple(self._input_shape_arg))
        if self._input_dim_arg is not None:
            return (self._batch_size_arg, self._input_dim_arg)
        return None

    # -- weights --------------------------------------------------------------------------------

    def add_weight(
        self,
        name: str,
        shape: tuple[int, ...],
        initializer: Any = "zeros",
        trainable: bool = True,
    ) -> torch.nn.Parameter:
        """Create, initialise and register a weight; it becomes the attribute ``self.<name>``.

        Within :func:`deferred_weights` the weight is a placeholder of the right shape that
        holds no memory (a zero-stride view of one number) until its values are assigned to
        ``param.data``, so loading a file can check every shape before allocating anything.
        """
        if _deferred.active:
            if any(not isinstance(d, int) or d < 0 for d in shape):
                raise ValueError(f"{self.name}: weight {name!r} has an invalid shape {shape}")
            if math.prod(shape) > 2**48:
                raise ValueError(f"{self.name}: weight {name!r} of shape {shape} is too large")
            # On the current device, where loading assigns the values (one number each).
            placeholder = torch.zeros((), dtype=torch.float32, device=self.device).expand(
                tuple(shape)
            )
            param = torch.nn.Parameter(placeholder, trainable)
            self._params[name] = param
            setattr(self, name, param)
            return param
        values = initializers.get(initializer)(tuple(shape), dtype=torch.float32)
        if tuple(values.shape) != tuple(shape):
            raise ValueError(
                f"{self.name}: the initializer for {name!r} returned shape "
                f"{tuple(values.shape)}; expected {tuple(shape)}"
            )
        # Initialised on the host (so a seed gives the same weights on every device), then moved
        # once to the layer's device.
        values = values.detach().to(device=self.device, dtype=torch.float32).contiguous()
        param = torch.nn.Parameter(values, trainable)
        self._params[name] = param
        setattr(self, name, param)
        return param

    @property
    def device(self) -> torch.device:
        """Where the layer computes: the device of its weights, which are created on the
        current device (:func:`lstmkit.devices.get_device`) when the layer is built; the current
        device for a layer without weights."""
        for param in self._params.values():
            return param.device
        return devices.get_device()

    @property
    def weights(self) -> list[torch.nn.Parameter]:
        """Every weight, in Keras's order (e.g. kernel, recurrent_kernel, bias)."""
        return list(self._params.values())

    @property
    def trainable_weights(self) -> list[torch.nn.Parameter]:
        return self.weights if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[torch.nn.Parameter]:
        return [] if self.trainable else self.weights

    def get_weights(self) -> list[np.ndarray]:
        """The weights as NumPy arrays (copies), in the order of :attr:`weights`."""
        return [p.detach().cpu().numpy().copy() for p in self._params.values()]

    def set_weights(self, weights: list[Any]) -> None:
        """Replace the weights; shapes must equal those of :meth:`get_weights`."""
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(
                f"{self.name} expects {len(params)} weight arrays "
                f"({', '.join(self._params)}); got {len(weights)}"
            )
        for (key, param), value in zip(self._params.items(), weights, strict=True):
            array = np.asarray(value, dtype=np.float32)
            if array.shape != tuple(param.shape):
                raise ValueError(
                    f"{self.name}: weight {key!r} has shape {tuple(param.shape)}; "
                    f"got an array of shape {array.shape}"
                )
        with torch.no_grad():
            for param, value in zip(params, weights, strict=True):
                param.copy_(torch.as_tensor(np.asarray(value, dtype=np.float32)))

    def count_params(self) -> int:
        return sum(p.numel() for p in self._params.values())

    # -- shapes and building --------------------------------------------------------------------

    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of ``input_shape``. Layers without weights keep this."""

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def check_input_shape(self, input_shape: Shape) -> None:
        """Raise a clear error when ``input_shape`` cannot feed this layer."""
        if self.input_ndim is not None and len(input_shape) != self.input_ndim:
            raise ValueError(
                f"{type(self).__name__} expects {self.input_ndim}-D input; "
                f"got shape {format_shape(input_shape)}"
            )

    def build_for(self, input_shape: Shape) -> Shape:
        """Check, build once, record the shapes, and return the output shape."""
        input_shape = tuple(input_shape)
        self.check_input_shape(input_shape)
        if not self.built:
            self.build(input_shape)
            self.built = True
        else:
            self.check_built_for(input_shape)
        self.input_shape = input_shape
        self.output_shape = self.compute_output_shape(input_shape)
        return self.output_shape

    def check_built_for(self, input_shape: Shape) -> None:
        """The weights fix the last (feature) dimension; other dimensions may vary."""
        built = self.input_shape
        if built is not None and built[-1] is not None and input_shape[-1] != built[-1]:
            raise ValueError(
                f"{self.name} was built for {built[-1]} input features (input shape "
                f"{format_shape(built)}); got shape {format_shape(input_shape)}"
            )

    # -- computing ------------------------------------------------------------------------------

    @abstractmethod
    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        """Compute the layer on a batch tensor; ``training`` switches dropout on."""

    def __call__(self, inputs: Any, training: bool = False, **kwargs: Any) -> Any:
        """Run the layer eagerly: NumPy in, NumPy out; a torch tensor in gives a tensor out.
        On a symbolic tensor (from ``Input``) it records the call in a graph for ``Model``."""
        if is_symbolic(inputs) or is_symbolic(kwargs.get("initial_state")):
            return symbolic_call(self, inputs, **kwargs)
        as_numpy = not isinstance(inputs, torch.Tensor)
        x = torch.as_tensor(np.asarray(inputs, dtype=np.float32)) if as_numpy else inputs
        shape = tuple(x.shape)
        self.check_input_shape(shape)
        if self.built:
            self.check_built_for(shape)
        else:
            declared = self.batch_input_shape
            batch = declared[0] if declared else None
            if batch is None and self.stateful:
                # Keras 3: a stateful layer called eagerly keeps states for its first batch.
                batch = shape[0]
            self.build_for((batch, *shape[1:]))
        if as_numpy:
            x = x.to(self.device)  # NumPy comes from the host; a tensor stays where it is
        with torch.set_grad_enabled(not as_numpy and torch.is_grad_enabled()):
            out = self.call(x, training=training, **kwargs)
        if not as_numpy:
            return out
        if isinstance(out, list | tuple):
            return [o.detach().cpu().numpy() for o in out]
        return out.detach().cpu().numpy()

    @property
    def output(self) -> Any:
        """The symbolic output(s) of the layer's first call on symbolic tensors (Keras's
        ``layer.output``)."""
        node = getattr(self, "_first_node", None)
        if node is None:
            raise AttributeError(
                f"layer {self.name!r} has not been called on a symbolic tensor, so it has no "
                "output yet"
            )
        return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)

    @property
    def input(self) -> Any:
        """The symbolic input(s) of the layer's first call on symbolic tensors."""
        node = getattr(self, "_first_node", None)
        if node is None:
            raise AttributeError(
                f"layer {self.name!r} has not been called on a symbolic tensor, so it has no "
                "input yet"
            )
        return node.inputs

    def compute_output_shapes(self, input_shape: Shape) -> list[Shape]:
        """Every output's shape: one for most layers; recurrent layers with
        ``return_state=True`` add their states'."""
        return [self.compute_output_shape(input_shape)]

    def compute_mask(self, inputs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        """The timestep mask of the output, ``(batch, timesteps)`` booleans or ``None``, from the
        input and its mask: passed through by layers that support masking, else ended."""
        return mask if self.supports_masking else None

    def call_masked(
        self, inputs: torch.Tensor, mask: torch.Tensor | None, training: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """:meth:`call` with the input's mask (to layers that consume one); returns the output
        and its mask. This is how models move masks from layer to layer."""
        if mask is not None and self.consumes_mask:
            out = self.call(inputs, training=training, mask=mask)
        else:
            out = self.call(inputs, training=training)
        return out, self.compute_mask(inputs, mask)

    def reset_states(self) -> None:
        """Forget kept state; only stateful layers have any."""

    # -- configuration --------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments; ``type(self).from_config(cfg)`` rebuilds the layer."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"
