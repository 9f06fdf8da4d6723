"""Fixtures of the test suite: pytest-plone over the add-on's layers."""

import os


# Compile the .po catalogues when the layers load the ZCML, as a started portal does.
os.environ["zope_i18n_compile_mo_files"] = "true"  # noqa: SIM112 (zope.i18n spelling)

from belspo.pleiades.testing import FUNCTIONAL_TESTING
from belspo.pleiades.testing import INTEGRATION_TESTING
from pathlib import Path
from pytest_plone import fixtures_factory

import pytest


pytest_plugins = ["pytest_plone"]

globals().update(
    fixtures_factory(
        (
            (FUNCTIONAL_TESTING, "functional"),
            (INTEGRATION_TESTING, "integration"),
        )
    )
)

REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def package_name() -> str:
    return "belspo.pleiades"


@pytest.fixture(scope="session")
def repository() -> Path:
    """The deployment project's root (Makefile, profiles/, constraints.txt)."""
    return REPOSITORY
