"""The backup runs kept in the portal, their dashboard, and the failure e-mail."""

from AccessControl import Unauthorized
from belspo.pleiades.interfaces import IBrowserLayer
from belspo.pleiades.preservation import records
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from lxml import html
from plone import api
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID
from tests.content import world
from tests.instance import Instance
from tests.notifications import conftest as notifications
from zope.interface import alsoProvides

import json
import pytest
import subprocess
import sys
import transaction


# The SMTP listener of tests/notifications, shared (a fixture is found by name).
smtp_server = notifications.smtp_server

PERMISSION = "belspo.pleiades: View preservation"
# Until profiles/default/rolemap.xml grants it: who it is meant for.
ROLES = ["Manager", "Site Administrator", "Pleiades Operator"]
SENDER = "pleiades@belspo.example"


def report(hours_ago: float, status: str = "ok", **values) -> dict:
    """A backup run's report that started ``hours_ago`` and took 12 min 05 s."""
    started = datetime.now(UTC) - timedelta(hours=hours_ago)
    finished = started + timedelta(seconds=725)
    problems = values.pop("problems", [])
    if status != "ok" and not problems:
        problems = [
            {
                "kind": "blob_mismatch",
                "detail": "SHA-256 differs from the primary's",
                "oid": "0x2a",
                "path": "/Plone/catalogue/p1",
            }
        ]
    return {
        "run_id": started.isoformat(timespec="seconds"),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "duration_s": 725.0,
        "status": status,
        "primary": "RelStorage SQLite instance/var",
        "backup": "RelStorage SQLite /backup",
        "first_copy": False,
        "transactions": 12,
        "objects": 340,
        "blobs": 3,
        "bytes": 1_234_000_000,
        "deleted": 0,
        "verified_new": 3,
        "verified_rolling": 37,
        "problems": problems,
        **values,
    }


def view(portal, user: str) -> str:
    """``@@preservation`` on the site root as ``user`` sees it."""
    request = portal.REQUEST
    alsoProvides(request, IBrowserLayer)
    request.form.clear()
    with api.env.adopt_user(username=user):
        return portal.restrictedTraverse("@@preservation")()


def people(portal) -> None:
    """The world's users, and the dashboard's permission for its roles."""
    setRoles(portal, TEST_USER_ID, ["Manager"])
    world.create_users()
    # The portal's groups only: the user groups (content) are not needed here.
    for userid, (_roles, groups) in world.ACTORS.items():
        for group in groups:
            if group.startswith("pleiades-"):
                api.group.add_user(groupname=group, username=userid)
    portal.manage_permission(PERMISSION, ROLES, acquire=True)


class TestRecords:
    @pytest.fixture(autouse=True)
    def _setup(self, portal):
        self.portal = portal

    def test_none_kept_yet(self):
        assert records.reports(self.portal) == []
        assert records.last_success(self.portal) is None

    def test_kept_newest_first(self):
        for hours in (48, 2, 24):
            records.add_report(self.portal, report(hours))
        kept = records.reports(self.portal)
        assert [run["run_id"] for run in kept] == sorted(
            (run["run_id"] for run in kept), reverse=True
        )
        assert len(kept) == 3
        assert records.reports(self.portal, limit=2) == kept[:2]
        assert records.reports(self.portal, limit=0) == []

    def test_a_plain_copy_is_kept(self):
        run = report(1, started_at=datetime(2026, 3, 14, 2, tzinfo=UTC))
        records.add_report(self.portal, run)
        run["problems"].append({"kind": "late"})
        (kept,) = records.reports(self.portal)
        assert kept["problems"] == []
        assert kept["started_at"] == "2026-03-14 02:00:00+00:00"
        assert type(kept) is dict

    def test_the_same_run_replaces_its_report(self):
        run = report(1, status="failed")
        records.add_report(self.portal, run)
        records.add_report(self.portal, {**run, "status": "ok", "problems": []})
        (kept,) = records.reports(self.portal)
        assert kept["status"] == "ok"

    def test_a_report_needs_its_run_id(self):
        with pytest.raises(ValueError):
            records.add_report(self.portal, {"status": "ok"})

    def test_dashboard_url(self):
        # From the command line, the portal's address is makerequest's placeholder.
        assert records.dashboard_url(self.portal, "http://nohost/Plone") == ""
        assert (
            records.dashboard_url(self.portal, "https://pleiades.example.org/")
            == "https://pleiades.example.org/@@preservation"
        )

    def test_last_success_skips_failures(self):
        success = report(30)
        records.add_report(self.portal, success)
        records.add_report(self.portal, report(5, status="failed"))
        assert records.last_success(self.portal)["run_id"] == success["run_id"]


class TestDashboard:
    @pytest.fixture(autouse=True)
    def _setup(self, portal):
        self.portal = portal
        people(portal)

    def add(self, *runs) -> None:
        for run in runs:
            records.add_report(self.portal, run)

    def test_no_backup_yet(self):
        tree = html.fromstring(view(self.portal, "operator"))
        assert "No backup has run yet" in tree.cssselect(".preservation-none")[0].text
        assert not tree.cssselect(".preservation-last, .preservation-stale")
        assert not tree.cssselect(".preservation-dashboard svg")

    def test_refused_to_a_member(self):
        self.add(report(2))
        with pytest.raises(Unauthorized):
            view(self.portal, "member")

    @pytest.mark.parametrize("user", ["operator", "siteadmin"])
    def test_shown_to_operators_and_administrators(self, user):
        self.add(report(2))
        assert "preservation-dashboard" in view(self.portal, user)

    def test_last_run_ok_with_its_figures(self):
        self.add(report(26, status="failed"), report(2, first_copy=True))
        tree = html.fromstring(view(self.portal, "operator"))
        (last,) = tree.cssselect(".preservation-last")
        assert "alert-success" in last.get("class")
        assert last.cssselect("h2")[0].text == "Last backup: OK"
        summary = last.cssselect(".preservation-summary")[0].text
        assert "took 12 min 05 s: 1.2 GB copied (12 transactions)" in summary
        assert "40 files verified" in summary
        assert not tree.cssselect(".preservation-stale")
        rows = tree.cssselect("tr.preservation-run")
        assert len(rows) == 2
        cells = [cell.text_content().strip() for cell in rows[0].cssselect("td")]
        assert cells[1:8] == ["OK", "12 min 05 s", "12", "340", "3", "1.2 GB", "40"]
        assert "First copy" in cells[0]
        assert "table-danger" in rows[1].get("class")
        assert "blob_mismatch: SHA-256 differs" in rows[1].text_content()

    def test_last_run_failed_with_its_problems(self):
        problems = [
            {"kind": "count_mismatch", "detail": "3 products, 2 on the backup"},
            {"kind": "missing_blob", "detail": "no file", "oid": "0x07"},
        ]
        self.add(report(3), report(1, status="failed", problems=problems))
        tree = html.fromstring(view(self.portal, "operator"))
        (last,) = tree.cssselect(".preservation-last")
        assert "alert-danger" in last.get("class")
        assert last.get("role") == "alert"
        assert last.cssselect("h2")[0].text == "Last backup: FAILED"
        assert [li.text for li in last.cssselect(".preservation-problems li")] == [
            "count_mismatch: 3 products, 2 on the backup",
            "missing_blob: no file (oid 0x07)",
        ]

    def test_history_chart_marks_failures_in_red(self):
        self.add(*(report(24 * day + 2) for day in range(1, 35)))
        self.add(report(2, status="failed", bytes=0))
        tree = html.fromstring(view(self.portal, "operator"))
        assert len(tree.cssselect("tr.preservation-run")) == 30
        assert tree.xpath(
            "//div[@class='preservation-dashboard']//svg/@aria-label"
        ) == [
            "Bytes copied by the last 30 backup runs",
            "Duration of the last 30 backup runs",
        ]
        bytes_chart, duration_chart = tree.cssselect(".preservation-dashboard svg")
        bars = bytes_chart.cssselect("rect.bar")
        assert len(bars) == 30
        # The oldest on the left: the failed run, which copied nothing, is last.
        assert bars[-1].get("class") == "bar failed"
        assert bars[-1].get("fill") == "#dc3545"
        assert bars[0].get("data-value") == "1.2 GB"
        assert len(bytes_chart.cssselect("rect.failed-slot")) == 1
        assert "failed, 1 problem(s)" in bars[-1].findtext("title")
        points = duration_chart.cssselect("circle")
        assert len(points) == 30
        assert points[-1].get("class") == "point failed"
        assert duration_chart.cssselect("polyline")
        assert "took 12 min 05 s" in points[0].findtext("title")
        # Durations of about twelve minutes read in minutes on the axis.
        assert "15 min" in [tick.text for tick in duration_chart.cssselect(".tick")]

    def test_stale_when_the_last_success_is_older_than_36_hours(self):
        self.add(report(40), report(14, status="failed"), report(2, status="failed"))
        tree = html.fromstring(view(self.portal, "operator"))
        (stale,) = tree.cssselect(".preservation-stale")
        assert "The last successful backup finished 39 hours ago" in stale.text

    def test_stale_when_no_run_ever_succeeded(self):
        self.add(report(2, status="failed"))
        tree = html.fromstring(view(self.portal, "operator"))
        (stale,) = tree.cssselect(".preservation-stale")
        assert "No backup run has succeeded yet" in stale.text

    def test_not_stale_within_36_hours(self):
        self.add(report(35), report(2, status="failed"))
        tree = html.fromstring(view(self.portal, "operator"))
        assert not tree.cssselect(".preservation-stale")


class TestFailureMail:
    """A failed run is e-mailed to the operators through a real SMTP server."""

    @pytest.fixture(autouse=True)
    def _setup(self, functional_portal, smtp_server):
        self.portal = functional_portal
        self.inbox = smtp_server
        people(functional_portal)
        api.user.create(
            username="operator2", email="operator2@example.org", password="x" * 12
        )
        api.user.create(
            username="operator3", email="operator3@example.org", password="x" * 12
        )
        api.user.get(userid="operator3").setMemberProperties({"email": ""})
        # The validator shares the operator's mailbox: written to once.
        api.user.get(userid="validator").setMemberProperties(
            {"email": "Operator@Example.org"}
        )
        for userid in ("operator2", "operator3", "siteadmin", "validator"):
            api.group.add_user(groupname="pleiades-operators", username=userid)
        api.portal.set_registry_record("plone.smtp_host", "127.0.0.1")
        api.portal.set_registry_record("plone.smtp_port", smtp_server.port)
        api.portal.set_registry_record("plone.email_from_address", SENDER)
        transaction.commit()
        self.inbox.clear()

    def test_one_mail_per_operator(self):
        run = report(1, status="failed")
        run["problems"].append({"kind": "last_tid", "detail": "backup behind"})
        sent = records.notify_failure(
            self.portal, run, portal_url="https://pleiades.example.org/Plone/"
        )
        assert not self.inbox.received  # not before the commit
        transaction.commit()
        received = self.inbox.by_address()
        assert set(received) == {
            "operator@example.org",
            "operator2@example.org",
            "siteadmin@example.org",
        }
        assert sorted(address.lower() for address in sent) == sorted(received)
        message = received["operator@example.org"]
        assert message.mail_from == SENDER
        assert message.subject.startswith("Backup failed on ")
        assert message.subject.endswith(": 2 problem(s)")
        assert message.message["Content-Language"] == "en"
        body = message.body
        assert f"The backup run started at {run['started']} failed." in body
        assert "Primary: RelStorage SQLite instance/var" in body
        assert (
            "- blob_mismatch: SHA-256 differs from the primary's "
            "(/Plone/catalogue/p1)" in body
        )
        assert "- last_tid: backup behind" in body
        assert (
            "See the preservation dashboard: "
            "https://pleiades.example.org/Plone/@@preservation" in body
        )

    def test_many_problems_are_cut_short(self):
        problems = [{"kind": "missing_blob", "detail": f"n{i}"} for i in range(60)]
        records.notify_failure(
            self.portal, report(1, status="failed", problems=problems)
        )
        transaction.commit()
        body = self.inbox.received[0].body
        assert "- missing_blob: n49" in body
        assert "- missing_blob: n50" not in body
        assert "… and 10 more, listed in the report." in body

    def test_nothing_for_an_ok_run(self):
        assert records.notify_failure(self.portal, report(1)) == []
        transaction.commit()
        assert self.inbox.received == []

    def test_nothing_without_a_sender(self, caplog):
        api.portal.set_registry_record("plone.email_from_address", "")
        assert records.notify_failure(self.portal, report(1, status="failed")) == []
        transaction.commit()
        assert self.inbox.received == []
        assert "no sender address" in caplog.text


RECORD = """
import json, sys
from pathlib import Path
from belspo.pleiades.preservation.records import record_run
record_run(Path(sys.argv[1]), json.loads(sys.argv[2]), site_id=sys.argv[3])
"""

READ = """
import json, sys
from pathlib import Path
from belspo.pleiades.cli.run import load_zope
load_zope(Path(sys.argv[1]))
import Zope2
from belspo.pleiades.preservation.records import reports
print(json.dumps(reports(Zope2.app()["Plone"])))
"""


@pytest.mark.slow
def test_record_run_on_an_instance(repository, tmp_path):
    instance = Instance(repository, tmp_path)
    instance.prepare()
    zope_ini = instance.path / "etc" / "zope.ini"

    def python(code: str, *args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code, zope_ini, *args],
            env=instance.env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=repository,
        )

    event_log = instance.path / "var" / "log" / "event.log"
    failed = report(1, status="failed")
    result = python(RECORD, json.dumps(failed), "Plone")
    # No sender configured on a fresh site: recorded, and the log says so.
    assert result.returncode == 0, result.stderr
    assert "no sender address" in event_log.read_text()
    missing = python(RECORD, json.dumps(report(0.5)), "Elsewhere")
    assert missing.returncode == 1
    assert "LookupError: Elsewhere" in missing.stderr
    assert "not recorded in the portal 'Elsewhere'" in event_log.read_text()
    read = python(READ)
    assert read.returncode == 0, read.stderr
    (kept,) = json.loads(read.stdout.strip().splitlines()[-1])
    assert kept == failed
