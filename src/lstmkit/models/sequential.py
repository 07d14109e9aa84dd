"""The Sequential model: a stack of layers, each feeding the next."""

from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np
import torch

from lstmkit import devices, losses, optimizers
from lstmkit import metrics as metrics_module
from lstmkit._registry import register_class
from lstmkit.layers.base import Layer, Shape, deferred_weights, format_shape
from lstmkit.layers.core import InputLayer, KerasTensor
from lstmkit.layers.registry import deserialize
from lstmkit.saving import model_file
from lstmkit.training.callbacks import Callback, History
from lstmkit.training.loop import Trainer
from lstmkit.utils import unique_name

__all__ = ["Sequential"]


@register_class
class Sequential:
    """A linear stack of layers: ``Sequential([LSTM(10, input_shape=(1, 1)), Dense(1)])``.

    The input shape comes from the first layer's ``input_shape``/``batch_input_shape``, from an
    :func:`~lstmkit.layers.Input` or :class:`~lstmkit.layers.InputLayer` placed first, or, failing
    those, from the first data given to ``fit``/``predict``. Once it is known every layer is
    built, so :meth:`summary` and :meth:`get_weights` work before training.

    The five steps: define (``add``), :meth:`compile`, :meth:`fit`, :meth:`evaluate`,
    :meth:`predict`.
    """

    def __init__(self, layers: list[Any] | None = None, name: str | None = None) -> None:
        self.name = name or unique_name("sequential")
        self._layers: list[Layer] = []
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.stop_training = False
        self.history: History | None = None
        self._trainer: Trainer | None = None
        self._compile_config: dict[str, Any] | None = None
        self._creates_mask = False
        for layer in layers or []:
            self.add(layer)

    # -- defining -------------------------------------------------------------------------------

    @property
    def plain_stack(self) -> bool:
        """Whether this is exactly a ``Sequential`` (not a functional ``Model`` or a subclass,
        which may change the forward pass): only a plain stack may train through the native
        whole-step path (:func:`lstmkit.training.native_step.plan` reads this)."""
        return type(self) is Sequential

    def add(self, layer: Layer | KerasTensor) -> None:
        """Append a layer. An ``Input``/``InputLayer`` is only accepted first and sets the input
        shape."""
        if isinstance(layer, KerasTensor | InputLayer):
            if self._layers or self.input_shape is not None:
                raise ValueError("an Input can only be the first element of a Sequential model")
            shape = layer.shape if isinstance(layer, KerasTensor) else layer.batch_input_shape
            self.input_shape = self.output_shape = tuple(shape)
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a layer (e.g. LSTM, Dense); got {type(layer).__name__}"
            )
        if getattr(layer, "return_state", False):
            raise ValueError(
                f"{layer.name} has return_state=True, which gives three outputs; a Sequential "
                "layer must give one"
            )
        if any(existing is layer for existing in self._layers):
            raise ValueError(f"layer {layer.name!r} is already in this model")
        if not self._layers and self.input_shape is None and layer.batch_input_shape is not None:
            self.input_shape = self.output_shape = tuple(layer.batch_input_shape)
        self._layers.append(layer)
        if self.input_shape is not None:
            self.output_shape = layer.build_for(self.output_shape)
        self._trainer_needs_params()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise ValueError("there is no layer to pop: the model is empty")
        layer = self._layers.pop()
        self.output_shape = self._layers[-1].output_shape if self._layers else self.input_shape
        self._trainer_needs_params()
        return layer

    def _trainer_needs_params(self) -> None:
        # Known once per change of the stack, not looked up per batch.
        self._creates_mask = any(getattr(layer, "creates_mask", False) for layer in self._layers)
        # The optimizer's state is per parameter; a changed stack means it must be rebuilt,
        # which the trainer notices by comparing its parameter list.
        if self._trainer is not None:
            self._trainer.metrics = None

    def build(self, input_shape: Shape | None = None) -> None:
        """Build every layer for inputs of ``input_shape`` (batch dimension included)."""
        shape = tuple(input_shape) if input_shape is not None else self.input_shape
        if shape is None:
            raise ValueError(
                "the model's input shape is unknown: give the first layer input_shape=... "
                "or pass build(input_shape=(None, timesteps, features))"
            )
        if not self._layers:
            raise ValueError("the model has no layers; add some before building it")
        self.input_shape = shape
        for layer in self._layers:
            shape = layer.build_for(shape)
        self.output_shape = shape

    def ensure_built(self, input_shape: Shape) -> None:
        """Build from the shape of the first data seen (no input shape was declared). As in
        Keras, such a model then takes sequences of any length: the time axis is left free
        (``None``) when every layer can be built so (not, say, Flatten then Dense)."""
        if self.input_shape is None:
            relaxed = self._free_time_axis(tuple(input_shape))
            self.build(relaxed if relaxed is not None else input_shape)

    def _free_time_axis(self, shape: Shape) -> Shape | None:
        """``shape`` with its time axis ``None`` when it has one (3-D and more, or 2-D token
        ids into an Embedding) and the layers build for it; else ``None``. The trial builds
        copies with placeholder weights, so the layers themselves are untouched."""
        if not self._layers or len(shape) < 2 or shape[1] is None:
            return None
        if len(shape) == 2 and type(self._layers[0]).__name__ != "Embedding":
            return None
        relaxed = (shape[0], None, *shape[2:])
        trial: Any = relaxed
        try:
            with deferred_weights():
                for layer in copy.deepcopy(self._layers):
                    trial = layer.build_for(trial)
        except (ValueError, TypeError, RuntimeError):
            return None
        return relaxed

    @property
    def built(self) -> bool:
        return bool(self._layers) and all(layer.built for layer in self._layers)

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def fixed_batch_size(self) -> int | None:
        """The batch size a stateful model was built for; ``None`` for other models."""
        if self.input_shape is not None and any(layer.stateful for layer in self._layers):
            return self.input_shape[0]
        return None

    @property
    def first_layer_type(self) -> str:
        return type(self._layers[0]).__name__ if self._layers else "the model"

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Return a layer by ``name`` or by ``index``."""
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        names = ", ".join(layer.name for layer in layers)
        raise ValueError(f"no layer named {name!r}; layers: {names}")

    # -- weights --------------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        """Where the model computes: the device of its weights, which were created (or loaded)
        on the current device (:func:`lstmkit.set_device`) when the model was built; a later
        ``set_device`` does not move them. ``fit``, ``evaluate`` and ``predict`` move their data
        here once per call. The current device for a model without weights."""
        for weight in self.weights:
            return weight.device
        return devices.get_device()

    @property
    def weights(self) -> list[torch.nn.Parameter]:
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[torch.nn.Parameter]:
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[torch.nn.Parameter]:
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    def get_weights(self) -> list[np.ndarray]:
        """Every layer's weights, in order, as NumPy arrays (Keras's layout)."""
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights: list[Any]) -> None:
        """Set every layer's weights from a list shaped like :meth:`get_weights`."""
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(weights) != expected:
            raise ValueError(f"{self.name} expects {expected} weight arrays; got {len(weights)}")
        start = 0
        for layer in self._layers:
            count = len(layer.weights)
            layer.set_weights(list(weights[start : start + count]))
            start += count

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self._layers)

    def reset_states(self) -> None:
        """Zero the kept state of every stateful layer (Keras 2's ``model.reset_states()``)."""
        for layer in self._layers:
            layer.reset_states()

    # -- computing ------------------------------------------------------------------------------

    def forward(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        """The model on a batch tensor ``(batch, *input_shape[1:])``."""
        return self.forward_masked(inputs, training)[0]

    def forward_masked(
        self, inputs: torch.Tensor, training: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The model's output and its timestep mask ``(batch, timesteps)`` (``None`` unless a
        ``Masking`` layer or ``Embedding(mask_zero=True)`` made one that reaches the output)."""
        if not self._creates_mask:
            for layer in self._layers:
                inputs = layer.call(inputs, training=training)
            return inputs, None
        mask = None
        for layer in self._layers:
            inputs, mask = layer.call_masked(inputs, mask, training=training)
        return inputs, mask

    def __call__(self, inputs: Any, training: bool = False) -> Any:
        """Run eagerly: NumPy in, NumPy out; a torch tensor in gives a (differentiable) tensor."""
        if isinstance(inputs, torch.Tensor):
            self.ensure_built((None, *inputs.shape[1:]))
            return self.forward(inputs, training=training)
        array = np.asarray(inputs, dtype=np.float32)
        self.ensure_built((None, *array.shape[1:]))
        with torch.no_grad():
            inputs = torch.from_numpy(array).to(self.device)
            return self.forward(inputs, training=training).cpu().numpy()

    # -- the five steps -------------------------------------------------------------------------

    def compile(
        self,
        optimizer: str | optimizers.Optimizer | dict = "rmsprop",
        loss: str | losses.Loss | Any = None,
        metrics: list[Any] | None = None,
    ) -> None:
        """Choose the optimizer, the loss and the metrics, and build the training loop.

        Names and objects both work: ``compile(optimizer='adam', loss='mse',
        metrics=['accuracy'])`` or ``compile(optimizer=SGD(lr=0.1, momentum=0.3), loss=my_loss,
        metrics=[r2])``. ``'accuracy'``/``'acc'`` become binary, categorical or sparse accuracy
        from the loss and the shapes, as in Keras.
        """
        if metrics is None:
            metrics = []
        elif isinstance(metrics, str) or callable(metrics):
            metrics = [metrics]
        elif not isinstance(metrics, list | tuple):
            raise TypeError(f"metrics must be a list; got {type(metrics).__name__}")
        resolved_optimizer = optimizers.get(optimizer)
        resolved_loss = None if loss is None else losses.get(loss)
        # Resolve metric names now, so a typo fails at compile rather than at fit.
        for metric in metrics:
            if isinstance(metric, str) and metric.lower() not in ("accuracy", "acc"):
                metrics_module.get(metric, loss_name=None, y_true_shape=(1, 1), y_pred_shape=(1, 1))
        self._trainer = Trainer(self, resolved_optimizer, resolved_loss, list(metrics))
        self.optimizer = resolved_optimizer
        self.loss = resolved_loss

    def _compiled(self, call: str) -> Trainer:
        if self._trainer is None:
            raise RuntimeError(f"You must call compile() before {call}()")
        return self._trainer

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = "auto",
        callbacks: list[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
        initial_epoch: int = 0,
        sample_weight: Any = None,
        class_weight: dict[int, float] | None = None,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
    ) -> History:
        """Train for ``epochs`` passes over ``x`` (``(samples, *input_shape[1:])``) and ``y``
        (``(samples, *output_shape[1:])``; ``(samples,)`` for one output unit).

        ``batch_size`` defaults to 32, or to the fixed batch size of a stateful model.
        ``validation_split`` holds out the last fraction of samples before shuffling.
        ``verbose``: ``'auto'``/1 progress bar, 2 one line per epoch, 0 silent. Returns a
        :class:`History` whose ``history`` has ``loss``, the metrics, and ``val_`` versions.

        ``x`` may also be a Keras ``Sequence`` (``len()`` batches, ``x[i]`` batch ``i``) or a
        generator of batches, each ``(x, y)`` or ``(x, y, sample_weight)``; a generator gives
        ``steps_per_epoch`` batches an epoch. ``sample_weight`` ``(samples,)`` weighs each
        sample's loss and ``class_weight`` (class index -> weight) each class's, as Keras
        (metrics stay unweighted). ``epochs=0`` trains nothing.
        """
        return self._compiled("fit").fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            initial_epoch=initial_epoch,
            sample_weight=sample_weight,
            class_weight=class_weight,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
        )

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: int | str = "auto",
        return_dict: bool = False,
        sample_weight: Any = None,
        steps: int | None = None,
    ) -> float | list[float] | dict[str, float]:
        """The loss on ``(x, y)``, or ``[loss, *metrics]`` when metrics were compiled. ``x`` may
        be a Sequence or a generator of ``(x, y)`` batches (``steps`` of them)."""
        logs = self._compiled("evaluate").evaluate(
            x, y, batch_size=batch_size, verbose=verbose, sample_weight=sample_weight, steps=steps
        )
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: int | str = 0,
        steps: int | None = None,
    ) -> np.ndarray:
        """The model's output for ``x`` as a NumPy array ``(samples, *output_shape[1:])``.

        Needs no ``compile``. A stateful model carries its state through the batches, in order.
        ``x`` may be a Sequence or a generator of batches (``steps`` of them).
        """
        trainer = self._trainer or Trainer(self, None, None, [])
        return trainer.predict(x, batch_size=batch_size, steps=steps)

    def predict_classes(
        self, x: Any, batch_size: int | None = None, verbose: int | str = 0
    ) -> np.ndarray:
        """Class predictions, as Keras 2 gave them: ``argmax`` over the last axis for a multi-unit
        output, ``(p > 0.5)`` as int32 of shape ``(samples, 1)`` for a single sigmoid unit."""
        probabilities = self.predict(x, batch_size=batch_size)
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype("int32")

    def predict_proba(
        self, x: Any, batch_size: int | None = None, verbose: int | str = 0
    ) -> np.ndarray:
        """Keras 2's alias of :meth:`predict` for probability outputs."""
        return self.predict(x, batch_size=batch_size)

    # -- description ----------------------------------------------------------------------------

    def summary(self, line_length: int = 65, print_fn: Any = None) -> None:
        """Print each layer's name, type, output shape and parameter count, and the totals."""
        if self.input_shape is None:
            raise ValueError(
                f"{self.name} has not been built yet: give the first layer input_shape=... "
                "or call build() or fit() first"
            )
        emit = print_fn or print
        widths = (28, 26, line_length - 54)
        rule = "_" * line_length

        def row(*cells: str) -> str:
            return " " + "".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        emit(f'Model: "{self.name}"')
        emit(rule)
        emit(row("Layer (type)", "Output Shape", "Param #"))
        emit("=" * line_length)
        for i, layer in enumerate(self._layers):
            emit(
                row(
                    f"{layer.name} ({type(layer).__name__})",
                    format_shape(layer.output_shape),
                    str(layer.count_params()),
                )
            )
            emit(rule if i == len(self._layers) - 1 else "")
        trainable = sum(p.numel() for p in self.trainable_weights)
        total = self.count_params()
        emit(f"Total params: {total:,} ({_size(total)})")
        emit(f"Trainable params: {trainable:,} ({_size(trainable)})")
        emit(f"Non-trainable params: {total - trainable:,} ({_size(total - trainable)})")
        emit(rule)

    def get_config(self) -> dict[str, Any]:
        """The architecture as JSON-safe data: the name, the input shape and each layer's class
        name and config."""
        return {
            "name": self.name,
            "input_shape": None if self.input_shape is None else list(self.input_shape),
            "layers": [
                {"class_name": type(layer).__name__, "config": layer.get_config()}
                for layer in self._layers
            ],
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Sequential:
        """The model :meth:`get_config` describes, built (with fresh weights) when its input
        shape is known. Layer classes come from lstmkit's table or ``custom_objects``."""

        if not isinstance(config, dict) or not {"name", "layers"} <= set(config):
            raise ValueError("a Sequential config needs 'name' and 'layers'")
        if not isinstance(config["layers"], list):
            raise ValueError("a Sequential config's layers must be a list")
        model = cls(name=config["name"])
        for layer_config in config["layers"]:
            model.add(deserialize(layer_config, custom_objects))
        input_shape = config.get("input_shape")
        if input_shape is not None and not model.built:
            if not isinstance(input_shape, list) or not all(
                d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0)
                for d in input_shape
            ):
                raise ValueError(f"a Sequential config has an invalid input_shape {input_shape!r}")
            model.build(tuple(input_shape))
        return model

    # -- saving ---------------------------------------------------------------------------------

    def save(
        self,
        filepath: str | os.PathLike[str],
        overwrite: bool = True,
        include_optimizer: bool = True,
    ) -> None:
        """Write the model to one file, atomically: architecture (JSON), weights (safetensors),
        compile configuration, optimizer state and training stream. Read it back with
        :func:`lstmkit.models.load_model`. ``.h5``/``.keras`` names are refused with a
        message: use e.g. ``model.lstmkit``."""
        model_file.save_model(
            self, filepath, overwrite=overwrite, include_optimizer=include_optimizer
        )

    def save_weights(self, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Write only the weights to a safetensors file, atomically
        (``model.weights.safetensors``)."""
        model_file.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str | os.PathLike[str]) -> None:
        """Set the weights from a :meth:`save_weights` or :meth:`save` file (matched by layer
        position and weight name; all shapes must match)."""
        model_file.load_weights(self, filepath)

    @property
    def epochs_done(self) -> int:
        """Epochs finished by ``fit`` since compile (restored by ``load_model``): the
        ``initial_epoch`` that resumes a run."""
        return self._trainer.epochs_done if self._trainer is not None else 0

    @property
    def step_path(self) -> str | None:
        """The training step the last ``fit`` ran: ``"native"`` (the whole step in one call of
        the compiled kernel, see :mod:`lstmkit.training.native_step`), ``"autograd"``, or
        ``None`` before the first ``fit`` after ``compile``."""
        return self._trainer.step_path if self._trainer is not None else None

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r} layers={[layer.name for layer in self._layers]}>"


def _size(count: int) -> str:
    """Bytes of ``count`` float32 values, as Keras 3's summary prints them."""
    size, unit = 4.0 * count, "B"
    for larger in ("KB", "MB", "GB"):
        if size < 1024:
            break
        size, unit = size / 1024, larger
    return f"{size:.2f} {unit}"
