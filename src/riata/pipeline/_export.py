"""The model a run saves: a network that reads clinical columns and SNP genotypes."""

from __future__ import annotations

import copy

import numpy as np

from ..data import kernel_encoder_weights
from ..estimators import explicit_encoder_estimator

__all__ = ["deployable_model"]


def _stats(inputs, columns) -> dict:
    g = inputs.genotypes
    return {"snp_names": g.snp_names[columns], "mean": inputs.genotype_mean[columns],
            "scale": inputs.genotype_scale[columns],
            "allele_1": None if g.allele_1 is None else g.allele_1[columns],
            "allele_2": None if g.allele_2 is None else g.allele_2[columns],
            "chromosome": g.chromosome[columns]}


def deployable_model(fitted, inputs):
    """The fitted network in a form new samples can be fed: ``(estimator, snp_stats)``.

    Its inputs are ``[encoded clinical columns | standardized SNPs]``:

    - a kernel network is converted to one weight per SNP (one more pass over the
      int8 genotypes; predictions equal the kernel form's);
    - a SNP network keeps only the SNPs it selected (the zero columns of its last
      working set are dropped; predictions are unchanged), possibly none;
    - a network without genotypes is returned as it is.

    ``snp_stats`` holds the SNPs' names, training mean and scale, alleles and
    chromosomes (None without genotypes), as :func:`riata.io.save_model` takes them.
    """
    est = fitted.estimator
    if fitted.kernel:
        dual = est.encoder_.dual_coef_
        weights = kernel_encoder_weights(dual, inputs.genotypes, inputs.split.train,
                                         mean=inputs.genotype_mean,
                                         scale=inputs.genotype_scale)
        names = inputs.snp_names if hasattr(est, "feature_names_in_") else None
        explicit = explicit_encoder_estimator(est, weights, snp_names=names)
        return explicit, _stats(inputs, np.arange(inputs.n_snps))
    if fitted.spec.kind in ("snp_network", "lasso") and inputs.n_snps:
        n_plain = len(fitted.input_names) - len(fitted.snp_columns)
        keep = fitted.selected_snps
        pruned = copy.deepcopy(est).select_inputs(np.r_[np.arange(n_plain),
                                                        n_plain + keep])
        return pruned, _stats(inputs, fitted.snp_columns[keep])
    return est, None
