"""The checks and helpers of pleiades-run that need no running Zope."""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.cli.run import admin_password
from belspo.pleiades.cli.run import check_port_free
from belspo.pleiades.cli.run import describe_storage

import pytest
import socket
import stat


def test_admin_password_generated_once(tmp_path):
    first = admin_password(tmp_path)
    assert len(first) >= 16
    assert stat.S_IMODE((tmp_path / "admin-password").stat().st_mode) == 0o600
    assert admin_password(tmp_path) == first


def test_admin_passwords_differ_between_instances(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert admin_password(tmp_path / "a") != admin_password(tmp_path / "b")


def test_port_taken():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(CommandError, match=f"make run PORT={port + 10}"):
            check_port_free("127.0.0.1", port)
    check_port_free("127.0.0.1", port)


@pytest.mark.parametrize(
    "names,expected",
    [
        ({"instance", "blob_dir"}, "/i/var"),
        ({"dsn", "blob_dir"}, "PostgreSQL 'dbname=p', blobs in /b"),
        ({"backup_dir"}, "/backup (the backup volume)"),
    ],
)
def test_banner_says_where_the_data_is(names, expected):
    settings = {
        "instance": "/i",
        "dsn": "dbname=p",
        "blob_dir": "/b",
        "backup_dir": "/backup",
    }
    assert describe_storage(names, settings) == expected
