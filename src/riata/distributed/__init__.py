"""Runs over several processes with torch.distributed: the SNPs split by rank.

Under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) ``riata fit`` joins the
process group (gloo: the genotypes live in CPU memory), each rank reads one contiguous
SNP range of the PLINK fileset (:func:`riata.data.snp_shard`,
:class:`riata.data.ShardedGenotypes`), every rank runs the same pipeline on the same
replicated clinical data and small models, and rank 0 alone writes the run directory.
docs/scale.md says what is split, what is communicated and what it costs.
"""

from ._context import ProcessGroup, join_process_group

__all__ = ["ProcessGroup", "join_process_group"]
