"""Where user data enters: validate once, convert to float32 tensors once.

Every error names the argument, what was expected and what came.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lstmkit import losses as losses_module
from lstmkit.layers.base import Shape, format_shape

__all__ = ["Aligned", "check_positive_int", "to_inputs", "to_targets"]


class Aligned(tuple):
    """Several tensors with the same samples (the inputs or targets of a model with several),
    sliced together: ``aligned[rows]`` slices each, ``aligned.shape`` is the first one's, and
    iterating gives the tensors. Lets the training loop batch them as it batches one tensor."""

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int):
            return tuple.__getitem__(self, index)
        return Aligned(tensor[index] for tensor in tuple.__iter__(self))

    @property
    def shape(self) -> torch.Size:
        return tuple.__getitem__(self, 0).shape


def check_positive_int(argument: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{argument} must be a positive integer; got {argument}={value!r}")
    return int(value)


def _as_float_array(data: Any, argument: str) -> np.ndarray:
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    elif hasattr(data, "to_numpy"):  # pandas DataFrame or Series
        data = data.to_numpy()
    try:
        with np.errstate(over="ignore"):  # an overflow is reported below, by value
            array = np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError) as error:
        kind = getattr(np.asarray(data, dtype=object), "dtype", type(data))
        raise ValueError(
            f"{argument} must be numeric (convertible to float32); "
            f"got data of dtype {kind}: {error}"
        ) from None
    if not array.flags.writeable:
        # pandas 3 hands out read-only views; torch.from_numpy would warn on every call.
        array = array.copy()
    if array.ndim == 0:
        raise ValueError(f"{argument} must be an array of samples; got a scalar {array.item()!r}")
    if array.shape[0] == 0:
        raise ValueError(f"{argument} is empty; got shape {array.shape}")
    if not np.isfinite(array).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        try:
            original = float(np.asarray(data)[bad])
        except (TypeError, ValueError, IndexError):
            original = float("nan")
        if np.isfinite(original):
            raise ValueError(
                f"{argument} holds {original:g} at index {bad}, beyond the float32 range "
                f"(±{np.finfo(np.float32).max:.3g}) lstmkit computes in; rescale the data first"
            )
        raise ValueError(
            f"{argument} contains NaN or inf (first at index {bad}); "
            "clean or impute the data before passing it"
        )
    return array


def to_inputs(
    x: Any, input_shape: Shape | None, first_layer: str, argument: str = "x"
) -> torch.Tensor:
    """Check ``x`` against the model's ``input_shape`` (batch included) and return a tensor.

    ``first_layer`` is the class name of the model's first layer, for the messages.
    """
    array = _as_float_array(x, argument)
    if input_shape is not None:
        if array.ndim != len(input_shape):
            layout = {3: " [samples, timesteps, features]", 2: " [samples, features]"}
            raise ValueError(
                f"{first_layer} expects {len(input_shape)}-D input"
                f"{layout.get(len(input_shape), '')}; got shape {array.shape}"
            )
        for axis, (want, got) in enumerate(zip(input_shape[1:], array.shape[1:], strict=True), 1):
            if want is not None and want != got:
                raise ValueError(
                    f"{argument} does not fit the model's input shape "
                    f"{format_shape(input_shape)}: axis {axis} should be {want}; "
                    f"got shape {array.shape}"
                )
    return torch.from_numpy(array)


def to_targets(
    y: Any,
    n_samples: int,
    output_shape: Shape,
    argument: str = "y",
    loss_name: str | None = None,
) -> torch.Tensor:
    """Check ``y`` against the sample count and the model's ``output_shape``; return a tensor.

    A ``y`` of shape ``(n,)`` for a model whose output is ``(n, 1)`` becomes ``(n, 1)``, as Keras 2
    did, so losses and metrics compare sample with sample (Keras 3 broadcasts it to ``(n, n)``).
    For a built-in loss other than the sparse one (``loss_name``), ``y`` must then have the
    output's shape; a user-written loss decides for itself.
    """
    array = _as_float_array(y, argument)
    if array.shape[0] != n_samples:
        raise ValueError(
            f"x and {argument} must have the same number of samples; "
            f"got {n_samples} in x and {array.shape[0]} in {argument}"
        )
    if array.ndim == len(output_shape) - 1 and output_shape[-1] == 1:
        array = array[..., None]
    if loss_name is not None and "sparse" not in loss_name and not _fits(array.shape, output_shape):
        hint = ""
        if output_shape[-1] not in (None, 1) and array.shape[1:] in ((), (1,)):
            hint = (
                f"; for integer class labels, one-hot encode {argument} or use "
                "loss='sparse_categorical_crossentropy'"
            )
        raise ValueError(
            f"{argument} has shape {array.shape} but the model's output has shape "
            f"{format_shape(output_shape)}{hint}"
        )
    if loss_name is not None:
        _check_labels(array, output_shape, argument, loss_name)
    return torch.from_numpy(array)


def _where(array: np.ndarray, mask: np.ndarray) -> tuple[str, float]:
    """'row i' (or the index, for arrays of more than 2 axes) of the first True, and the value."""
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    where = f"row {index[0]}" if array.ndim <= 2 else f"index {index}"
    value = float(array[index])
    return where, value


def _label(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _check_labels(array: np.ndarray, output_shape: Shape, argument: str, loss_name: str) -> None:
    """Refuse class labels a cross-entropy loss cannot take, with the label, the row and the
    number of classes (once per fit/evaluate call; the batches are not checked again)."""
    function = losses_module.function(loss_name)
    classes = output_shape[-1]
    if function is losses_module.sparse_categorical_crossentropy:
        fractional = array != np.floor(array)
        if fractional.any():
            where, value = _where(array, fractional)
            raise ValueError(
                f"{argument} holds {value!r} at {where}; sparse_categorical_crossentropy needs "
                "integer class labels"
            )
        if classes is not None:
            outside = (array < 0) | (array >= classes)
            if outside.any():
                where, value = _where(array, outside)
                raise ValueError(
                    f"{argument} holds the label {_label(value)} at {where}, but the model's "
                    f"output has {classes} classes (labels 0 to {classes - 1}) for "
                    "sparse_categorical_crossentropy"
                )
    elif function in (
        losses_module.binary_crossentropy,
        losses_module.categorical_crossentropy,
    ):
        outside = (array < 0) | (array > 1)
        if outside.any():
            where, value = _where(array, outside)
            if function is losses_module.binary_crossentropy:
                expected = "labels 0 or 1 (or probabilities between them)"
            else:
                expected = (
                    f"one-hot rows over the {classes} classes (values 0 or 1); for integer "
                    "labels use loss='sparse_categorical_crossentropy'"
                )
            raise ValueError(
                f"{argument} holds the label {_label(value)} at {where}, but "
                f"{function.__name__} needs {expected}"
            )


def _fits(shape: tuple[int, ...], output_shape: Shape) -> bool:
    return len(shape) == len(output_shape) and all(
        want is None or want == got for want, got in zip(output_shape[1:], shape[1:], strict=True)
    )
