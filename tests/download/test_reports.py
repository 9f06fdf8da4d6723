"""The managers' download report (HTML and CSV) and a member's own downloads."""

from datetime import datetime
from datetime import timedelta
from datetime import UTC
from lxml import html
from plone import api
from tests.download.conftest import MIB
from tests.download.conftest import session
from tests.download.conftest import wait_for_records

import csv
import io
import pytest
import transaction


HOSTILE_NAME = '=HYPERLINK("http://evil.example.org","Click")'


def record(log, time: str, user: str, groups: list, product: str, **values):
    """A download as the server records it, at a time of our choosing."""
    sent = values.pop("bytes", 3 * MIB)
    return log.record(
        {
            "time": time,
            "started": time,
            "user": user,
            "groups": groups,
            "product_uid": f"uid-{product}",
            "product_id": product,
            "product_path": f"/plone/catalogue/{product}",
            "filename": f"{product}.zip",
            "size": 3 * MIB,
            "status": 200,
            "range": None,
            "offset": 0,
            "length": 3 * MIB,
            "bytes": sent,
            "complete": sent == 3 * MIB,
            "client": "192.0.2.1",
            **values,
        }
    )


@pytest.fixture
def history(portal_with_products, downloads):
    """Four downloads in January and February 2026."""
    api.user.get(userid="owner").setMemberProperties({"fullname": "Olivia Owner"})
    transaction.commit()
    record(downloads, "2026-01-15T09:00:00.000000+00:00", "owner", ["ulb"], "p1")
    record(
        downloads,
        "2026-01-20T10:00:00.000000+00:00",
        "colleague",
        ["ulb"],
        "p1",
        bytes=MIB,
        range="bytes=0-",
    )
    record(downloads, "2026-02-03T11:00:00.000000+00:00", "operator", [], "p2")
    record(
        downloads,
        "2026-02-10T12:00:00.000000+00:00",
        "leader",
        ["ulb", "kuleuven"],
        "p1",
        filename=HOSTILE_NAME,
    )
    return portal_with_products


def report_csv(portal, user="validator", **query):
    return session(user).get(
        f"{portal.absolute_url()}/@@downloads-report.csv",
        params=query,
        timeout=30,
        allow_redirects=False,
    )


def rows_of(response) -> list[dict]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # for Excel
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


class TestReportCSV:
    def test_every_record_in_time_order(self, history):
        response = report_csv(history)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = rows_of(response)
        assert [row["User"] for row in rows] == [
            "owner",
            "colleague",
            "operator",
            "leader",
        ]
        first = rows[0]
        assert first["Name"] == "Olivia Owner"
        assert first["Time (UTC)"] == "2026-01-15T09:00:00.000000+00:00"
        assert first["User groups"] == "ulb"
        assert first["Product"] == "p1"
        assert first["Bytes sent"] == str(3 * MIB)
        assert first["Complete"] == "yes"
        assert rows[1]["Complete"] == "no"
        assert rows[1]["Range asked"] == "bytes=0-"
        assert rows[3]["User groups"] == "ulb kuleuven"
        assert rows[3]["File"] == "'" + HOSTILE_NAME  # never run as a formula

    def test_a_period(self, history):
        february = rows_of(report_csv(history, start="2026-02-01"))
        assert [row["User"] for row in february] == ["operator", "leader"]
        january = rows_of(report_csv(history, start="2026-01-16", end="2026-01-31"))
        assert [row["User"] for row in january] == ["colleague"]

    @pytest.mark.parametrize(
        "query,message",
        [
            ({"start": "2026-02-01", "end": "2026-01-01"}, "ends (2026-01-01) before"),
            ({"start": "last week"}, "start 'last week' is not a day"),
        ],
    )
    def test_a_wrong_period_is_explained(self, history, query, message):
        response = report_csv(history, **query)
        assert response.status_code == 400
        assert message in response.text

    @pytest.mark.parametrize("user", ["anonymous", "member", "owner", "stereo"])
    def test_only_who_reports_on_the_licence(self, history, user):
        assert report_csv(history, user).status_code in (302, 401, 403)

    def test_a_real_download_shows_up(self, portal_with_products, downloads):
        product = portal_with_products.catalogue.p1
        session("owner").get(f"{product.absolute_url()}/@@download/package")
        wait_for_records(downloads, 1)
        (row,) = rows_of(report_csv(portal_with_products, "operator"))
        assert (row["User"], row["Product UID"]) == ("owner", product.UID())
        assert row["Path"] == "/plone/catalogue/p1"


class TestReportPage:
    def page(self, portal, **query):
        response = session("validator").get(
            f"{portal.absolute_url()}/@@downloads-report", params=query, timeout=30
        )
        assert response.status_code == 200
        return html.fromstring(response.text)

    def table(self, tree, css: str) -> list[list[str]]:
        return [
            [cell.text_content().strip() for cell in row.xpath("th|td")]
            for row in tree.cssselect(f"{css} tbody tr")
        ]

    def test_totals_per_group_and_month(self, history):
        tree = self.page(history)
        # ULB: owner, colleague, leader; KU Leuven: leader; staff: operator.
        assert self.table(tree, ".downloads-groups-table") == [
            ["KU Leuven", "1", "1", "1", "1", "3.1 MB"],
            ["ULB", "3", "2", "3", "1", "7.3 MB"],
            ["Staff (no user group)", "1", "1", "1", "1", "3.1 MB"],
        ]
        assert self.table(tree, ".downloads-months-table") == [
            ["2026-01", "2", "1", "2", "1", "4.2 MB"],
            ["2026-02", "2", "2", "2", "2", "6.3 MB"],
        ]
        assert tree.xpath("//svg/@aria-label") == ["Downloads per month"]
        summary = " ".join(
            tree.cssselect(".downloads-summary")[0].text_content().split()
        )
        assert summary == (
            "4 downloads (3 complete) by 4 users of 2 products: 10.5 MB sent."
        )
        link = tree.cssselect("a.downloads-csv")[0].get("href")
        assert link.endswith("/@@downloads-report.csv")

    def test_a_period(self, history):
        tree = self.page(history, start="2026-02-01", end="2026-02-28")
        assert [row[0] for row in self.table(tree, ".downloads-months-table")] == [
            "2026-02"
        ]
        link = tree.cssselect("a.downloads-csv")[0].get("href")
        assert link.endswith("@@downloads-report.csv?start=2026-02-01&end=2026-02-28")

    def test_a_wrong_period(self, history):
        tree = self.page(history, start="2026-02-01", end="2026-01-01")
        problem = tree.cssselect(".downloads-problem")[0].text_content()
        assert "before it starts" in problem
        assert not tree.cssselect(".downloads-groups-table")

    def test_nothing_recorded(self, portal_with_products, downloads):
        tree = self.page(portal_with_products)
        assert tree.cssselect(".downloads-none")


class TestMyDownloads:
    def test_a_member_sees_only_their_own(self, portal_with_products, downloads):
        product = portal_with_products.catalogue.p1
        session("owner").get(
            f"{product.absolute_url()}/@@download/package",
            headers={"Range": "bytes=0-99"},
            timeout=30,
        )
        wait_for_records(downloads, 1)
        now = datetime.now(UTC)
        old = (now - timedelta(days=400)).isoformat()
        record(downloads, old, "owner", ["ulb"], "ancient")
        recent = (now - timedelta(days=3)).isoformat()
        record(downloads, recent, "colleague", ["ulb"], "p2")
        response = session("owner").get(
            f"{portal_with_products.absolute_url()}/@@my-downloads", timeout=30
        )
        assert response.status_code == 200
        tree = html.fromstring(response.text)
        rows = tree.cssselect(".my-downloads-table tbody tr")
        assert len(rows) == 1
        cells = [cell.text_content().strip() for cell in rows[0].xpath("td")]
        assert cells[1:] == ["Product p1", "p1.zip", "bytes=0-99", "100 B", "Complete"]
        assert rows[0].cssselect("a")[0].get("href") == product.absolute_url()

    def test_nothing_yet(self, portal_with_products, downloads):
        response = session("member").get(
            f"{portal_with_products.absolute_url()}/@@my-downloads", timeout=30
        )
        assert html.fromstring(response.text).cssselect(".my-downloads-none")

    def test_anonymous_is_asked_to_log_in(self, portal_with_products, downloads):
        response = session("anonymous").get(
            f"{portal_with_products.absolute_url()}/@@my-downloads",
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code == 302
        assert "require_login" in response.headers["Location"]
