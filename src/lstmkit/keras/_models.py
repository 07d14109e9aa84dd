"""Keras's model classes as scripts call them: lstmkit's ``Sequential`` and ``Model`` with the
Keras 1/2 names and arguments those scripts use (``nb_epoch``, ``fit_generator``,
``train_on_batch``, ``metrics_names``, ...). Arguments that only choose how Keras runs
(``workers``, ``use_multiprocessing``, ``max_queue_size``, ``run_eagerly``...) are accepted and
change nothing; anything that would change the result and that lstmkit lacks is refused."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lstmkit.keras._support import not_supported, warn_renamed
from lstmkit.layers import Input
from lstmkit.models import Model as _Model
from lstmkit.models import Sequential as _Sequential

__all__ = ["Model", "Sequential"]

_HOW_TO_RUN = (
    "max_queue_size",
    "workers",
    "use_multiprocessing",
    "pickle_safe",
    "nb_worker",
    "run_eagerly",
    "jit_compile",
    "steps_per_execution",
    "auto_scale_loss",
    "validation_batch_size",
    "sample_weight_mode",
)


def _drop_how(owner: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    rest = {}
    for key, value in kwargs.items():
        if key in _HOW_TO_RUN:
            continue
        if key == "show_accuracy":  # Keras 0.x: accuracy comes from compile(metrics=...)
            warn_renamed(owner, key, None, "use compile(metrics=['accuracy'])")
            continue
        rest[key] = value
    for key in rest:
        raise not_supported(f"Model.{owner.split('.')[-1]}({key}=...)")
    return rest


class KerasModelMixin:
    """What Keras 1/2/3 scripts call on a model beyond lstmkit's own five steps."""

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        **kwargs: Any,
    ) -> None:
        _drop_how("Model.compile", kwargs)
        if loss_weights is not None:
            values = list(loss_weights.values()) if isinstance(loss_weights, dict) else loss_weights
            if any(float(v) != 1.0 for v in values):
                raise not_supported("Model.compile(loss_weights=...)", "the losses are summed")
        if isinstance(loss, dict | list) and not callable(loss):
            names = set(loss.values()) if isinstance(loss, dict) else set(loss)
            if len(names) != 1:
                raise not_supported(
                    "Model.compile(loss=<one per output>)", "one loss serves every output"
                )
            loss = names.pop()
        if isinstance(metrics, dict):
            metrics = sorted({m for ms in metrics.values() for m in np.atleast_1d(ms)})
        if weighted_metrics:
            metrics = [*(metrics or []), *weighted_metrics]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics)  # type: ignore[misc]

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: Any = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_freq: int = 1,
        nb_epoch: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """Keras's ``fit``; ``nb_epoch`` is Keras 1's ``epochs``."""
        if nb_epoch is not None:
            warn_renamed("Model.fit", "nb_epoch", "epochs")
            epochs = nb_epoch
        samples = kwargs.pop("samples_per_epoch", None)
        if samples is not None:
            warn_renamed("Model.fit_generator", "samples_per_epoch", "steps_per_epoch")
            steps_per_epoch = max(1, math.ceil(samples / _first_batch_size(x)))
        nb_val = kwargs.pop("nb_val_samples", None)
        if nb_val is not None:
            warn_renamed("Model.fit_generator", "nb_val_samples", "validation_steps")
            validation_steps = max(1, math.ceil(nb_val / _first_batch_size(validation_data)))
        _drop_how("Model.fit", kwargs)
        if validation_freq != 1:
            raise not_supported("Model.fit(validation_freq=...)")
        if isinstance(validation_data, tuple) and len(validation_data) == 3:
            raise not_supported("Model.fit(validation_data=(x, y, sample_weight))")
        return super().fit(  # type: ignore[misc]
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

    def fit_generator(self, generator: Any, steps_per_epoch: Any = None, *args: Any, **kwargs: Any):
        """Keras 2's ``fit_generator``: ``fit`` on a generator or a ``Sequence``."""
        names = ("epochs", "verbose", "callbacks", "validation_data", "validation_steps")
        kwargs.update(zip(names, args, strict=False))
        return self.fit(generator, steps_per_epoch=steps_per_epoch, **kwargs)

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
        **kwargs: Any,
    ) -> Any:
        _drop_how("Model.evaluate", kwargs)
        return super().evaluate(  # type: ignore[misc]
            x,
            y,
            batch_size=batch_size,
            verbose=verbose,
            return_dict=return_dict,
            sample_weight=sample_weight,
            steps=steps,
        )

    def evaluate_generator(self, generator: Any, steps: Any = None, **kwargs: Any) -> Any:
        """Keras 2's ``evaluate_generator``."""
        kwargs.setdefault("verbose", 0)
        return self.evaluate(generator, steps=steps, **kwargs)

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = 0,
        steps: int | None = None,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> Any:
        _drop_how("Model.predict", kwargs)
        return super().predict(x, batch_size=batch_size, verbose=verbose, steps=steps)  # type: ignore[misc]

    def predict_generator(self, generator: Any, steps: Any = None, **kwargs: Any) -> Any:
        """Keras 2's ``predict_generator``."""
        return self.predict(generator, steps=steps, **kwargs)

    def predict_on_batch(self, x: Any) -> Any:
        return self.predict(x, batch_size=_length(x))

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: Any = None,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ) -> Any:
        """One update on the batch ``(x, y)``; the loss (and metrics) of that batch as
        ``fit`` computed them."""
        history = self.fit(
            x,
            y,
            batch_size=_length(x),
            epochs=1,
            verbose=0,
            shuffle=False,
            sample_weight=sample_weight,
            class_weight=class_weight,
        )
        logs = {key: values[-1] for key, values in history.history.items()}
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        return self.evaluate(
            x,
            y,
            batch_size=_length(x),
            verbose=0,
            sample_weight=sample_weight,
            return_dict=return_dict,
        )

    @property
    def metrics_names(self) -> list[str]:
        """``["loss", *metric names]`` as the logs name them (Keras 2)."""
        trainer = getattr(self, "_trainer", None)
        if trainer is None:
            return []
        if trainer.metrics is not None:
            return ["loss", *(metric.name for metric in trainer.metrics)]
        return [
            "loss",
            *(
                m if isinstance(m, str) else getattr(m, "__name__", str(m))
                for m in trainer._metric_ids
            ),
        ]

    def to_json(self, **kwargs: Any) -> str:
        """Keras's ``to_json``: the architecture as Keras 3's JSON (``model_from_json`` in
        Keras or here reads it back; weights travel with ``save_weights``)."""
        from lstmkit.saving.keras_export import keras_model_json

        return keras_model_json(self)

    def to_yaml(self, **kwargs: Any) -> str:
        raise not_supported("Model.to_yaml")


def _length(x: Any) -> int:
    first = x[0] if isinstance(x, list | tuple) else x
    return len(first)


def _first_batch_size(data: Any) -> int:
    """The number of samples in the first batch a Keras 1 generator gives (its batch size)."""
    if data is None:
        return 1
    if (
        hasattr(data, "__getitem__")
        and hasattr(data, "__len__")
        and not isinstance(data, tuple | list | np.ndarray)
    ):
        return _length(data[0][0])
    raise not_supported(
        "fit_generator(samples_per_epoch=...) on a Python generator",
        "give steps_per_epoch (batches per epoch) instead",
    )


class Sequential(KerasModelMixin, _Sequential):
    """``keras.models.Sequential``: lstmkit's :class:`~lstmkit.models.Sequential`."""

    @property
    def plain_stack(self) -> bool:
        """The Keras spellings adapt arguments, not the forward pass, so training takes the
        native whole step wherever a plain ``Sequential`` would."""
        return True

    def _graph(self) -> tuple[Any, Any]:
        """The symbolic input and output of the stack (Keras's ``model.inputs``/``outputs``):
        the layers called once on an ``Input`` of the model's input shape, made on first use.
        A functional ``Model`` built from them shares the layers, and so the weights, as in
        Keras (``Model(inputs=model.inputs, outputs=model.layers[0].output)`` keeps an
        encoder)."""
        graph = getattr(self, "_symbolic_graph", None)
        if graph is None:
            if self.input_shape is None or not self.layers:
                raise AttributeError(
                    f"model {self.name!r} has no input shape yet, so it has no symbolic "
                    "inputs or outputs; declare input_shape= or call it on data first"
                )
            tensor = inputs = Input(batch_shape=tuple(self.input_shape))
            for layer in self.layers:
                tensor = layer(tensor)
            graph = self._symbolic_graph = (inputs, tensor)
        return graph

    @property
    def inputs(self) -> list[Any]:
        return [self._graph()[0]]

    @property
    def outputs(self) -> list[Any]:
        return [self._graph()[1]]

    @property
    def input(self) -> Any:
        return self._graph()[0]

    @property
    def output(self) -> Any:
        return self._graph()[1]


class Model(KerasModelMixin, _Model):
    """``keras.models.Model``: lstmkit's functional :class:`~lstmkit.models.Model`."""

    def __init__(
        self, inputs: Any = None, outputs: Any = None, name: str | None = None, **kwargs: Any
    ) -> None:
        if "input" in kwargs or "output" in kwargs:  # Keras 1: Model(input=..., output=...)
            warn_renamed("Model", "input", "inputs")
            inputs = kwargs.pop("input", inputs)
            outputs = kwargs.pop("output", outputs)
        if kwargs:
            raise not_supported(f"Model({next(iter(kwargs))}=...)")
        if inputs is None or outputs is None:
            raise not_supported("subclassing keras.Model", "build a Model(inputs, outputs)")
        super().__init__(inputs, outputs, name=name)

    @property
    def input(self) -> Any:
        tensors = self.inputs
        return tensors if self._several_inputs else tensors[0]

    @property
    def output(self) -> Any:
        tensors = self.outputs
        return tensors if self._several_outputs else tensors[0]
