"""The :class:`Embedding` layer: integer tokens to dense vectors."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from lstmkit import initializers
from lstmkit.layers.base import Layer, Shape, format_shape
from lstmkit.layers.core import check_positive_int
from lstmkit.layers.registry import register_layer

__all__ = ["Embedding"]


@register_layer
class Embedding(Layer):
    """Looks up row ``i`` of ``embeddings`` for every token ``i`` in ``[0, input_dim)``.

    Shapes: inputs ``(batch, sequence_length)`` of integers (given as any numeric dtype; models
    feed float32, which holds integers below 2**24 exactly) → outputs
    ``(batch, sequence_length, output_dim)``; ``embeddings (input_dim, output_dim)``.
    Parameters: ``input_dim * output_dim``. ``input_length`` is Keras 2's spelling of
    ``input_shape=(input_length,)``.

    ``mask_zero=True`` makes token 0 padding: the mask ``(batch, sequence_length)`` (True for
    tokens other than 0) goes to the next layers, as :class:`~lstmkit.layers.Masking`'s does, so
    ``input_dim`` must count the padding token (vocabulary size + 1).
    """

    input_ndim = 2

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        mask_zero: bool = False,
        input_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = check_positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = check_positive_int("Embedding", "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)

    def check_input_shape(self, input_shape: Shape) -> None:
        if len(input_shape) != 2:
            raise ValueError(
                "Embedding expects 2-D input [samples, sequence_length] of token indices; got "
                f"shape {format_shape(input_shape)}"
            )

    @property
    def creates_mask(self) -> bool:
        """Whether the layer makes a timestep mask (``mask_zero=True``)."""
        return self.mask_zero

    def compute_mask(self, inputs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        return inputs != 0 if self.mask_zero else None

    def check_built_for(self, input_shape: Shape) -> None:
        # The weights depend on the vocabulary, not on the input's shape.
        return

    def build(self, input_shape: Shape) -> None:
        self.add_weight(
            "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer
        )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape, self.output_dim)

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        indices = inputs.long()
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= self.input_dim or not torch.equal(indices.to(inputs.dtype), inputs):
            bad = inputs[(indices < 0) | (indices >= self.input_dim) | (indices != inputs)]
            raise ValueError(
                f"{self.name} expects integer tokens in [0, {self.input_dim}) (input_dim); got "
                f"{bad.flatten()[0].item()!r}"
            )
        return F.embedding(indices, self.embeddings)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "mask_zero": self.mask_zero,
        }
