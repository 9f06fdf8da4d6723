"""``@@download/package`` over HTTP: headers, ranges, validators, refusals, log."""

from belspo.pleiades.downloads.http import parse_http_date
from plone.namedfile.file import NamedBlobImage
from tests.download.conftest import MIB
from tests.download.conftest import session
from tests.download.conftest import wait_for_records
from threading import Thread
from urllib.parse import urlsplit

import base64
import hashlib
import io
import PIL.Image
import pytest
import shutil
import socket
import subprocess
import transaction


class TestHeadersAndRanges:
    @pytest.fixture(autouse=True)
    def _setup(self, portal_with_products, downloads):
        self.product = portal_with_products.catalogue.p1
        self.url = f"{self.product.absolute_url()}/@@download/package"
        with self.product.package.open() as blob:
            self.data = blob.read()
        self.etag = f'"{hashlib.sha256(self.data).hexdigest()}"'
        self.http = session("owner")
        self.log = downloads

    def get(self, **headers):
        return self.http.get(self.url, headers=headers, timeout=30)

    def test_the_whole_package(self):
        response = self.get()
        assert response.status_code == 200
        assert response.content == self.data
        headers = response.headers
        assert headers["Content-Length"] == str(3 * MIB)
        assert headers["Content-Type"] == "application/zip"
        assert headers["Content-Disposition"] == 'attachment; filename="p1.zip"'
        assert headers["ETag"] == self.etag
        assert headers["Accept-Ranges"] == "bytes"
        assert "private" in headers["Cache-Control"]
        modified = parse_http_date(headers["Last-Modified"])
        assert modified.timestamp() == int(self.product.package._blob._p_mtime)
        assert "Content-Range" not in headers

    @pytest.mark.parametrize(
        "header,start,end",
        [
            ("bytes=0-99", 0, 100),
            ("bytes=1048576-", MIB, 3 * MIB),
            ("bytes=-1000", 3 * MIB - 1000, 3 * MIB),
            ("bytes=5-5", 5, 6),
            ("bytes=3145000-99999999", 3145000, 3 * MIB),
        ],
    )
    def test_a_range(self, header, start, end):
        response = self.get(Range=header)
        assert response.status_code == 206
        assert response.content == self.data[start:end]
        assert response.headers["Content-Length"] == str(end - start)
        assert response.headers["Content-Range"] == f"bytes {start}-{end - 1}/{3 * MIB}"
        assert response.headers["ETag"] == self.etag

    def test_several_ranges_get_the_whole_file(self):
        response = self.get(Range="bytes=0-9,100-109")
        assert response.status_code == 200
        assert response.content == self.data

    def test_a_range_past_the_end(self):
        response = self.get(Range=f"bytes={3 * MIB}-")
        assert response.status_code == 416
        assert response.headers["Content-Range"] == f"bytes */{3 * MIB}"
        assert "Content-Disposition" not in response.headers

    def test_if_range(self):
        last_modified = self.get(Range="bytes=0-0").headers["Last-Modified"]
        cases = [
            (self.etag, 206),
            ('"another-version"', 200),
            (f"W/{self.etag}", 200),
            (last_modified, 206),
            ("Mon, 01 Jan 2001 00:00:00 GMT", 200),
        ]
        for if_range, status in cases:
            response = self.get(Range="bytes=10-19", **{"If-Range": if_range})
            assert response.status_code == status, if_range
            expected = self.data[10:20] if status == 206 else self.data
            assert response.content == expected

    def test_if_none_match(self):
        for header in (self.etag, f'"x", W/{self.etag}', "*"):
            response = self.get(**{"If-None-Match": header})
            assert response.status_code == 304
            assert response.content == b""
            assert response.headers["ETag"] == self.etag
        assert self.get(**{"If-None-Match": '"x"'}).status_code == 200

    def test_head(self):
        response = self.http.head(self.url, timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Length"] == str(3 * MIB)
        assert response.headers["ETag"] == self.etag
        ranged = self.http.head(self.url, headers={"Range": "bytes=-10"}, timeout=30)
        assert ranged.status_code == 206
        last = 3 * MIB - 1
        assert ranged.headers["Content-Range"] == f"bytes {last - 9}-{last}/{3 * MIB}"
        assert list(self.log.records()) == []  # headers only: not a download

    def test_a_file_name_beyond_ascii(self):
        url = f"{self.product.aq_parent.p2.absolute_url()}/@@download/package"
        response = self.http.head(url, timeout=30)
        assert response.headers["Content-Disposition"] == (
            'attachment; filename="scene ete.zip"; '
            "filename*=UTF-8''sc%C3%A8ne%20%C3%A9t%C3%A9.zip"
        )

    def test_the_url_with_a_file_name_still_works(self):
        response = self.http.get(f"{self.url}/p1.zip", timeout=30)
        assert response.status_code == 200
        assert response.content == self.data

    def test_the_sidecar_checks_with_sha256sum(self, tmp_path):
        sidecar = self.http.get(f"{self.url}.sha256", timeout=30)
        assert sidecar.status_code == 200
        assert sidecar.headers["Content-Type"].startswith("text/plain")
        assert sidecar.text == f"{self.etag.strip(chr(34))}  p1.zip\n"
        (tmp_path / "p1.zip").write_bytes(self.get().content)
        (tmp_path / "p1.zip.sha256").write_bytes(sidecar.content)
        check = subprocess.run(
            ["sha256sum", "-c", "p1.zip.sha256"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout == "p1.zip: OK\n"
        (tmp_path / "p1.zip").write_bytes(self.data[:-1] + b"!")
        damaged = subprocess.run(
            ["sha256sum", "-c", "p1.zip.sha256"], cwd=tmp_path, capture_output=True
        )
        assert damaged.returncode == 1


class TestWhoDownloads:
    @pytest.fixture(autouse=True)
    def _setup(self, portal_with_products, downloads):
        self.portal = portal_with_products
        self.url = f"{self.portal.catalogue.p1.absolute_url()}/@@download"
        self.log = downloads

    def test_anonymous_is_asked_to_log_in(self):
        response = session("anonymous").get(
            f"{self.url}/package", timeout=30, allow_redirects=False
        )
        assert response.status_code in (302, 401)
        if response.status_code == 302:
            assert "require_login" in response.headers["Location"]
        assert b"\x00" not in response.content

    @pytest.mark.parametrize("user", ["member", "outsider"])
    def test_a_member_without_an_approved_group_is_refused(self, user):
        http = session(user)
        for path in ("package", "package.sha256"):
            response = http.get(f"{self.url}/{path}", timeout=30, allow_redirects=False)
            assert response.status_code in (302, 401, 403), path
        ranged = http.get(
            f"{self.url}/package", headers={"Range": "bytes=0-9"}, timeout=30
        )
        assert ranged.status_code != 206
        assert wait_for_records(self.log, 1, timeout=1) == []

    @pytest.mark.parametrize("user", ["colleague", "stereo", "validator", "operator"])
    def test_group_members_and_staff_download(self, user):
        response = session(user).get(f"{self.url}/package", timeout=30)
        assert response.status_code == 200
        assert len(response.content) == 3 * MIB

    def test_the_quicklook_is_plone_namedfile_s_as_before(self):
        buffer = io.BytesIO()
        PIL.Image.new("RGB", (8, 8), "green").save(buffer, "JPEG")
        product = self.portal.catalogue.p1
        product.quicklook = NamedBlobImage(buffer.getvalue(), filename="p1-ql.jpg")
        transaction.commit()
        response = session("anonymous").get(f"{self.url}/quicklook", timeout=30)
        assert response.status_code == 200
        assert response.content == buffer.getvalue()
        shown = session("anonymous").get(
            f"{product.absolute_url()}/@@display-file/quicklook", timeout=30
        )
        assert shown.status_code == 200
        assert wait_for_records(self.log, 1, timeout=1) == []

    def test_display_file_is_a_recorded_download_too(self):
        url = f"{self.portal.catalogue.p1.absolute_url()}/@@display-file/package"
        refused = session("member").get(url, timeout=30, allow_redirects=False)
        assert refused.status_code in (302, 401, 403)
        response = session("owner").get(url, timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        (record,) = wait_for_records(self.log, 1)
        assert record["user"] == "owner"


class TestTheLog:
    @pytest.fixture(autouse=True)
    def _setup(self, portal_with_products, downloads):
        self.portal = portal_with_products
        self.product = self.portal.catalogue.p1
        self.url = f"{self.product.absolute_url()}/@@download/package"
        self.log = downloads

    def test_a_complete_download(self):
        session("owner").get(self.url, timeout=30)
        (record,) = wait_for_records(self.log, 1)
        assert record["user"] == "owner"
        assert record["groups"] == ["ulb"]
        assert record["product_uid"] == self.product.UID()
        assert record["product_id"] == "p1"
        assert record["product_path"] == "/plone/catalogue/p1"
        assert record["filename"] == "p1.zip"
        assert record["size"] == record["length"] == record["bytes"] == 3 * MIB
        assert (record["status"], record["offset"], record["range"]) == (200, 0, None)
        assert record["complete"] is True
        assert record["client"] == "127.0.0.1"
        assert record["started"] <= record["time"]

    def test_a_range_sent_whole(self):
        session("operator").get(self.url, headers={"Range": "bytes=1000-"}, timeout=30)
        (record,) = wait_for_records(self.log, 1)
        assert record["user"] == "operator"
        assert record["groups"] == []  # staff
        assert (record["status"], record["range"]) == (206, "bytes=1000-")
        assert record["offset"] == 1000
        assert record["length"] == record["bytes"] == 3 * MIB - 1000
        assert record["complete"] is True

    def test_an_interrupted_download(self):
        """A client reads a little of the 16 MiB package and hangs up."""
        url = urlsplit(f"{self.product.aq_parent.p2.absolute_url()}/@@download/package")
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        client.connect((url.hostname, url.port))
        auth = base64.b64encode(b"colleague:secret-password-1").decode()
        client.sendall(
            f"GET {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Basic {auth}\r\n\r\n".encode()
        )
        received = 0
        while received < 200_000:
            received += len(client.recv(65536))
        client.close()
        (record,) = wait_for_records(self.log, 1)
        assert record["user"] == "colleague"
        assert record["complete"] is False
        assert 100_000 < record["bytes"] < record["length"] == 16 * MIB

    def test_concurrent_downloads_neither_conflict_nor_write(self):
        db = self.portal._p_jar.db()
        before = db.lastTransaction()
        users = ["owner", "colleague", "leader", "operator"] * 3
        results = {}

        def download(index: int, user: str) -> None:
            response = session(user).get(self.url, timeout=60)
            results[index] = (response.status_code, hashlib.sha256(response.content))

        threads = [
            Thread(target=download, args=(index, user))
            for index, user in enumerate(users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        expected = self.product.package_sha256
        assert [status for status, _digest in results.values()] == [200] * 12
        assert {digest.hexdigest() for _status, digest in results.values()} == {
            expected
        }
        records = wait_for_records(self.log, 12)
        assert len(records) == 12
        assert all(record["complete"] for record in records)
        assert sorted(record["user"] for record in records) == sorted(users)
        assert db.lastTransaction() == before  # a download writes nothing


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("wget")), reason="curl and wget"
)
class TestResuming:
    """Real clients finish a download that stopped after its first MiB."""

    @pytest.fixture(autouse=True)
    def _setup(self, portal_with_products, downloads, tmp_path):
        product = portal_with_products.catalogue.p2
        self.url = f"{product.absolute_url()}/@@download/package"
        with product.package.open() as blob:
            self.data = blob.read()
        self.target = tmp_path / "p2.zip"
        self.target.write_bytes(self.data[:MIB])
        self.log = downloads

    def check_resumed(self):
        assert self.target.read_bytes() == self.data
        (record,) = wait_for_records(self.log, 1)
        assert (record["status"], record["offset"]) == (206, MIB)
        assert record["bytes"] == 15 * MIB
        assert record["complete"] is True

    def test_curl_continue_at(self):
        result = subprocess.run(
            ["curl", "-sS", "-f", "-u", "owner:secret-password-1", "-C", "-"]
            + ["-o", str(self.target), self.url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        self.check_resumed()

    def test_wget_continue(self):
        result = subprocess.run(
            ["wget", "-q", "-c", "--auth-no-challenge", "--user", "owner"]
            + ["--password", "secret-password-1", "-O", str(self.target), self.url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        self.check_resumed()
