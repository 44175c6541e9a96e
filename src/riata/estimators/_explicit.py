"""From a kernel encoder back to one weight per SNP: an ordinary fitted estimator."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

__all__ = ["explicit_encoder_estimator"]


def explicit_encoder_estimator(estimator, encoder_weights, *, snp_names=None):
    """The same fitted network with its kernel encoder replaced by per-SNP weights.

    A network fitted with ``GenotypeEncoder(kernel="precomputed")`` reads kernel rows;
    the same function of the genotypes is computed by an encoder over the standardized
    SNPs whose weights :func:`riata.data.kernel_encoder_weights` returns. This builds
    that network: an estimator whose encoder is ``GenotypeEncoder(n_features=n_snps)``
    and whose inputs are ``[plain columns | standardized SNPs]``, so that it can be
    saved, loaded and applied to new samples without the training genotypes. Every
    other fitted attribute (classes, history, best epoch, certificates) is kept.

    Parameters
    ----------
    estimator : SparseMLPClassifier or SparseMLPRegressor
        Fitted with a kernel-form encoder.
    encoder_weights : ndarray of shape (n_snps, n_encoder_rows)
        ``kernel_encoder_weights(estimator.encoder_.dual_coef_, genotypes,
        reference_rows)``: every row of the encoder (its units, and its skip rows with
        ``skip_connection``).
    snp_names : array-like of str, shape (n_snps,), optional
        Names of the SNP columns. When the estimator was fitted on a DataFrame, its
        plain column names are kept and these (default ``snp_0, snp_1, ...``) follow;
        without names, inputs are ``x0, x1, ...`` as usual.

    Returns
    -------
    estimator
        A new fitted estimator; ``estimator`` is left unchanged.

    Raises
    ------
    ValueError
        If the estimator has no kernel-form encoder or the weights' shape is wrong.
    """
    check_is_fitted(estimator, "model_")
    encoder = estimator.encoder
    if encoder is None or encoder.kernel is None:
        raise ValueError("explicit_encoder_estimator needs an estimator fitted with "
                         "GenotypeEncoder(kernel='precomputed').")
    rows = estimator.model_.encoder.out_features
    weights = np.asarray(encoder_weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != rows:
        raise ValueError(f"encoder_weights must have shape (n_snps, {rows}); got "
                         f"{weights.shape}.")
    n_reference = estimator.encoder_.n_columns_
    n_plain = estimator.n_features_in_ - n_reference
    n_snps = weights.shape[0]
    new = copy.deepcopy(estimator)
    new.set_params(encoder=copy.deepcopy(encoder).set_params(kernel=None,
                                                             n_features=n_snps))
    if hasattr(new, "feature_names_in_"):
        names = (np.asarray(snp_names, dtype=object) if snp_names is not None
                 else np.asarray([f"snp_{j}" for j in range(n_snps)], dtype=object))
        if names.shape != (n_snps,):
            raise ValueError(f"snp_names must hold one name per SNP ({n_snps}); got "
                             f"shape {names.shape}.")
        new.feature_names_in_ = np.concatenate(
            [np.asarray(new.feature_names_in_[:n_plain], dtype=object), names])
    new.n_features_in_ = n_plain + n_snps
    dtype = next(estimator.model_.parameters()).dtype
    with torch.random.fork_rng(devices=[]):
        model = new._build_model(new.n_features_in_, n_snps, dtype)
    model.input_layer = copy.deepcopy(estimator.model_.input_layer)
    model.body = copy.deepcopy(estimator.model_.body)
    with torch.no_grad():
        model.encoder.weight.copy_(torch.as_tensor(weights.T, dtype=dtype))
    model.eval()
    new.model_ = model
    new._set_weight_attributes(n_snps)
    return new
