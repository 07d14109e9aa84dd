"""Keras's layer classes as scripts call them: lstmkit's layers, taking also the Keras 1 and
Keras 2 spellings of their arguments, each mapped with one warning (as Keras 2 itself did), and
Keras-only arguments that hold a value which changes nothing lstmkit computes.

Each class here is a subclass of the lstmkit layer of the same name that only translates
arguments: the layer it makes *is* that lstmkit layer (saved, loaded and trained as one).
"""

from __future__ import annotations

import inspect
from typing import Any

from lstmkit import layers as lk
from lstmkit.keras._support import not_supported, warn_renamed
from lstmkit.regularizers import get as regularizer_get

__all__ = ["KERAS_LAYERS", "cudnn_layer", "keras_layer_class", "spatial_dropout_1d"]

# Keras 1 argument -> Keras 2/3 argument, for every layer that has the target.
_RENAMED = {
    "output_dim": "units",
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "inner_activation": "recurrent_activation",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "bias": "use_bias",
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "border_mode": "padding",
    "subsample_length": "strides",
    "pool_length": "pool_size",
    "stride": "strides",
    "p": "rate",
}
# Arguments that choose how Keras computes, not what: dropped whatever their value.
_HOW = ("consume_less", "implementation", "unroll", "use_cudnn", "autocast", "jit_compile")
# Keras-only arguments and the values with which they change nothing.
_NEUTRAL: dict[str, tuple[Any, ...]] = {
    "activity_regularizer": (None,),
    "beta_constraint": (None,),
    "gamma_constraint": (None,),
    "synchronized": (False,),
    "kernel_constraint": (None,),
    "recurrent_constraint": (None,),
    "bias_constraint": (None,),
    "embeddings_constraint": (None,),
    "W_constraint": (None,),
    "U_constraint": (None,),
    "b_constraint": (None,),
    "weights": (None,),
    "time_major": (False,),
    "data_format": ("channels_last", None),
    "lora_rank": (None,),
    "sparse": (False,),
}


def _accepted(cls: type) -> set[str]:
    """The keyword arguments ``cls`` and its bases take by name."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                names.add(parameter.name)
    names.discard("self")
    return names


# Regularizer arguments (Keras 2/3, then Keras 1) -> the weight they penalise.
_REGULARIZED = {
    "kernel_regularizer": "kernel",
    "recurrent_regularizer": "recurrent_kernel",
    "bias_regularizer": "bias",
    "embeddings_regularizer": "embeddings",
    "beta_regularizer": "beta",
    "gamma_regularizer": "gamma",
    "W_regularizer": "kernel",
    "U_regularizer": "recurrent_kernel",
    "b_regularizer": "bias",
}


def translate(
    name: str, accepted: set[str], kwargs: dict[str, Any], regularizers: dict[str, Any]
) -> dict[str, Any]:
    """``kwargs`` of a Keras 1/2/3 call of layer ``name`` as the lstmkit layer takes them; the
    regularizers given go into ``regularizers`` (weight name -> regularizer)."""
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in accepted:
            out[key] = value
            continue
        if key in _REGULARIZED:
            if value is None:
                continue
            if key.startswith(("W_", "U_", "b_")):
                warn_renamed(
                    name,
                    key,
                    key.replace("W_", "kernel_").replace("U_", "recurrent_").replace("b_", "bias_"),
                )
            regularizers[_REGULARIZED[key]] = regularizer_get(value)
            continue
        if name == "Embedding" and key == "dropout":
            warn_renamed(
                name,
                "dropout",
                None,
                "Keras 2 removed it: put a Dropout layer after the Embedding",
            )
            continue
        if key == "forget_bias_init" and "unit_forget_bias" in accepted:
            warn_renamed(name, key, "unit_forget_bias")
            out["unit_forget_bias"] = value in ("one", "ones")
            continue
        target = _RENAMED.get(key)
        if target is not None and target in accepted:
            warn_renamed(name, key, target)
            if key == "border_mode" and value == "full":
                raise not_supported(f"{name}(border_mode='full')")
            out[target] = value
            continue
        if key in ("input_dim", "input_length") and "input_shape" not in kwargs:
            # Keras 1 spelt the input shape (input_length, input_dim) for any layer.
            warn_renamed(name, key, "input_shape")
            length = kwargs.get("input_length")
            dim = kwargs.get("input_dim")
            out["input_shape"] = (length, dim) if dim is not None else (length,)
            continue
        if key in _HOW:
            continue
        if key in _NEUTRAL:
            if any(value is neutral or value == neutral for neutral in _NEUTRAL[key]):
                continue
            raise not_supported(
                f"{name}({key}=...)",
                "lstmkit has no constraints, activity regularizers or preset weights; remove "
                "the argument",
            )
        raise not_supported(f"{name}({key}=...)")
    return out


def keras_layer_class(base: type) -> type:
    """The subclass of lstmkit layer ``base`` that translates Keras 1/2 arguments."""
    accepted = _accepted(base)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        regularizers: dict[str, Any] = {}
        base.__init__(self, *args, **translate(base.__name__, accepted, kwargs, regularizers))
        if regularizers:
            # Read by the training loop (penalties added to the loss) and by Keras export.
            self.weight_regularizers = regularizers

    cls = type(
        base.__name__,
        (base,),
        {"__init__": __init__, "__doc__": base.__doc__, "__module__": "lstmkit.keras.layers"},
    )
    cls.__qualname__ = base.__name__
    return cls


_BASES = (
    lk.Activation,
    lk.BatchNormalization,
    lk.Bidirectional,
    lk.Conv1D,
    lk.Dense,
    lk.Dropout,
    lk.Embedding,
    lk.Flatten,
    lk.GlobalAveragePooling1D,
    lk.GlobalMaxPooling1D,
    lk.GRU,
    lk.InputLayer,
    lk.LSTM,
    lk.LeakyReLU,
    lk.Masking,
    lk.MaxPooling1D,
    lk.RepeatVector,
    lk.Permute,
    lk.Reshape,
    lk.SimpleRNN,
    lk.TimeDistributed,
)

#: Keras's name -> the class the Keras namespace gives for it.
KERAS_LAYERS: dict[str, type] = {base.__name__: keras_layer_class(base) for base in _BASES}


def cudnn_layer(name: str, base: type, **fixed: Any) -> Any:
    """Keras 2's ``CuDNNLSTM``/``CuDNNGRU``: the same equations as ``LSTM``/``GRU`` with
    ``tanh``/``sigmoid`` (and ``reset_after=True`` for the GRU), computed here on the CPU."""

    def make(*args: Any, **kwargs: Any) -> Any:
        warn_renamed(name, name, base.__name__, "the same equations, without CuDNN")
        for key, value in fixed.items():
            if kwargs.get(key, value) != value:
                raise not_supported(f"{name}({key}={kwargs[key]!r})")
            kwargs[key] = value
        return KERAS_LAYERS[base.__name__](*args, **kwargs)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = cudnn_layer.__doc__
    return make


def spatial_dropout_1d(rate: float, **kwargs: Any) -> Any:
    """Keras's ``SpatialDropout1D(rate)``: ``Dropout(rate, noise_shape=(None, 1, None))``, one
    mask per sequence and feature, shared by every timestep."""
    return KERAS_LAYERS["Dropout"](rate, noise_shape=(None, 1, None), **kwargs)
