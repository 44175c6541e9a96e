"""Genotypes with realistic linkage disequilibrium from the coalescent (msprime).

msprime and bed-reader are optional (``pip install riata[genomics]``); they are imported
inside the functions that need them, so ``import riata.data`` works without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ld_proxies", "simulate_genotypes", "write_plink"]

_GENOMICS_HINT = "install the optional genomics dependencies: pip install riata[genomics]"

#: Columns of the SNP table returned by :func:`simulate_genotypes`.
SNP_INFO_COLUMNS = ("name", "chromosome", "position", "allele_frequency", "maf")


def _import_msprime():
    try:
        import msprime
    except ImportError as exc:  # pragma: no cover - exercised only without msprime
        raise ImportError(
            f"Simulating genotypes needs msprime, which is not installed; {_GENOMICS_HINT}"
        ) from exc
    return msprime


def _import_bed_reader():
    try:
        import bed_reader
    except ImportError as exc:  # pragma: no cover - exercised only without bed-reader
        raise ImportError(
            f"Writing PLINK files needs bed-reader, which is not installed; {_GENOMICS_HINT}"
        ) from exc
    return bed_reader


def _msprime_seed(seed_sequence: np.random.SeedSequence) -> int:
    # msprime wants a seed in [1, 2**32 - 1].
    return int(seed_sequence.generate_state(1, dtype=np.uint32)[0]) % (2**32 - 1) + 1


def _empty_snp_info() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": pd.Series([], dtype=str),
            "chromosome": pd.Series([], dtype=np.int64),
            "position": pd.Series([], dtype=np.int64),
            "allele_frequency": pd.Series([], dtype=np.float64),
            "maf": pd.Series([], dtype=np.float64),
        }
    )


def _stack_transposed(snp_major_blocks: list[np.ndarray], n_samples: int) -> np.ndarray:
    """Sample-major (n_samples, n_snps) int8 from SNP-major blocks, freeing each block.

    Copied 1,024 SNPs at a time: ~3x faster than one big strided transpose, and no
    second full-size copy (22 x 10 Mb at 3,000 samples is 1.5 GB).
    """
    n_snps = sum(block.shape[0] for block in snp_major_blocks)
    out = np.empty((n_samples, n_snps), dtype=np.int8)
    offset = 0
    while snp_major_blocks:
        block = snp_major_blocks.pop(0)
        for start in range(0, block.shape[0], 1024):
            chunk = block[start:start + 1024]
            out[:, offset + start:offset + start + chunk.shape[0]] = chunk.T
        offset += block.shape[0]
    return out


def simulate_genotypes(
    n_samples: int,
    *,
    n_chromosomes: int = 1,
    chromosome_length: int = 10_000_000,
    random_state: int | np.random.SeedSequence | None = 0,
    maf_min: float = 0.01,
    population_size: float = 10_000,
    mutation_rate: float = 1.25e-8,
    recombination_rate: float = 1e-8,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Simulate diploid genotypes with the coalescent with recombination (msprime).

    Each chromosome is an independent ``msprime.sim_ancestry`` run (a single panmictic
    population of constant size, Hudson's coalescent, diploids) followed by
    ``msprime.sim_mutations`` under a binary (0/1) mutation model on a discrete genome.
    A diploid's genotype is the number of derived alleles on its two haplotypes. Sites
    whose minor-allele frequency in the sample is at most ``maf_min`` are dropped, as a
    genotyping array would.

    Parameters
    ----------
    n_samples : int
        Number of diploid individuals.
    n_chromosomes : int, default=1
        Number of independent chromosomes (unlinked: separate coalescent runs).
    chromosome_length : int, default=10_000_000
        Length of each chromosome in base pairs. One 10 Mb chromosome at 3,000
        diploids gives ~22,000 SNPs in ~1.5 s; 22 of them ~500,000 SNPs.
    random_state : int, numpy.random.SeedSequence or None, default=0
        Root seed. Chromosome ``c`` gets its own child of ``SeedSequence(random_state)``
        (one seed for the ancestry, one for the mutations), so the result is a pure
        function of the seed and the other arguments.
    maf_min : float, default=0.01
        Keep SNPs with minor-allele frequency strictly greater than this.
    population_size : float, default=10_000
        Effective population size Ne.
    mutation_rate, recombination_rate : float, default=1.25e-8, 1e-8
        Per base pair per generation.

    Returns
    -------
    genotypes : ndarray of shape (n_samples, n_snps), dtype int8
        Derived-allele counts 0/1/2.
    snp_info : pandas.DataFrame of n_snps rows
        ``name`` ("chr1:12345"), ``chromosome`` (1-based int), ``position`` (1-based bp,
        as in a PLINK .bim), ``allele_frequency`` (frequency of the counted, derived
        allele in the sample) and ``maf``.

    References
    ----------
    Baumdicker F. et al. (2022) Efficient ancestry and mutation simulation with
    msprime 1.0. Genetics 220(3): iyab229.

    Examples
    --------
    >>> genotypes, snp_info = simulate_genotypes(50, chromosome_length=200_000)
    >>> genotypes.dtype, genotypes.shape[1] == len(snp_info)
    (dtype('int8'), True)
    """
    msprime = _import_msprime()
    root = (
        random_state
        if isinstance(random_state, np.random.SeedSequence)
        else np.random.SeedSequence(random_state)
    )
    blocks, infos = [], []
    for chrom, child in enumerate(root.spawn(n_chromosomes), start=1):
        ancestry_seed, mutation_seed = child.spawn(2)
        ts = msprime.sim_ancestry(
            samples=n_samples,
            ploidy=2,
            population_size=population_size,
            sequence_length=chromosome_length,
            recombination_rate=recombination_rate,
            random_seed=_msprime_seed(ancestry_seed),
        )
        ts = msprime.sim_mutations(
            ts,
            rate=mutation_rate,
            model=msprime.BinaryMutationModel(),
            discrete_genome=True,
            random_seed=_msprime_seed(mutation_seed),
        )
        # Site by site rather than ts.genotype_matrix(): the full haplotype matrix is
        # int32 over all (mostly rare) sites, ~1 GB per 10 Mb at 3,000 diploids, while
        # the kept int8 dosages are ~20x smaller. The loop costs ~0.6 s per 10 Mb.
        n_hap = 2 * n_samples
        low, high = maf_min * n_hap, (1.0 - maf_min) * n_hap
        snp_major = np.empty((ts.num_sites, n_samples), dtype=np.int8)
        kept_sites, counts = [], []
        # ts.samples() lists the two nodes of individual i as 2i and 2i + 1, and
        # ts.variants() yields one variant per site, in site order.
        for site_id, variant in enumerate(ts.variants(copy=False)):
            haplotypes = variant.genotypes
            count = int(haplotypes.sum())
            if low < count < high:
                snp_major[len(kept_sites)] = haplotypes[0::2] + haplotypes[1::2]
                kept_sites.append(site_id)
                counts.append(count)
        blocks.append(snp_major[: len(kept_sites)].copy())  # release the full buffer
        del snp_major
        positions = (ts.sites_position[kept_sites] + 1).astype(np.int64)
        freq = np.asarray(counts, dtype=np.float64) / n_hap
        infos.append(
            pd.DataFrame(
                {
                    "name": [f"chr{chrom}:{p}" for p in positions],
                    "chromosome": np.full(len(positions), chrom, dtype=np.int64),
                    "position": positions,
                    "allele_frequency": freq,
                    "maf": np.minimum(freq, 1.0 - freq),
                }
            )
        )
    genotypes = _stack_transposed(blocks, n_samples)
    snp_info = pd.concat(infos, ignore_index=True) if infos else _empty_snp_info()
    return genotypes, snp_info


def _choose_causal(
    snp_info: pd.DataFrame, n_causal: int, min_distance_bp: int, rng: np.random.Generator
) -> np.ndarray:
    """Random SNPs with MAF >= 5%, pairwise >= ``min_distance_bp`` apart on a chromosome.

    Greedy over a random order of the eligible SNPs: each is kept if it is far enough
    from those kept before. Returns sorted column indices (maybe fewer than n_causal).
    """
    eligible = np.flatnonzero(snp_info["maf"].to_numpy() >= 0.05)
    order = rng.permutation(eligible)
    if min_distance_bp <= 0:
        return np.sort(order[:n_causal]).astype(np.int64)
    chromosomes = snp_info["chromosome"].to_numpy()
    positions = snp_info["position"].to_numpy()
    kept, kept_at = [], {}
    for j in order:
        taken = kept_at.setdefault(int(chromosomes[j]), [])
        p = int(positions[j])
        if all(abs(p - q) >= min_distance_bp for q in taken):
            taken.append(p)
            kept.append(int(j))
            if len(kept) == n_causal:
                break
    return np.sort(np.asarray(kept, dtype=np.int64))


def ld_proxies(
    genotypes: np.ndarray,
    positions: np.ndarray,
    chromosomes: np.ndarray,
    causal_idx: np.ndarray,
    window_bp: int = 100_000,
    r2_min: float = 0.3,
) -> list[np.ndarray]:
    """LD proxies of each causal SNP: nearby SNPs in strong linkage disequilibrium.

    SNP ``j`` is a proxy of causal SNP ``c`` when both lie on the same chromosome,
    ``|position_j - position_c| <= window_bp`` and the squared Pearson correlation of
    their genotype dosages over the samples is ``r^2 >= r2_min``. A model that selects a
    proxy instead of the causal SNP has found the right locus; LD-aware scoring counts it.

    Parameters
    ----------
    genotypes : ndarray of shape (n_samples, n_snps)
        Dosages 0/1/2 (any numeric dtype; no missing values).
    positions : ndarray of shape (n_snps,)
        Base-pair positions.
    chromosomes : ndarray of shape (n_snps,)
        Chromosome of each SNP.
    causal_idx : ndarray of shape (n_causal,)
        Column indices of the causal SNPs.
    window_bp : int, default=100_000
        Half-width of the window searched around each causal SNP.
    r2_min : float, default=0.3
        Smallest r^2 for a proxy.

    Returns
    -------
    list of n_causal ndarrays of int64
        Sorted column indices of the proxies of each causal SNP, the causal SNP itself
        included (its r^2 with itself is 1). Monomorphic SNPs have no proxies.
    """
    positions = np.asarray(positions)
    chromosomes = np.asarray(chromosomes)
    out = []
    # Visit the SNPs in (chromosome, position) order so that each window is a
    # contiguous range found by binary search; when the input is already in that order
    # (as simulate_genotypes returns it) the window is a slice of ``genotypes``, ~10x
    # faster than gathering columns (1,000 windows over 500k SNPs in seconds).
    order = np.lexsort((positions, chromosomes))
    in_order = np.array_equal(order, np.arange(order.size))
    sorted_chrom, sorted_pos = chromosomes[order], positions[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    out = []
    for c in np.asarray(causal_idx, dtype=np.int64):
        lo_chrom = np.searchsorted(sorted_chrom, chromosomes[c], side="left")
        hi_chrom = np.searchsorted(sorted_chrom, chromosomes[c], side="right")
        block = sorted_pos[lo_chrom:hi_chrom]
        lo = lo_chrom + np.searchsorted(block, positions[c] - window_bp, side="left")
        hi = lo_chrom + np.searchsorted(block, positions[c] + window_bp, side="right")
        near = order[lo:hi]
        window = (genotypes[:, lo:hi] if in_order else genotypes[:, near]).astype(np.float64)
        window -= window.mean(axis=0)
        target = window[:, rank[c] - lo]
        # r^2 = cov^2 / (var_j var_c); a monomorphic SNP (zero variance) gets r^2 = 0.
        # einsum, not BLAS: these skinny products are memory-bound, and a multithreaded
        # BLAS on a busy machine made them ~20x slower in measurements here.
        denom = np.einsum("ij,ij->j", window, window) * (target @ target)
        cov = np.einsum("i,ij->j", target, window)
        r2 = np.divide(cov**2, denom, out=np.zeros_like(cov), where=denom > 0)
        # Guard against floating rounding of the causal SNP's own r^2 = 1.
        r2[rank[c] - lo] = 1.0 if denom[rank[c] - lo] > 0 else 0.0
        out.append(np.sort(near[r2 >= r2_min]).astype(np.int64))
    return out


def write_plink(
    prefix: str | os.PathLike,
    genotypes: np.ndarray,
    snp_info: pd.DataFrame,
    sample_ids,
) -> Path:
    """Write genotypes as a PLINK 1 binary fileset (.bed, .bim, .fam) with bed-reader.

    The three files are first written under a temporary name in the same directory and
    then moved into place with ``os.replace``, so an interrupted run leaves no
    half-written fileset under ``prefix``.

    Parameters
    ----------
    prefix : str or path-like
        Output path without extension (a trailing ".bed" is accepted and stripped).
    genotypes : ndarray of shape (n_samples, n_snps), dtype int8
        Counts 0/1/2 of the counted allele (PLINK's A1); -127 marks a missing call.
    snp_info : pandas.DataFrame of n_snps rows
        Needs ``name``, ``chromosome`` and ``position`` (written as sid, chromosome,
        bp_position). Allele letters are placeholders ("A" counted, "G" other): the
        simulated alleles are just derived / ancestral.
    sample_ids : sequence of str of length n_samples
        Written as both family id (fid) and individual id (iid).

    Returns
    -------
    pathlib.Path
        The path of the .bed file.
    """
    bed_reader = _import_bed_reader()
    genotypes = np.asarray(genotypes)
    sample_ids = [str(s) for s in sample_ids]
    if genotypes.ndim != 2 or genotypes.shape != (len(sample_ids), len(snp_info)):
        raise ValueError(
            f"genotypes has shape {genotypes.shape}, but there are {len(sample_ids)} "
            f"sample_ids and {len(snp_info)} rows of snp_info; expected "
            f"({len(sample_ids)}, {len(snp_info)})."
        )
    prefix = Path(prefix)
    if prefix.suffix == ".bed":
        prefix = prefix.with_suffix("")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    # String concatenation, not with_suffix: a prefix may itself contain dots.
    final = {ext: Path(f"{prefix}{ext}") for ext in (".bed", ".bim", ".fam")}
    tmp = {ext: prefix.with_name(f".{prefix.name}.tmp-{os.getpid()}{ext}") for ext in final}
    n_snps = len(snp_info)
    properties = {
        "fid": sample_ids,
        "iid": sample_ids,
        "sid": snp_info["name"].astype(str).to_numpy(),
        "chromosome": snp_info["chromosome"].astype(str).to_numpy(),
        "bp_position": snp_info["position"].to_numpy(dtype=np.int64),
        "allele_1": np.full(n_snps, "A"),
        "allele_2": np.full(n_snps, "G"),
    }
    try:
        bed_reader.to_bed(
            tmp[".bed"],
            genotypes.astype(np.int8, copy=False),
            properties,
            fam_filepath=tmp[".fam"],
            bim_filepath=tmp[".bim"],
        )
        for ext in (".bim", ".fam", ".bed"):  # .bed last: its presence means complete
            os.replace(tmp[ext], final[ext])
    finally:
        for path in tmp.values():
            path.unlink(missing_ok=True)
    return final[".bed"]
