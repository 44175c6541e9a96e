"""What a run fits: each model is a small frozen spec, not a tuple."""

from __future__ import annotations

from dataclasses import dataclass

from ..penalties import PENALTY_NAMES

__all__ = ["ModelSpec", "KINDS", "INPUTS", "SPARSE_PENALTIES", "KIND_PARAMS", "PENALTY_PARAMS",
           "case_study_specs", "cohort_specs"]

#: What a spec can be:
#: ``"logistic"``: scikit-learn's unpenalized logistic (or least-squares) regression;
#: ``"lasso"``: a linear model with the spec's penalty over all its inputs (group lasso:
#: one group per clinical variable and per SNP), one alpha, solved on working sets of
#: SNPs; ``"network"``: a riata network on clinical columns and (with genotypes) a
#: kernel-form genotype encoder; ``"snp_network"``: a riata network whose first layer
#: reads clinical columns and SNPs, with a skip path, solved on working sets of SNPs
#: after a clinical path (see :func:`riata.pipeline.fit_model`).
KINDS = ("logistic", "lasso", "network", "snp_network")
#: Which inputs a spec reads.
INPUTS = ("clinical", "genetic", "combined")
#: Penalties that produce zeros, and so can select SNPs on working sets.
SPARSE_PENALTIES = ("l1", "elastic-net", "group-lasso", "sparse-group-lasso", "hierarchical")

#: Estimator settings a kind needs, over the estimator's own defaults. The SNP
#: network and the lasso are solved to stationary points (full batch, FISTA): their
#: zeros are checked against the KKT conditions of every SNP left out, which a
#: minibatch fit cannot pass (issue 9: every minibatch variant kept 157-3,616 SNPs).
KIND_PARAMS = {
    "logistic": {},
    "lasso": {"hidden_layer_sizes": (), "solver": "fista", "max_epochs": 5000,
              "tol": 1e-9, "n_iter_no_change": 5},
    "network": {},
    "snp_network": {"skip_connection": True, "solver": "fista", "max_epochs": 2000,
                    "tol": 1e-6, "n_iter_no_change": 5},
}

#: Estimator settings a penalty needs, over the kind's: LassoNet's hierarchy acts on a
#: first layer with a skip path, and its prox takes one step for the whole layer (no
#: Adam), so its networks train full batch with FISTA.
PENALTY_PARAMS = {
    "hierarchical": {"skip_connection": True, "solver": "fista"},
}


@dataclass(frozen=True)
class ModelSpec:
    """One model of a run.

    Attributes
    ----------
    key : str
        Its name in results.csv, metrics.json and file names.
    label : str
        A readable description.
    kind : {"logistic", "lasso", "network", "snp_network"}
        See :data:`KINDS`.
    inputs : {"clinical", "genetic", "combined"}, default="combined"
        Clinical columns, genotypes, or both (genotypes count only when the table has
        them).
    penalty : str, default="none"
        A name of :func:`riata.penalties.make_penalty`; networks walk its alpha path,
        "none" fits once.
    seed : int, default=0
        The network's ``random_state``.
    params : tuple of (str, object), default=()
        Estimator parameters of this spec, over :data:`KIND_PARAMS` and the run's
        network settings.
    path : tuple of (str, object), default=()
        Path settings of this spec (``rule``, ``n_alphas`` ...), over the run's.
    clinical_first : bool, default=True
        SNP networks: walk the clinical path first and the SNPs' path with the
        clinical alpha kept; False walks one alpha over clinical inputs and SNPs (as
        the lasso does).
    panel : bool, default=False
        Drawn in the heat-map panels of the run (the original study's figure).
    """

    key: str
    label: str
    kind: str
    inputs: str = "combined"
    penalty: str = "none"
    seed: int = 0
    params: tuple = ()
    path: tuple = ()
    clinical_first: bool = True
    panel: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"ModelSpec {self.key!r}: kind must be one of {list(KINDS)}; "
                             f"got {self.kind!r}.")
        if self.inputs not in INPUTS:
            raise ValueError(f"ModelSpec {self.key!r}: inputs must be one of "
                             f"{list(INPUTS)}; got {self.inputs!r}.")
        if self.penalty not in PENALTY_NAMES:
            raise ValueError(f"ModelSpec {self.key!r}: penalty must be one of "
                             f"{list(PENALTY_NAMES)}; got {self.penalty!r}.")
        if self.kind in ("lasso", "snp_network") and self.penalty not in SPARSE_PENALTIES:
            raise ValueError(f"ModelSpec {self.key!r}: a {self.kind} selects SNPs on "
                             f"working sets and needs a sparse penalty "
                             f"({list(SPARSE_PENALTIES)}); got {self.penalty!r}.")

    @property
    def is_network(self) -> bool:
        return self.kind in ("network", "snp_network")


def case_study_specs(seeds=(0, 1)) -> tuple:
    """The models of the case study: the original design, the baselines, the SNP network.

    The original study's networks (clinical only, genetic only, both unregularized,
    L1, L2, elastic net, group lasso with two seeds: the heat-map panels A-F) read the
    genotypes through a learned 20-unit encoder (kernel form); beside them the linear
    baselines on the same split and the SNP-selecting network.
    """
    a, b = seeds
    return (
        ModelSpec("logistic_clinical", "logistic regression, clinical", "logistic",
                  "clinical"),
        ModelSpec("lasso_all_inputs", "group-lasso logistic regression, clinical + SNPs",
                  "lasso", penalty="group-lasso"),
        ModelSpec("clinical", "clinical only", "network", "clinical", seed=a),
        ModelSpec("genetic", "genetic only", "network", "genetic", seed=a),
        ModelSpec("none", "clinical + genetic, no regularization", "network", seed=a,
                  panel=True),
        ModelSpec("l1", "L1", "network", penalty="l1", seed=a, panel=True),
        ModelSpec("l2", "L2", "network", penalty="l2", seed=a, panel=True),
        ModelSpec("elastic_net", "elastic net", "network", penalty="elastic-net", seed=a,
                  panel=True),
        ModelSpec("group_lasso_a", "group lasso, seed a", "network",
                  penalty="group-lasso", seed=a, panel=True),
        ModelSpec("group_lasso_b", "group lasso, seed b", "network",
                  penalty="group-lasso", seed=b, panel=True),
        ModelSpec("group_lasso_snp", "SNP-selecting network (skip path, group lasso "
                  "over clinical variables, then SNPs)", "snp_network",
                  penalty="group-lasso", seed=a),
    )


def cohort_specs(penalty: str, *, has_genotypes: bool, task: str, seed: int = 0) -> tuple:
    """The models of ``riata fit``: the network with the user's penalty, and the baselines.

    With genotypes and a sparse penalty the network selects SNPs (``"snp_network"``);
    with ``"none"`` or ``"l2"`` it reads them through a kernel encoder, which keeps
    every SNP.
    """
    kind = "snp_network" if has_genotypes and penalty in SPARSE_PENALTIES else "network"
    base = "logistic" if task == "classification" else "linear"
    specs = [ModelSpec("network", f"riata network ({penalty})", kind, penalty=penalty,
                       seed=seed),
             ModelSpec(f"{base}_clinical", f"{base} regression, clinical", "logistic",
                       "clinical")]
    specs.append(ModelSpec("lasso_all_inputs", "group-lasso "
                           + ("logistic" if task == "classification" else "linear")
                           + " regression, all inputs", "lasso", penalty="group-lasso"))
    return tuple(specs)
