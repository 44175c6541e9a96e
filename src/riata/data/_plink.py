"""Binary PLINK 1 filesets (.bed/.bim/.fam): checked, then read as int8 through bed-reader.

What can be checked before the genotypes are trusted:

- the .bed starts with the magic bytes ``6c 1b 01`` (SNP-major);
- its size is ``3 + n_snps * ceil(n_samples / 4)`` for the line counts of the .bim
  and the .fam;
- the unused bits after the last sample of each SNP are zero: PLINK writes them so.
  Set bits mean the .bed holds more samples than the .fam lists (a .fam line is
  missing, and every later sample would get its neighbour's genotypes);
- the .fam's last sample is not homozygous for allele 1 at every one of at least
  64 SNPs checked while the others are not: that is what reading the padding as a
  sample looks like (a .fam line too many);
- individual ids are unique; variant ids are unique where they are matched.

What cannot be checked: a .fam whose lines are complete but in another order than
the .bed's columns, or a .bim whose lines name other variants than the .bed holds.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import DataError, examples_of
from ._memory import check_memory, format_bytes
from ._table import Genotypes
from ._tables import check_file

__all__ = ["read_plink", "read_plink_metadata", "repeated_snp_ids", "refuse_repeated",
           "bim_metadata"]

_BED_MAGIC = b"\x6c\x1b\x01"
#: SNPs whose last byte is checked for padding (spread over the file).
_CHECKED_SNPS = 4096
#: Fewest SNPs at which an all-homozygous last sample counts as evidence.
_MIN_EVIDENCE = 64


def plink_fileset_paths(prefix) -> dict:
    """The .bed, .bim and .fam paths of a PLINK fileset, whether or not they exist.

    ``prefix`` may name the fileset (``cohort``) or one of its files
    (``cohort.bed``), as PLINK's ``--bfile`` accepts.

    >>> sorted(p.name for p in plink_fileset_paths("data/cohort.bim").values())
    ['cohort.bed', 'cohort.bim', 'cohort.fam']
    """
    prefix = Path(prefix)
    if prefix.suffix.lower() in (".bed", ".bim", ".fam"):
        prefix = prefix.with_suffix("")
    return {ext: prefix.with_name(prefix.name + ext) for ext in (".bed", ".bim", ".fam")}


def _plink_paths(prefix) -> dict:
    paths = plink_fileset_paths(prefix)
    prefix = paths[".bed"].with_suffix("")
    absent = [p.name for p in paths.values() if not p.is_file()]
    if absent:
        raise DataError(
            f"PLINK fileset '{prefix}' is incomplete: {', '.join(absent)} not found in "
            f"'{prefix.parent}'. riata reads binary PLINK 1 filesets (.bed + .bim + "
            ".fam with the same prefix); make one with `plink --make-bed`."
        )
    return paths


def _read_plink_text(path: Path, columns: list) -> pd.DataFrame:
    check_file(path, f"PLINK {path.suffix} file")
    try:
        table = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, na_filter=False,
                            keep_default_na=False)
    except pd.errors.EmptyDataError as err:
        raise DataError(f"PLINK {path.suffix} file '{path}' is empty (no lines)."
                        ) from err
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"PLINK {path.suffix} file '{path}' is malformed ({err}); "
                        f"every line needs {len(columns)} fields: "
                        f"{', '.join(columns)}.") from err
    if table.shape[1] != len(columns):
        raise DataError(f"PLINK {path.suffix} file '{path}' has {table.shape[1]} "
                        f"column(s); a {path.suffix} line has {len(columns)}: "
                        f"{', '.join(columns)}.")
    short = (table == "").any(axis=1).to_numpy()  # pandas pads a short line with ""
    if short.any():
        line = int(np.flatnonzero(short)[0]) + 1
        raise DataError(f"PLINK {path.suffix} file '{path}': line {line} has fewer "
                        f"than {len(columns)} fields ({', '.join(columns)}).")
    table.columns = columns
    return table


def read_plink_metadata(prefix):
    """Validated paths, .bim and .fam tables of a fileset (genotypes not read).

    Checks everything listed in the module notes except repeated variant ids (see
    :func:`refuse_repeated`).

    Returns
    -------
    paths : dict of str to Path
        ``".bed"``, ``".bim"``, ``".fam"``.
    bim, fam : DataFrame
    """
    paths = _plink_paths(prefix)
    bim = _read_plink_text(paths[".bim"], ["chromosome", "snp", "cm", "bp_position",
                                           "allele_1", "allele_2"])
    fam = _read_plink_text(paths[".fam"], ["fid", "iid", "father", "mother", "sex",
                                           "phenotype"])
    position = pd.to_numeric(bim["bp_position"], errors="coerce")
    bad = position.isna() | (position % 1 != 0) | (position.abs() >= 2.0**62)
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"PLINK .bim file '{paths['.bim']}': line {line + 1} has "
                        f"bp position {bim['bp_position'].iloc[line]!r}; the fourth "
                        "column must be an integer.")
    bim["bp_position"] = position.astype(np.int64)
    unique, counts = np.unique(fam["iid"].to_numpy(dtype=str), return_counts=True)
    if (counts > 1).any():
        raise DataError(f"PLINK .fam file '{paths['.fam']}': individual ids "
                        f"(second column) {examples_of(unique[counts > 1])} occur more "
                        "than once; riata matches samples on this id, so it must be "
                        "unique.")
    _check_bed(paths, n_samples=len(fam), n_snps=len(bim),
               last_sample=str(fam["iid"].iloc[-1]))
    return paths, bim, fam


def _check_bed(paths: dict, *, n_samples: int, n_snps: int, last_sample: str) -> None:
    path = paths[".bed"]
    size = path.stat().st_size
    with open(path, "rb") as handle:
        magic = handle.read(3)
    if magic != _BED_MAGIC:
        hint = ("it is an old sample-major .bed; rewrite it with `plink --make-bed`"
                if magic[:2] == _BED_MAGIC[:2] else "it is not a PLINK 1 binary .bed")
        raise DataError(f"PLINK .bed file '{path}' starts with bytes {magic.hex(' ')}, "
                        f"not 6c 1b 01: {hint}.")
    per_snp = math.ceil(n_samples / 4)
    expected = 3 + n_snps * per_snp
    if size != expected:
        hint = ""
        if n_snps and (size - 3) % n_snps == 0 and size > 3:
            fits = (size - 3) // n_snps
            hint = (f" Its size fits the {n_snps} SNPs of the .bim for {4 * fits - 3} "
                    f"to {4 * fits} samples: the .fam probably lacks lines or has "
                    "lines too many.")
        elif (size - 3) % per_snp == 0:
            hint = (f" Its size fits {(size - 3) // per_snp} SNPs for {n_samples} "
                    "samples: the .bim probably belongs to another fileset.")
        raise DataError(
            f"PLINK .bed file '{path}' has {size} bytes, but the .bim lists {n_snps} "
            f"SNPs and the .fam {n_samples} samples, which need 3 + {n_snps} x "
            f"ceil({n_samples}/4) = {expected} bytes. The file is truncated or the "
            f".bim/.fam do not belong to it.{hint}"
        )
    _check_last_byte(paths, n_samples, n_snps, per_snp, last_sample)


def _check_last_byte(paths: dict, n_samples: int, n_snps: int, per_snp: int,
                     last_sample: str) -> None:
    """The padding bits and the last sample, from the last byte of some SNPs."""
    if n_snps == 0:
        return
    picked = np.unique(np.linspace(0, n_snps - 1, min(n_snps, _CHECKED_SNPS)).astype(
        np.int64))
    bed = np.memmap(paths[".bed"], dtype=np.uint8, mode="r", offset=3,
                    shape=(n_snps, per_snp))
    last = np.asarray(bed[picked, per_snp - 1])
    first = np.asarray(bed[picked, 0])
    del bed
    used = n_samples - 4 * (per_snp - 1)  # samples in the last byte, 1 to 4
    if used < 4:
        padding = last >> (2 * used)
        if padding.any():
            n_bad = int(np.count_nonzero(padding))
            raise DataError(
                f"PLINK .bed file '{paths['.bed']}' holds genotypes beyond the "
                f"{n_samples} samples of '{paths['.fam']}': the unused bits after "
                f"the last sample are set in {n_bad} of {picked.size} SNPs checked. "
                "The .fam is probably missing a line (each .fam line is one column "
                "of the .bed, in order, so every later sample would get another's "
                "genotypes); use the .fam written with this .bed.")
    if picked.size < _MIN_EVIDENCE or n_samples < 2:
        return
    # Calls of the last sample (two bits at position used - 1) and, as a reference,
    # of the other samples these bytes hold: 00 is "homozygous for allele 1".
    last_calls = (last >> (2 * (used - 1))) & 0b11
    others = [(last >> (2 * k)) & 0b11 for k in range(used - 1)]
    others += [(first >> (2 * k)) & 0b11 for k in range(min(4, n_samples - used))]
    if not others:  # pragma: no cover - n_samples >= 2 gives at least one
        return
    reference = np.concatenate(others)
    if not last_calls.any() and np.mean(reference == 0) < 0.5:
        raise DataError(
            f"PLINK .fam file '{paths['.fam']}': its last sample {last_sample!r} is "
            f"homozygous for allele 1 at every one of {picked.size} SNPs checked in "
            f"'{paths['.bed']}', which is what the unused bits of a .bed read as a "
            "sample look like: the .fam probably has a line too many (every sample "
            "after it would get another's genotypes). Use the .fam written with this "
            ".bed.")


def repeated_snp_ids(bim: pd.DataFrame, names=None) -> dict:
    """Variant ids that name more than one .bim line: id -> line numbers (1-based).

    ``names`` restricts the check to these ids (the SNPs a model uses).
    """
    ids = bim["snp"].to_numpy(dtype=str)
    unique, counts = np.unique(ids, return_counts=True)
    repeated = set(unique[counts > 1].tolist())
    if names is not None:
        repeated &= set(np.asarray(names, dtype=str).tolist())
    return {name: (np.flatnonzero(ids == name) + 1).tolist()
            for name in sorted(repeated)}


def refuse_repeated(repeated: dict, bim_path: Path, prefix) -> None:
    """Raise a DataError listing repeated variant ids and how to rename them."""
    if not repeated:
        return
    shown = "; ".join(f"{name!r} at lines {examples_of(lines, k=3)}"
                      for name, lines in list(repeated.items())[:5])
    more = f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""
    stem = Path(prefix).with_suffix("") if Path(prefix).suffix.lower() in (
        ".bed", ".bim", ".fam") else Path(prefix)
    raise DataError(
        f"PLINK .bim file '{bim_path}' gives one id to several variants: {shown}{more} "
        f"({len(repeated)} id(s) in all; '.' is PLINK's placeholder for an unnamed "
        "variant). riata matches variants by id, so each needs its own. Rename them "
        f"from position and alleles, e.g. plink2 --bfile {stem} --set-all-var-ids "
        f"'@:#:$r:$a' --new-id-max-allele-len 100 --make-bed --out {stem}_ids, or "
        "remove the extra copies (plink --list-duplicate-vars, then --exclude).")


def read_plink(prefix, *, sample_ids=None, snp_index=None, metadata=None) -> Genotypes:
    """Read a binary PLINK 1 fileset (.bed/.bim/.fam) into int8 :class:`Genotypes`.

    Values count allele 1 (the .bim's fifth column, usually the minor allele), as
    PLINK 1.9 does; missing calls are ``-127``. The matrix is read in the .bed's own
    SNP-major layout (Fortran order), the fastest to read and the one that makes
    per-SNP statistics contiguous.

    Parameters
    ----------
    prefix : str or path-like
        Path without extension (a ``.bed``, ``.bim`` or ``.fam`` ending is accepted
        and removed).
    sample_ids : array-like of str, default=None
        Read only these individual ids (the .fam's second column), in this order;
        ``None`` reads every sample. Reading only the matched samples avoids a second
        copy of a large matrix.
    snp_index : array-like of int, default=None
        Read only these SNPs (positions in the .bim), in this order; ``None`` reads
        every SNP.
    metadata : tuple, default=None
        ``(paths, bim, fam)`` from :func:`read_plink_metadata`, when already read.

    Returns
    -------
    Genotypes

    Raises
    ------
    DataError
        If a file is missing or empty, the .bed does not start with ``6c 1b 01``,
        its size is not ``3 + n_snps * ceil(n_samples / 4)`` for the counts of the
        .bim and .fam, its padding bits show a .fam line missing or too many, a line
        is malformed, individual ids repeat, a requested sample id is not in the
        .fam, or the matrix would not fit in the memory left.
    ImportError
        If the optional dependency bed-reader is not installed.

    Notes
    -----
    A .fam whose lines are complete but ordered differently from the .bed cannot be
    detected; see the module notes for what is checked.
    """
    try:
        from bed_reader import open_bed
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("Reading PLINK files needs bed-reader: pip install "
                          "'riata[genomics]' (or pip install bed-reader).") from err
    paths, bim, fam = read_plink_metadata(prefix) if metadata is None else metadata
    fam_ids = fam["iid"].to_numpy(dtype=str)
    index = None
    if sample_ids is not None:
        position = {sample: i for i, sample in enumerate(fam_ids)}
        wanted = np.asarray(sample_ids, dtype=str)
        unknown = [s for s in wanted if s not in position]
        if unknown:
            raise DataError(f"PLINK .fam file '{paths['.fam']}' has no individual id "
                            f"{examples_of(unknown)} ({len(unknown)} requested id(s) "
                            "not found).")
        index = np.array([position[s] for s in wanted], dtype=np.intp)
    columns = (np.arange(len(bim)) if snp_index is None
               else np.asarray(snp_index, dtype=np.intp))
    n_rows = len(fam) if index is None else index.size
    check_memory(n_rows * columns.size,
                 f"PLINK .bed file '{paths['.bed']}' ({n_rows:,} samples x "
                 f"{columns.size:,} SNPs as int8)",
                 hint="Read fewer SNPs (plink --extract) or samples (plink --keep), or "
                      "use a machine with more memory.")
    try:
        with open_bed(paths[".bed"], iid_count=len(fam), sid_count=len(bim),
                      count_A1=True) as bed:
            values = bed.read(index=np.s_[slice(None) if index is None else index,
                                          slice(None) if snp_index is None else columns],
                              dtype="int8", order="F")
    except MemoryError:
        raise DataError(f"Reading PLINK .bed file '{paths['.bed']}' ran out of memory "
                        f"({format_bytes(n_rows * columns.size)} needed); read fewer "
                        "SNPs (plink --extract) or samples (plink --keep).") from None
    except Exception as err:  # the Rust reader raises several types
        raise DataError(f"PLINK .bed file '{paths['.bed']}' could not be read: "
                        f"{err}") from err
    return Genotypes(values=values,
                     sample_ids=fam_ids if index is None else fam_ids[index],
                     **bim_metadata(bim, columns))


def bim_metadata(bim, columns=None) -> dict:
    """The per-SNP fields of :class:`Genotypes` from a .bim table (of ``columns``, or
    every SNP): ``snp_names``, ``chromosome``, ``bp_position``, ``allele_1/2``."""
    rows = slice(None) if columns is None else columns
    return {"snp_names": bim["snp"].to_numpy(dtype=str)[rows],
            "chromosome": bim["chromosome"].to_numpy(dtype=str)[rows],
            "bp_position": bim["bp_position"].to_numpy()[rows],
            "allele_1": bim["allele_1"].to_numpy(dtype=str)[rows],
            "allele_2": bim["allele_2"].to_numpy(dtype=str)[rows]}
