"""The production profile: the portal on RelStorage with the real PostgreSQL."""

from .conftest import Portal

import psycopg2
import pytest


pytestmark = pytest.mark.slow


def object_count(dsn: str) -> int:
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM object_state")
        return cursor.fetchone()[0]


def test_portal_on_postgresql(make_portal, database):
    portal: Portal = make_portal("production", env={"PLEIADES_DSN": database})
    portal.start()
    page = portal.session().get(portal.url, headers={"Accept": "text/html"}, timeout=30)
    assert "<title>Pleiades National Data Portal</title>" in page.text
    assert portal.session().get(portal.url, timeout=30).json()["@id"] == portal.url
    response = portal.session().post(
        portal.url,
        json={"@type": "Document", "id": "on-postgresql", "title": "In PG"},
        timeout=30,
    )
    assert response.status_code == 201
    assert portal.stop() == 0
    # The objects are in PostgreSQL, not in a local file.
    assert object_count(database) > 1000
    assert not (portal.instance / "var" / "sqlite").exists()
    portal.start()
    assert portal.session().get(f"{portal.url}/on-postgresql", timeout=30).ok
    assert portal.stop() == 0


@pytest.mark.parametrize(
    "dsn,advice",
    [
        ("host=127.0.0.1 port=1 user=postgres dbname=pleiades", "pg_ctlcluster"),
        ("host=127.0.0.1 user=postgres dbname=pleiades_no_such_db", "createdb"),
    ],
    ids=["server-down", "no-database"],
)
def test_postgresql_failure_says_how_to_fix_it(make_portal, dsn, advice):
    result = make_portal("production", env={"PLEIADES_DSN": dsn}).run()
    assert result.returncode == 2
    assert "PostgreSQL is not reachable" in result.stderr
    assert advice in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_dsn(make_portal, monkeypatch):
    monkeypatch.delenv("PLEIADES_DSN", raising=False)
    result = make_portal("production").run()
    assert result.returncode == 2
    assert "PLEIADES_DSN" in result.stderr
