"""Fixtures of the DIMAP reader tests: the real documents of the shared folder."""

from pathlib import Path

import pytest


# shared/ sits beside the repository, on developers' machines and in CI.
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dimap"


@pytest.fixture(scope="session")
def dimap_data() -> Path:
    """The folder of real DIMAP documents, whose values FACTS.md lists."""
    if not DATA.is_dir():
        pytest.fail(f"the shared DIMAP documents are missing: {DATA}")
    return DATA


# The suite's conftest sets the Plone layers up for every test (pytest-plone's
# autouse "keep" fixtures); the reader is plain Python, so these tests skip them.
@pytest.fixture(scope="session")
def _keep_functional_session():
    """No Plone layer for the DIMAP reader tests."""


@pytest.fixture(scope="session")
def _keep_integration_session():
    """No Plone layer for the DIMAP reader tests."""
