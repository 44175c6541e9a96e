"""Plain feed-forward networks; penalties attach from outside by parameter name."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._kernel_encoder import KernelEncoder

__all__ = ["MLP", "ACTIVATIONS", "INPUT_LAYER_WEIGHT", "ENCODER_WEIGHT"]

#: Name of the first-layer weight: the one regularized by default and drawn in heat
#: maps. A ``(n_first, n_features)`` tensor in torch's layout: column j holds every
#: weight leaving input variable j.
INPUT_LAYER_WEIGHT = "input_layer.weight"
#: Name of the genotype encoder's weight, ``(encoder_dim, n_encoded)``: one column per SNP.
ENCODER_WEIGHT = "encoder.weight"

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
    n_encoded : int, default=0
        The last ``n_encoded`` input columns (e.g. SNP genotypes) pass through a learned
        linear ``encoder`` to ``encoder_dim`` units first; the first layer then sees
        ``[encoder outputs, remaining columns]``, in that order (rows ``genetic_0 ...``
        before the clinical rows in the heat maps).
    encoder_dim : int, default=20
    encoder_kernel : bool, default=False
        The encoded columns are rows of a precomputed kernel ``X X_ref^T`` (one column
        per reference sample) and the encoder is a :class:`KernelEncoder` (dual
        coefficients, row-span gradient) instead of an ``nn.Linear`` over the raw
        columns.

    Attributes
    ----------
    input_layer : nn.Linear
        First layer; its weight has shape ``(n_first, n_features)``.
    body : nn.Module
        Everything after the first linear map (``nn.Identity`` for a linear model).
    encoder : nn.Linear or None
        ``n_encoded -> encoder_dim``, without bias (the first layer has one); its
        weight has one column per encoded input (a SNP, or a reference sample of a
        :class:`KernelEncoder`).

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
        n_encoded: int = 0,
        encoder_dim: int = 20,
        encoder_kernel: bool = False,
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
        if not 0 <= n_encoded <= n_features or encoder_dim < 1:
            raise ValueError(
                f"n_encoded must be in [0, n_features={n_features}] and encoder_dim >= 1; "
                f"got n_encoded={n_encoded}, encoder_dim={encoder_dim}."
            )
        self.n_encoded = n_encoded
        encoder = KernelEncoder if encoder_kernel else _linear_encoder
        self.encoder = encoder(n_encoded, encoder_dim) if n_encoded else None
        n_first_inputs = n_features - n_encoded + (encoder_dim if n_encoded else 0)
        widths = sizes + [n_outputs]
        self.input_layer = nn.Linear(n_first_inputs, widths[0])
        layers: list[nn.Module] = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers.append(nn.Linear(n_in, n_out))
        self.body = nn.Sequential(*layers) if layers else nn.Identity()

    def forward(self, x: torch.Tensor,
                kernel_columns: torch.Tensor | None = None) -> torch.Tensor:
        """Outputs for ``x``; ``kernel_columns`` (kernel encoders, training only) are
        the kernel columns of the batch's own samples, for the row-span gradient."""
        if self.encoder is not None:
            split = x.shape[1] - self.n_encoded
            if kernel_columns is not None:
                encoded = self.encoder(x[:, split:], kernel_columns)
            else:
                encoded = self.encoder(x[:, split:])
            x = torch.cat([encoded, x[:, :split]], dim=1)
        return self.body(self.input_layer(x))


def _linear_encoder(n_encoded: int, encoder_dim: int) -> nn.Linear:
    return nn.Linear(n_encoded, encoder_dim, bias=False)
