"""Fixtures of the quota engine tests: the agreement of the design's numbers."""

from belspo.pleiades.quota import Agreement
from belspo.pleiades.quota import PriceLine
from datetime import date

import pytest


PRICES = {
    "PHR_ORTHO": PriceLine(per_km2=10.0, minimum_km2=25.0),
    "PHR_PRIMARY": PriceLine(per_km2=7.5, minimum_km2=100.0),
}


@pytest.fixture
def agreement() -> Agreement:
    """The agreement of DESIGN.md: 125 000 attempts of capacity, from 1 March 2026."""
    return Agreement(
        year=2026,
        start=date(2026, 3, 1),
        capacity=125_000,
        annual_sales=2_000,
        prices=PRICES,
    )


# The suite's conftest sets the Plone layers up for every test (pytest-plone's
# autouse "keep" fixtures); the quota engine is plain Python, so these tests skip them.
@pytest.fixture(scope="session")
def _keep_functional_session():
    """No Plone layer for the quota engine tests."""


@pytest.fixture(scope="session")
def _keep_integration_session():
    """No Plone layer for the quota engine tests."""
