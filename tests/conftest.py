"""Fixtures of the test suite: pytest-plone over the add-on's layers."""

import os


# Compile the .po catalogues when the layers load the ZCML, as a started portal does.
os.environ["zope_i18n_compile_mo_files"] = "true"  # noqa: SIM112 (zope.i18n spelling)

from belspo.pleiades.testing import FUNCTIONAL_TESTING
from belspo.pleiades.testing import INTEGRATION_TESTING
from pathlib import Path
from pytest_plone import fixtures_factory

import psycopg2
import pytest
import secrets


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


SERVER_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture
def database():
    """A new, empty database on the local PostgreSQL, dropped afterwards."""
    name = f"pleiades_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg2.connect(SERVER_DSN, connect_timeout=5)
    except psycopg2.OperationalError as error:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not running ({error}); .ci/run starts it"
        )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    try:
        yield f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    finally:
        # A new connection: a test may have restarted the server meanwhile.
        admin = psycopg2.connect(SERVER_DSN, connect_timeout=30)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s",
                (name,),
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture(scope="session", autouse=True)
def download_log_folder(tmp_path_factory):
    """Downloads made by any test are logged in a folder of the test run, not in
    the test layer's ``clienthome`` (``/tmp/var``)."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("downloads")
        patch.setenv("PLEIADES_DOWNLOADS_DIR", str(folder))
        yield folder
