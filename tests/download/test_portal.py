"""Downloads from a real portal (``pleiades-run``, waitress as configured).

Slow clients do not hold the worker threads: with more slow downloads in
flight than waitress has threads, a page still answers at once. A range is
read from the disk and no more: measured as the bytes the portal's process
reads (``/proc/<pid>/io``, ``rchar``) around a 1 MiB range of a 64 MiB package.
"""

from belspo.pleiades.downloads.log import DownloadLog
from belspo.pleiades.ingest.synthetic import write_delivery
from tests.deployment.conftest import Portal
from tests.instance import Instance
from threading import Event
from threading import Thread
from urllib.parse import urlsplit

import base64
import hashlib
import pytest
import re
import requests
import socket
import time


pytestmark = pytest.mark.slow

MIB = 1 << 20
PACKAGE_BYTES = 64 * MIB


@pytest.fixture(scope="module")
def portal(repository, tmp_path_factory):
    """A portal serving one ingested product with a 64 MiB package."""
    root = tmp_path_factory.mktemp("downloads")
    instance = Instance(repository, root)
    instance.prepare()
    inbox = root / "inbox"
    inbox.mkdir()
    write_delivery(inbox, count=1, seed=5, as_zip=True, payload_bytes=PACKAGE_BYTES)
    result = instance.ingest("--no-progress", inbox)
    assert result.returncode == 0, result.stdout + result.stderr
    running = Portal(repository, instance.path, "development", {})
    running.env.pop("PLEIADES_DOWNLOADS_DIR", None)  # the default: var/downloads
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def package_url(portal) -> str:
    found = portal.session().get(
        f"{portal.url}/@search", params={"portal_type": "Product"}, timeout=30
    )
    (item,) = found.json()["items"]
    return f"{item['@id']}/@@download/package"


@pytest.fixture
def log(portal) -> DownloadLog:
    return DownloadLog(portal.instance / "var" / "downloads", create=False)


def wait_for_records(log: DownloadLog, count: int, timeout: float = 30.0) -> list:
    deadline = time.monotonic() + timeout
    while len(records := list(log.records())) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return records


def worker_threads(portal) -> int:
    ini = (portal.instance / "etc" / "zope.ini").read_text()
    return int(re.search(r"^threads = (\d+)$", ini, re.M).group(1))


def rchar(pid: int) -> int:
    """The bytes a process has read so far, from any file or socket."""
    with open(f"/proc/{pid}/io") as counters:
        for line in counters:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise AssertionError(f"no rchar in /proc/{pid}/io")


class SlowClient:
    """A download read a few KB at a time through a small receive buffer."""

    def __init__(self, url: str, password: str):
        parts = urlsplit(url)
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.socket.connect((parts.hostname, parts.port))
        auth = base64.b64encode(f"admin:{password}".encode()).decode()
        self.socket.sendall(
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Basic {auth}\r\n\r\n".encode()
        )
        self.socket.settimeout(0.2)
        self.received = b""
        self.total = 0

    def read_some(self, size: int = 4096) -> None:
        try:
            chunk = self.socket.recv(size)
        except TimeoutError:
            return
        self.total += len(chunk)
        if len(self.received) < 1024:
            self.received += chunk

    @property
    def answered(self) -> bool:
        return self.received.startswith(b"HTTP/1.1 200 OK")


def test_slow_downloads_do_not_block_pages(portal, package_url, log):
    threads = worker_threads(portal)
    clients = [SlowClient(package_url, portal.password) for _ in range(2 * threads)]
    stop = Event()

    def trickle() -> None:  # about 8 KB/s per client
        while not stop.is_set():
            for client in clients:
                client.read_some()
            time.sleep(0.5)

    reader = Thread(target=trickle)
    reader.start()
    try:
        # As many downloads going as there are worker threads: a server that
        # gave each its thread would keep every further request waiting.
        deadline = time.monotonic() + 60
        while sum(client.answered for client in clients) < threads:
            assert time.monotonic() < deadline, "the downloads did not start"
            time.sleep(0.2)
        started = time.monotonic()
        try:
            page = requests.get(portal.url, timeout=30)
        except requests.Timeout:
            pytest.fail("the home page did not answer in 30 s")
        elapsed = time.monotonic() - started
        assert page.status_code == 200
        assert elapsed < 5, f"the home page took {elapsed:.1f} s"
        while not all(client.answered for client in clients):
            assert time.monotonic() < deadline, "not every download started"
            time.sleep(0.2)
        small = portal.session().get(
            package_url, headers={"Range": "bytes=0-1"}, timeout=30
        )
        assert small.status_code == 206 and len(small.content) == 2
        time.sleep(1.5)
        before = [client.total for client in clients]
        time.sleep(1.5)
        for client, earlier in zip(clients, before, strict=True):
            assert earlier < client.total < PACKAGE_BYTES  # still in flight
    finally:
        stop.set()
        reader.join()
        for client in clients:
            client.socket.close()
    records = wait_for_records(log, 2 * threads + 1)
    interrupted = [r for r in records if r["status"] == 200]
    assert len(interrupted) == 2 * threads
    for record in interrupted:
        assert record["complete"] is False
        assert 0 < record["bytes"] < record["length"] == record["size"]
    assert all(record["user"] == "admin" for record in records)


def test_a_range_is_read_from_the_disk_and_no_more(portal, package_url, log):
    http = portal.session()
    http.headers.pop("Accept")
    count = len(list(log.records()))

    def measured(first: int, last: int) -> int:
        """Bytes the portal read to answer ``bytes=first-last``, once sent."""
        nonlocal count
        before = rchar(portal.process.pid)
        response = http.get(
            package_url, headers={"Range": f"bytes={first}-{last}"}, timeout=60
        )
        assert response.status_code == 206
        assert len(response.content) == last - first + 1
        count += 1
        assert len(wait_for_records(log, count)) == count  # the body is closed
        return rchar(portal.process.pid) - before

    measured(0, 0)  # the product and its blob in the portal's caches
    one_mib = measured(32 * MIB, 33 * MIB - 1)
    assert MIB <= one_mib < 2 * MIB, f"read {one_mib:,} bytes for 1 MiB"
    # The measure sees the file's reads: 16 MiB asked, 16 MiB read.
    sixteen = measured(0, 16 * MIB - 1)
    assert 16 * MIB <= sixteen < 17 * MIB, f"read {sixteen:,} bytes for 16 MiB"


def test_the_whole_package_and_its_sidecar(portal, package_url, tmp_path):
    http = portal.session()
    http.headers.pop("Accept")
    digest = hashlib.sha256()
    with http.get(package_url, stream=True, timeout=60) as response:
        assert response.status_code == 200
        assert int(response.headers["Content-Length"]) > PACKAGE_BYTES
        for chunk in response.iter_content(MIB):
            digest.update(chunk)
    sidecar = http.get(f"{package_url}.sha256", timeout=30).text
    assert sidecar.split()[0] == digest.hexdigest()
    assert response.headers["ETag"] == f'"{digest.hexdigest()}"'
