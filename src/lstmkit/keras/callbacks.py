"""``keras.callbacks``: lstmkit's callbacks. ``ModelCheckpoint`` writes Keras files for
``.keras``/``.h5``/``.hdf5`` names."""

from lstmkit.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from lstmkit.keras._support import module_getattr

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]

__getattr__ = module_getattr("keras.callbacks")
