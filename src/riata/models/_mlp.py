"""Plain feed-forward networks; penalties attach from outside by parameter name."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["MLP", "SkipLinear", "ACTIVATIONS", "INPUT_LAYER_WEIGHT", "ENCODER_WEIGHT"]

#: Name of the first-layer weight: the one regularized by default and drawn in heat
#: maps. A ``(n_first_rows, n_first_inputs)`` tensor in torch's layout: column j holds
#: every weight leaving input variable j (its skip weights included).
INPUT_LAYER_WEIGHT = "input_layer.weight"
#: Name of the genotype encoder's weight, ``(n_encoder_rows, n_encoded)``: one column
#: per SNP (or per reference sample of a kernel encoder).
ENCODER_WEIGHT = "encoder.weight"

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "elu": nn.ELU,
    "identity": nn.Identity,
}


class SkipLinear(nn.Module):
    """A first layer whose last ``n_skip`` rows go straight to the network's output.

    ``weight`` has shape ``(n_hidden + n_skip, n_inputs)``: rows ``0 .. n_hidden-1``
    feed the first hidden layer, the last ``n_skip`` rows are a linear model of the
    inputs added to the output (LassoNet's residual layer, Lemhadri et al. 2021). One
    column of ``weight`` thus holds every weight of one input, so a group penalty on
    its columns penalizes an input's linear and nonlinear weights together. Only the
    hidden rows have a bias (the output layer has the intercept).

    Parameters
    ----------
    n_inputs, n_hidden, n_skip : int
    """

    def __init__(self, n_inputs: int, n_hidden: int, n_skip: int):
        super().__init__()
        self.n_hidden, self.n_skip = n_hidden, n_skip
        self.weight = nn.Parameter(torch.empty(n_hidden + n_skip, n_inputs))
        self.bias = nn.Parameter(torch.empty(n_hidden))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # nn.Linear's initialization for the hidden rows; the skip rows start at zero
        # (a linear model's usual start, and the value a path gives them at alpha_max).
        hidden = self.weight[: self.n_hidden]
        nn.init.kaiming_uniform_(hidden, a=math.sqrt(5))
        with torch.no_grad():
            self.weight[self.n_hidden:].zero_()
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0.0
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x @ self.weight.T
        return torch.cat([out[:, : self.n_hidden] + self.bias, out[:, self.n_hidden:]], 1)


class MLP(nn.Module):
    """Feed-forward network ``input_layer -> [activation, dropout, linear]* -> output``.

    With ``hidden_layer_sizes=()`` it is a linear model: ``input_layer`` maps the inputs
    straight to the outputs, on the same code path (this is the bridge to the reference
    linear solvers in tests and benchmarks).

    Parameters
    ----------
    n_features : int
        Number of plain input columns (the first columns of ``x``).
    n_outputs : int
        1 for regression or binary classification (a logit), ``n_classes`` otherwise.
    hidden_layer_sizes : sequence of int, default=(20,)
    activation : {"relu", "tanh", "logistic", "elu", "identity"}, default="relu"
    dropout : float in [0, 1), default=0.0
        Dropout after each hidden activation (never on the inputs: it would blur
        which input variables the first layer uses).
    encoder : nn.Module or None, default=None
        A module applied to the columns of ``x`` after the first ``n_features`` (e.g.
        a linear genotype encoder, built by :class:`riata.estimators.GenotypeEncoder`),
        with an ``out_features`` attribute. Its first ``out_features - n_skip`` outputs
        become first-layer inputs ``genetic_0 ...``, placed *before* the plain columns
        (the heat maps' row order); with ``skip_connection`` its last ``n_outputs``
        outputs are added to the network's output (the encoded inputs' own skip path).
    skip_connection : bool, default=False
        Give every first-layer input a linear path to the output as well
        (:class:`SkipLinear`). Needs a hidden layer.

    Attributes
    ----------
    input_layer : nn.Linear or SkipLinear
        First layer; its weight has shape ``(n_first_rows, n_first_inputs)``, with
        ``n_first_rows = hidden_layer_sizes[0] (+ n_outputs with a skip path)``.
    body : nn.Module
        Everything after the first linear map (``nn.Identity`` for a linear model).
    encoder : nn.Module or None
    n_skip : int
        Skip rows of the first layer (and of the encoder): ``n_outputs`` or 0.

    Examples
    --------
    >>> import torch
    >>> from riata.models import MLP
    >>> net = MLP(n_features=5, n_outputs=1, hidden_layer_sizes=(8, 4))
    >>> net(torch.zeros(2, 5)).shape
    torch.Size([2, 1])
    >>> net.input_layer.weight.shape
    torch.Size([8, 5])
    >>> MLP(5, 1, (8,), skip_connection=True).input_layer.weight.shape
    torch.Size([9, 5])
    """

    def __init__(
        self,
        n_features: int,
        n_outputs: int,
        hidden_layer_sizes: Sequence[int] = (20,),
        activation: str = "relu",
        dropout: float = 0.0,
        *,
        encoder: nn.Module | None = None,
        skip_connection: bool = False,
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
        if skip_connection and not sizes:
            raise ValueError("skip_connection needs a hidden layer: a network with "
                             "hidden_layer_sizes=() is already linear.")
        self.n_features = int(n_features)
        self.n_skip = n_outputs if skip_connection else 0
        self.encoder = encoder
        n_units = 0 if encoder is None else int(encoder.out_features) - self.n_skip
        if encoder is not None and n_units < 1:
            raise ValueError(f"The encoder has {encoder.out_features} outputs; it needs "
                             f"at least one unit besides its {self.n_skip} skip rows.")
        self.n_encoder_units = n_units
        n_first_inputs = self.n_features + n_units
        widths = sizes + [n_outputs]
        self.input_layer = (SkipLinear(n_first_inputs, widths[0], self.n_skip)
                            if skip_connection else nn.Linear(n_first_inputs, widths[0]))
        layers: list[nn.Module] = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers.append(nn.Linear(n_in, n_out))
        self.body = nn.Sequential(*layers) if layers else nn.Identity()

    def forward(self, x: torch.Tensor, **encoder_kwargs) -> torch.Tensor:
        """Outputs for ``x``; ``encoder_kwargs`` go to the encoder (e.g. a kernel
        encoder's ``columns`` while training)."""
        skip = None
        if self.encoder is not None:
            encoded = self.encoder(x[:, self.n_features:], **encoder_kwargs)
            units = encoded[:, : self.n_encoder_units]
            skip = encoded[:, self.n_encoder_units:] if self.n_skip else None
            x = torch.cat([units, x[:, : self.n_features]], dim=1)
        first = self.input_layer(x)
        if not self.n_skip:
            return self.body(first)
        hidden = first.shape[1] - self.n_skip
        out = self.body(first[:, :hidden]) + first[:, hidden:]
        return out if skip is None else out + skip

    def output_offset(self) -> torch.Tensor:
        """The network's output when every first-layer weight is zero: a constant.

        ``(n_outputs,)``; with a zero first layer the inputs do not reach the output,
        which is then the body applied to the first hidden biases (the bias alone for
        a linear model).
        """
        with torch.no_grad():
            bias = self.input_layer.bias.detach()
            if isinstance(self.body, nn.Identity):
                return bias.clone()
            was_training = self.training
            self.eval()
            out = self.body(bias[None, :])[0]
            self.train(was_training)
            return out

    def hidden_weights(self) -> list[tuple[str, nn.Parameter]]:
        """``(name, weight)`` of each weight matrix after the first layer, in order
        (empty without hidden layers)."""
        return [(name, p) for name, p in self.named_parameters()
                if name.startswith("body.") and name.endswith(".weight")]

    def output_bias(self) -> torch.Tensor:
        """The last layer's bias: the intercept(s) of the network's output."""
        last = self.input_layer if isinstance(self.body, nn.Identity) else self.body[-1]
        return last.bias
