"""Models: ``from lstmkit.models import Sequential, Model, load_model, load_keras_model``."""

from lstmkit.models.functional import Model
from lstmkit.models.sequential import Sequential
from lstmkit.saving import load_keras_model, load_model

__all__ = ["Model", "Sequential", "load_keras_model", "load_model"]
