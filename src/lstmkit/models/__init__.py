"""Models: ``from lstmkit.models import Sequential``."""

from lstmkit.models.sequential import Sequential

__all__ = ["Sequential"]
