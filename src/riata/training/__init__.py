"""Training loops: mini-batch epochs with early stopping, and full-batch proximal gradient."""

from ._full_batch import train_full_batch
from ._loop import TrainResult, train_module
from ._warnings import convergence_warnings_recorded, replay_convergence_warnings

__all__ = ["train_module", "train_full_batch", "TrainResult",
           "convergence_warnings_recorded", "replay_convergence_warnings"]
