"""A portal with products to download and a download log of the test's own."""

from belspo.pleiades.downloads.log import DownloadLog
from plone.namedfile.file import NamedBlobFile
from tests.content import world

import hashlib
import pytest
import random
import requests
import time
import transaction


MIB = 1 << 20


@pytest.fixture
def downloads(tmp_path, monkeypatch) -> DownloadLog:
    """The download log the running portal writes to, empty."""
    directory = tmp_path / "downloads"
    directory.mkdir()
    monkeypatch.setenv("PLEIADES_DOWNLOADS_DIR", str(directory))
    return DownloadLog(directory, create=False)


def with_package(product, data: bytes, filename: str, checksum=True):
    product.package = NamedBlobFile(
        data, contentType="application/zip", filename=filename
    )
    product.package_sha256 = hashlib.sha256(data).hexdigest() if checksum else None
    return product


@pytest.fixture
def portal_with_products(functional_portal, downloads):
    """The world, its published product p1 with a 3 MiB package of known bytes,
    and p2 with a 16 MiB one named beyond ASCII."""
    world.build(functional_portal)
    small = random.Random(1).randbytes(3 * MIB)
    with_package(functional_portal.catalogue.p1, small, "p1.zip")
    big = world.product(functional_portal, "p2")
    with_package(big, random.Random(2).randbytes(16 * MIB), "scène été.zip")
    transaction.commit()
    return functional_portal


def session(user: str) -> requests.Session:
    http = requests.Session()
    if user != "anonymous":
        http.auth = (user, world.PASSWORD)
    return http


def wait_for_records(log: DownloadLog, count: int, timeout: float = 10.0) -> list:
    """The log's records once there are ``count`` (the server writes each one
    when it closes the body, just after the client has the last byte)."""
    deadline = time.monotonic() + timeout
    while True:
        records = list(log.records())
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.05)
