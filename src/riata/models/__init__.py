"""Plain ``nn.Module`` models; they know nothing of penalties."""

from ._int8_encoder import Int8GenotypeEncoder
from ._kernel_encoder import KernelEncoder
from ._mlp import ACTIVATIONS, ENCODER_WEIGHT, INPUT_LAYER_WEIGHT, MLP, SkipLinear

__all__ = ["MLP", "SkipLinear", "KernelEncoder", "Int8GenotypeEncoder", "ACTIVATIONS",
           "INPUT_LAYER_WEIGHT", "ENCODER_WEIGHT"]
