"""Training: the epoch loop with validation scoring and best-epoch restore."""

from ._loop import Callback, TrainResult, train_module

__all__ = ["Callback", "TrainResult", "train_module"]
