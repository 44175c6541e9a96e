"""Plain ``nn.Module`` models; they know nothing of penalties."""

from ._mlp import ACTIVATIONS, ENCODER_WEIGHT, INPUT_LAYER_WEIGHT, MLP

__all__ = ["MLP", "ACTIVATIONS", "INPUT_LAYER_WEIGHT", "ENCODER_WEIGHT"]
