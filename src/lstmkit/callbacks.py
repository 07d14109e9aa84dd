"""Callbacks: ``from lstmkit.callbacks import Callback, History``."""

from lstmkit.training.callbacks import Callback, History, ProgbarLogger

__all__ = ["Callback", "History", "ProgbarLogger"]
