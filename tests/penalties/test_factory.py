"""``make_penalty``: one name, one penalty, everywhere."""

from __future__ import annotations

import pytest

from riata.penalties import (
    L1,
    L2,
    PENALTY_NAMES,
    ElasticNet,
    GroupLasso,
    HierarchicalLasso,
    SparseGroupLasso,
    make_penalty,
)

EXPECTED = {"l1": L1, "l2": L2, "elastic-net": ElasticNet, "group-lasso": GroupLasso,
            "sparse-group-lasso": SparseGroupLasso, "hierarchical": HierarchicalLasso}


def test_every_name_is_mapped():
    assert set(PENALTY_NAMES) == set(EXPECTED) | {"none"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_name_gives_its_class_with_the_parameters_it_takes(name):
    groups = ["a", "a", "b"]
    penalty = make_penalty(name, 0.3, l1_ratio=0.2, groups=groups)
    assert type(penalty) is EXPECTED[name]
    params = penalty.get_params()
    assert params["alpha"] == 0.3
    assert params.get("l1_ratio", 0.2) == 0.2
    assert params.get("groups", groups) == groups


def test_defaults_are_the_classes_defaults():
    for name, cls in EXPECTED.items():
        assert make_penalty(name).get_params() == cls().get_params()


@pytest.mark.parametrize("name", ["none", None])
def test_none_means_no_penalty(name):
    assert make_penalty(name, 0.5) is None


def test_unknown_name_and_invalid_parameter_raise():
    with pytest.raises(ValueError, match="'lasso'.*group-lasso"):
        make_penalty("lasso")
    with pytest.raises(ValueError, match="alpha"):
        make_penalty("l1", -1.0)
