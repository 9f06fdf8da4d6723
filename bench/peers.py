"""The peers' PostgreSQL: PostGIS installed once, scratch databases made and dropped.

The benchmarks compare the portal with PostGIS (``bench/spatial.py``) and with
stac-fastapi-pgstac (``bench/pgstac.py``) on the PostgreSQL server the
production profile uses, 127.0.0.1:5432 as ``postgres`` (``PGHOST``, ``PGPORT``
and ``PGUSER`` override these). PostGIS comes from Debian: when the server has
no ``postgis`` extension available, ``ensure_postgis`` installs the package of
the server's major version, ``postgresql-<major>-postgis-3``, with ``apt-get``
(through ``sudo`` when not root), and does nothing the next time.

Each peer works in a database of its own, created empty (an older one of the
same name, left by an interrupted run, is dropped first) and dropped at the end.
"""

from collections.abc import Iterator
from common import log
from contextlib import contextmanager
from psycopg2.sql import Identifier
from psycopg2.sql import SQL

import os
import psycopg2
import subprocess


HOST = os.environ.get("PGHOST", "127.0.0.1")
PORT = int(os.environ.get("PGPORT", "5432"))
USER = os.environ.get("PGUSER", "postgres")


def connect(database: str = "postgres", autocommit: bool = False):
    """A psycopg2 connection to a database of the server, its time zone UTC."""
    connection = psycopg2.connect(
        host=HOST, port=PORT, user=USER, dbname=database, options="-c TimeZone=UTC"
    )
    connection.autocommit = autocommit
    return connection


@contextmanager
def cursor(database: str = "postgres") -> Iterator:
    """A cursor of an autocommit connection, closed after."""
    connection = connect(database, autocommit=True)
    try:
        with connection.cursor() as found:
            yield found
    finally:
        connection.close()


def dsn(database: str) -> str:
    """The database's URL, for the peers' own clients (pypgstac, asyncpg)."""
    return f"postgresql://{USER}@{HOST}:{PORT}/{database}"


def keyword_dsn(database: str) -> str:
    """The database's DSN as libpq keywords, for the portal (RelStorage adds
    keywords of its own to it, which a URL does not take)."""
    return f"host={HOST} port={PORT} user={USER} dbname={database}"


def server_major() -> int:
    """The running server's major version: 15 for 15.x."""
    with cursor() as sql:
        sql.execute("SHOW server_version_num")
        return int(sql.fetchone()[0]) // 10000


def postgis_available() -> bool:
    with cursor() as sql:
        sql.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        return sql.fetchone() is not None


def apt_get(*arguments: str) -> subprocess.CompletedProcess:
    command = ["apt-get", *arguments]
    if os.geteuid() != 0:
        command = ["sudo", "-n", *command]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def ensure_postgis() -> None:
    """Install Debian's PostGIS for the running server, unless it has one.

    :raises SystemExit: when apt-get cannot install it.
    """
    if postgis_available():
        return
    package = f"postgresql-{server_major()}-postgis-3"
    log(f"installing {package} (apt-get)")
    result = apt_get("install", "-y", "--no-install-recommends", package)
    if result.returncode:
        # A fresh machine may not have read the package lists yet.
        apt_get("update")
        result = apt_get("install", "-y", "--no-install-recommends", package)
    if result.returncode or not postgis_available():
        raise SystemExit(f"could not install {package}:\n{result.stderr}")


def versions(database: str) -> str:
    """PostgreSQL's and PostGIS's versions, as the Method paragraphs quote them."""
    with cursor(database) as sql:
        sql.execute("SHOW server_version")
        server = sql.fetchone()[0].split()[0]
        sql.execute("SELECT postgis_lib_version()")
        postgis = sql.fetchone()[0]
    return f"PostgreSQL {server}, PostGIS {postgis}"


def settings() -> str:
    """The server settings a query's speed depends on, as ``name value`` pairs."""
    names = (
        "shared_buffers",
        "work_mem",
        "effective_cache_size",
        "random_page_cost",
        "max_parallel_workers_per_gather",
        "jit",
    )
    found = []
    with cursor() as sql:
        for name in names:
            sql.execute(f"SHOW {name}")
            found.append(f"{name} {sql.fetchone()[0]}")
    return ", ".join(found)


def create_database(name: str, postgis: bool = True) -> None:
    """An empty database of this name (with PostGIS); an older one dropped."""
    drop_database(name)
    with cursor() as sql:
        sql.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))
    if postgis:
        with cursor(name) as sql:
            sql.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def drop_database(name: str) -> None:
    """Drop the database, closing its connections first."""
    with cursor() as sql:
        sql.execute(
            SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(Identifier(name))
        )


@contextmanager
def scratch_database(name: str) -> Iterator[None]:
    """A database made for the peer (PostGIS installed first), dropped after."""
    ensure_postgis()
    create_database(name)
    try:
        yield
    finally:
        drop_database(name)
