"""Batch normalization, as Keras's ``BatchNormalization`` (feature axis last).

Training: each feature is normalised by the mean and (biased) variance of the batch over every
axis but the last, then scaled by ``gamma`` and shifted by ``beta``; the moving statistics move
toward the batch's: ``moving = moving * momentum + batch * (1 - momentum)``. Inference uses the
moving statistics. Weights, in Keras's order: ``gamma (features,)``, ``beta (features,)``
(trainable), ``moving_mean (features,)``, ``moving_variance (features,)`` (not trainable).
Shapes unchanged.
"""

from __future__ import annotations

from typing import Any

import torch

from lstmkit import initializers
from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.registry import register_layer

__all__ = ["BatchNormalization"]


@register_layer
class BatchNormalization(Layer):
    """``gamma * (x - mean) / sqrt(variance + epsilon) + beta`` per feature (last axis)."""

    supports_masking = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 0.001,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError(f"BatchNormalization normalises the last axis (axis=-1); got {axis}")
        if not 0.0 <= momentum <= 1.0 or epsilon <= 0:
            raise ValueError(
                "BatchNormalization expects 0 <= momentum <= 1 and epsilon > 0; got "
                f"momentum={momentum!r}, epsilon={epsilon!r}"
            )
        self.axis = -1
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def check_input_shape(self, input_shape: Shape) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                "BatchNormalization needs a known last (feature) dimension; got shape "
                f"{format_shape(input_shape)}"
            )

    def build(self, input_shape: Shape) -> None:
        features = (input_shape[-1],)
        if self.scale:
            self.add_weight("gamma", features, self.gamma_initializer)
        if self.center:
            self.add_weight("beta", features, self.beta_initializer)
        self.add_weight("moving_mean", features, self.moving_mean_initializer, trainable=False)
        self.add_weight(
            "moving_variance", features, self.moving_variance_initializer, trainable=False
        )

    @property
    def trainable_weights(self) -> list[torch.nn.Parameter]:
        if not self.trainable:
            return []
        return [self._params[k] for k in ("gamma", "beta") if k in self._params]

    @property
    def non_trainable_weights(self) -> list[torch.nn.Parameter]:
        trainable = {id(p) for p in self.trainable_weights}
        return [p for p in self.weights if id(p) not in trainable]

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if training and self.trainable:
            dims = tuple(range(inputs.dim() - 1))
            mean = inputs.mean(dim=dims)
            variance = inputs.var(dim=dims, unbiased=False)
            with torch.no_grad():
                self.moving_mean.mul_(self.momentum).add_(mean.detach(), alpha=1 - self.momentum)
                self.moving_variance.mul_(self.momentum).add_(
                    variance.detach(), alpha=1 - self.momentum
                )
        else:
            mean, variance = self.moving_mean, self.moving_variance
        out = (inputs - mean) * torch.rsqrt(variance + self.epsilon)
        if self.scale:
            out = out * self.gamma
        if self.center:
            out = out + self.beta
        return out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": -1,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
        }
