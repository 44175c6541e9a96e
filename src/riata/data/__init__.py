"""Data for riata: reading a user's own files, encoding, and the in-memory Table.

``read_clinical`` / ``read_plink`` / ``match_samples`` (or ``read_table`` for all three)
read a cohort; ``ClinicalEncoder`` turns the clinical columns into one-hot groups and
standardized numbers from the training rows only. Bad input raises ``DataError`` with
a message that names the file, the column, the line and the sample; ``TableFormat``
says how a table's cells are written (separator, decimal mark, missing markers);
``positive_label`` chooses the positive class of a binary target.
``make_framingham_like`` simulates a Framingham-style cohort (clinical table, msprime
genotypes, an outcome from a published risk equation) with its ground truth;
``write_plink`` writes genotypes as PLINK .bed/.bim/.fam. ``genotype_kernel`` builds the
linear kernel of a kernel encoder from int8 genotypes in blocks.
"""

from ._cohort import CohortTruth, FraminghamLikeCohort, make_framingham_like
from ._columns import LARGEST_VALUE
from ._encoding import ClinicalEncoder
from ._errors import DataError, DataWarning
from ._genotypes_sim import ld_proxies, write_plink
from ._kernel import (
    genotype_kernel,
    genotype_statistics,
    genotype_transpose_product,
    kernel_encoder_weights,
    standardized_columns,
)
from ._memory import available_memory, check_memory
from ._new_samples import (
    BLOCK_ROWS,
    assemble_features,
    count_missing_calls,
    read_genotypes_for_model,
    read_new_clinical,
)
from ._plink import plink_fileset_paths
from ._readers import read_clinical, read_plink, read_table
from ._sharded import ShardedGenotypes, snp_shard
from ._table import MISSING_GENOTYPE, Genotypes, Table, match_samples
from ._tables import TableFormat
from ._target import positive_label

__all__ = [
    "ShardedGenotypes",
    "snp_shard",
    "DataError",
    "DataWarning",
    "Table",
    "Genotypes",
    "MISSING_GENOTYPE",
    "read_clinical",
    "read_plink",
    "plink_fileset_paths",
    "read_table",
    "TableFormat",
    "positive_label",
    "LARGEST_VALUE",
    "available_memory",
    "check_memory",
    "match_samples",
    "ClinicalEncoder",
    "make_framingham_like",
    "FraminghamLikeCohort",
    "CohortTruth",
    "write_plink",
    "ld_proxies",
    "genotype_kernel",
    "genotype_statistics",
    "genotype_transpose_product",
    "kernel_encoder_weights",
    "standardized_columns",
    "assemble_features",
    "count_missing_calls",
    "read_genotypes_for_model",
    "read_new_clinical",
    "BLOCK_ROWS",
]
