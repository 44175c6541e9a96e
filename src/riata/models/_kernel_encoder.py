"""The genotype encoder in its kernel (row-span) form.

A linear encoder ``h(x) = E x`` trained by SGD-family updates with no penalty or a
ridge penalty never leaves ``E0 + span(training rows)``: every mini-batch gradient
``G^T X_batch`` is a combination of training rows. Writing ``E = A^T X_train`` (the
representer form, with ``E0`` itself chosen in the span) gives ``X E^T = K A`` with
``K = X X_train^T``, so the network needs the ``n x n_train`` kernel, not the
``n x p`` genotypes: one pass over the SNPs to build ``K``, none per epoch.

The *natural* gradient of ``A`` is what makes the two forms the same algorithm: the
dense update ``E -= lr G^T X_b`` is ``A[b] -= lr G`` in these coordinates (a scatter of
the batch's output gradient into the batch's rows of ``A``), not the Euclidean
gradient ``K_b^T G`` that autograd would give for ``H = K_b A``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["KernelEncoder"]


class _RowSpanProduct(torch.autograd.Function):
    """``k @ weight.T`` whose weight gradient is the row-span (natural) gradient."""

    @staticmethod
    def forward(ctx, k, weight, columns):
        ctx.save_for_backward(columns)
        ctx.weight_shape = weight.shape
        return k @ weight.T

    @staticmethod
    def backward(ctx, grad_out):
        (columns,) = ctx.saved_tensors
        grad_weight = grad_out.new_zeros(ctx.weight_shape)
        # Dense: dE = G^T X_b. In E = W X_kernel coordinates that is W[:, columns] += G^T:
        # each batch row's output gradient lands on its own kernel column.
        grad_weight.index_add_(1, columns, grad_out.T)
        return None, grad_weight, None


class KernelEncoder(nn.Linear):
    """Linear encoder over a precomputed kernel, with the row-span gradient.

    Its input is a row of ``K = X X_ref^T`` (one column per reference sample, the
    training samples); its weight ``W`` (``encoder_dim x n_ref``, torch's layout) holds
    the dual coefficients, i.e. the explicit encoder is ``E = W X_ref``. Given the
    kernel columns of the batch's own samples (``columns``), the backward pass returns
    the natural gradient (``G^T`` scattered to those columns), so that SGD on ``W`` is
    SGD on ``E``, step for step; without them it is a plain linear map (prediction,
    certificates).

    The dual coefficients start uniform on [-1, 1]: with a unit-diagonal kernel
    (:func:`riata.data.genotype_kernel`) the *reference* samples' outputs then have the
    variance (1/3) of an ``nn.Linear`` over unit-variance inputs; a new sample's outputs
    start much smaller (about ``n_reference / (3 p)`` in variance), since with more SNPs
    than samples new genotypes are nearly orthogonal to the reference ones. Both
    ProxSGD and ProxAdam keep a coefficient's start until its sample's first batch
    (ProxAdam's prox does not act on coordinates without a gradient yet).

    Parameters
    ----------
    n_reference : int
        Kernel columns (reference samples).
    out_features : int
        Encoder outputs (units, plus any skip rows).
    """

    def __init__(self, n_reference: int, out_features: int):
        super().__init__(n_reference, out_features, bias=False)

    def reset_parameters(self) -> None:
        # nn.Linear's U(-1/sqrt(fan_in), 1/sqrt(fan_in)) gives outputs of variance 1/3
        # over unit-variance inputs. A kernel row with a unit diagonal has squared norm
        # about 1 (not fan_in), so U(-1, 1) gives the reference samples' outputs that
        # same variance: the encoder starts on the scale of an explicit one, and the
        # first-layer rows it feeds get gradients of the same size at a path's start.
        nn.init.uniform_(self.weight, -1.0, 1.0)

    def forward(self, k: torch.Tensor, columns: torch.Tensor | None = None) -> torch.Tensor:
        if columns is None or not torch.is_grad_enabled():
            return k @ self.weight.T
        return _RowSpanProduct.apply(k, self.weight, columns)

    def squared_norm(self, gram: torch.Tensor) -> torch.Tensor:
        """``||E||_F^2 = tr(W K_ref W^T)``, with ``gram`` the reference-by-reference kernel."""
        return (self.weight @ gram * self.weight).sum()
