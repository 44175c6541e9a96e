"""Plain feed-forward networks; penalties attach from outside by parameter name."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["MLP", "ACTIVATIONS", "INPUT_LAYER_WEIGHT"]

#: Name of the first-layer weight: the one regularized by default and drawn in heat
#: maps. A ``(n_first, n_features)`` tensor in torch's layout: column j holds every
#: weight leaving input variable j.
INPUT_LAYER_WEIGHT = "input_layer.weight"

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "elu": nn.ELU,
    "identity": nn.Identity,
}


class MLP(nn.Module):
    """Feed-forward network ``input_layer -> [activation, dropout, linear]* -> output``.

    With ``hidden_layer_sizes=()`` it is a linear model: ``input_layer`` maps the inputs
    straight to the outputs, on the same code path (this is the bridge to the reference
    linear solvers in tests and benchmarks).

    Parameters
    ----------
    n_features : int
        Number of input variables.
    n_outputs : int
        1 for regression or binary classification (a logit), ``n_classes`` otherwise.
    hidden_layer_sizes : sequence of int, default=(20,)
    activation : {"relu", "tanh", "logistic", "elu", "identity"}, default="relu"
    dropout : float in [0, 1), default=0.0
        Dropout after each hidden activation (never on the inputs: it would blur
        which input variables the first layer uses).

    Attributes
    ----------
    input_layer : nn.Linear
        First layer; its weight has shape ``(n_first, n_features)``.
    body : nn.Module
        Everything after the first linear map (``nn.Identity`` for a linear model).

    Examples
    --------
    >>> import torch
    >>> from riata.models import MLP
    >>> net = MLP(n_features=5, n_outputs=1, hidden_layer_sizes=(8, 4))
    >>> net(torch.zeros(2, 5)).shape
    torch.Size([2, 1])
    >>> net.input_layer.weight.shape
    torch.Size([8, 5])
    """

    def __init__(
        self,
        n_features: int,
        n_outputs: int,
        hidden_layer_sizes: Sequence[int] = (20,),
        activation: str = "relu",
        dropout: float = 0.0,
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}."
            )
        sizes = [int(h) for h in hidden_layer_sizes]
        if any(h < 1 for h in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive; got {sizes}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
        widths = sizes + [n_outputs]
        self.input_layer = nn.Linear(n_features, widths[0])
        layers: list[nn.Module] = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers.append(nn.Linear(n_in, n_out))
        self.body = nn.Sequential(*layers) if layers else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.input_layer(x))
