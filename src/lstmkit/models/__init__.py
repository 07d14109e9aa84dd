"""Models: ``from lstmkit.models import Sequential, Model``."""

from lstmkit.models.functional import Model
from lstmkit.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
