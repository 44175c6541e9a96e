"""Fixtures shared by the reader tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def plink_fileset(tmp_path):
    """Three samples, four SNPs, two missing calls, written with bed_reader."""
    bed_reader = pytest.importorskip("bed_reader")
    values = np.array([[0, 1, 2, np.nan], [2, 2, 0, 1], [1, np.nan, 0, 0]],
                      dtype=np.float32)
    properties = {"iid": ["s1", "s2", "s3"], "sid": ["rs1", "rs2", "rs3", "rs4"],
                  "chromosome": ["1", "1", "2", "X"], "bp_position": [10, 20, 30, 40],
                  "allele_1": ["A", "C", "G", "T"], "allele_2": ["G", "T", "A", "C"]}
    prefix = tmp_path / "geno"
    bed_reader.to_bed(prefix.with_suffix(".bed"), values, properties=properties)
    return prefix, values
