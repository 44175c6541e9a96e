"""Fixtures of the penalty conformance suites: one test per case of the registry."""

from __future__ import annotations

import pytest

from .registry import CASE_IDS, CASES, Reference


@pytest.fixture(params=CASE_IDS)
def case_id(request):
    return request.param


@pytest.fixture
def penalty(case_id):
    return CASES[case_id]()


@pytest.fixture
def ref(penalty):
    return Reference.of(penalty)
