"""The agreement dashboard and the yearly CSV report, as validators see them."""

from AccessControl import Unauthorized
from belspo.pleiades.interfaces import IBrowserLayer
from belspo.pleiades.quota import config
from belspo.pleiades.quota import service
from datetime import date
from lxml import html
from plone import api
from plone.app.testing import logout
from plone.testing.zope import Browser
from tests.content import world
from zope.interface import alsoProvides

import csv
import io
import pytest
import transaction


HOSTILE_TITLE = '=HYPERLINK("http://evil.example.org","Click")'
HOSTILE_REASON = "-1+2 flood emergency, agreed with BELSPO"
HOSTILE_REFERENCE = "@SUM(1+1)"


def transition(obj, name, user, comment=""):
    with api.env.adopt_user(username=user):
        api.portal.get_tool("portal_workflow").doActionFor(obj, name, comment=comment)


def submitted(portal, request_id, attempts=1, mode="standard", scenes=()):
    """A request of ULB, submitted (programming, or extraction with ``scenes``)."""
    obj = world.request(portal, request_id)
    obj.estimated_attempts = attempts
    obj.priority_mode = mode
    if scenes:
        obj.kind = "extraction"
        obj.scenes = list(scenes)
    world.set_state(obj, "submitted")
    return obj


def validated(portal, request_id, comment="", **values):
    obj = submitted(portal, request_id, **values)
    transition(obj, "validate", "validator", comment)
    return obj


def view(portal, name, user, **form):
    """The view ``name`` on the site root as ``user`` renders it."""
    request = portal.REQUEST
    alsoProvides(request, IBrowserLayer)
    request.form.clear()
    request.form.update(form)
    with api.env.adopt_user(username=user):
        return portal.restrictedTraverse(f"@@{name}")()


def svg_names(page: str) -> list[str]:
    return html.fromstring(page).xpath("//svg/@aria-label")


@pytest.fixture
def year(portal) -> int:
    """Today's agreement year, small: 100 attempts, 10 priority, 12 a month,
    200 extraction scenes; ULB's requests validated in it."""
    world.build(portal)
    year = config.year_of(date.today())
    records = config.settings(year)
    records.capacity = 2500
    records.annual_sales = 5000
    validated(portal, "d1", attempts=5)
    validated(portal, "d2", attempts=4, mode="priority")
    validated(portal, "d3", scenes=["DS_p1", "DS_UNKNOWN"])
    validated(portal, "d4", attempts=8, mode="priority")  # past the priority share
    paced = validated(portal, "d5", HOSTILE_REASON, attempts=6)  # past the month
    paced.title = HOSTILE_TITLE
    paced.distributor_reference = HOSTILE_REFERENCE
    paced.reindexObject()
    transition(paced, "program", "operator")
    submitted(portal, "d6", attempts=50)  # not decided: not counted
    return year


def test_the_year_as_the_engine_records_it(portal, year):
    ledger = service.ledger(year)
    assert (ledger.rights_used, ledger.priority_used, ledger.extraction_used) == (
        15,
        4,
        2,
    )
    assert ledger.month_used == 15
    assert ledger.beyond_quota_count == 1


class TestDashboard:
    @pytest.fixture(autouse=True)
    def _setup(self, portal, year):
        self.portal, self.year = portal, year
        self.page = view(portal, "quota-dashboard", "validator")
        self.tree = html.fromstring(self.page)

    def test_gauges_with_the_year_figures(self):
        month = service.ledger(self.year).month
        month_name = f"{date.fromisoformat(month + '-01'):%B %Y}"
        assert svg_names(self.page)[:4] == [
            "Yearly acquisition rights: 15 of 100 attempts used (15 %)",
            "Priority share: 4 of 10 attempts used (40 %)",
            "Catalogue extraction rights: 2 of 200 scenes used (1 %)",
            f"Monthly pacing: {month_name}: 15 of 12 attempts used (125 %)",
        ]
        levels = [
            card.get("class").split()[-1]
            for card in self.tree.cssselect(".quota-gauge")
        ]
        assert levels == [
            "quota-gauge-normal",
            "quota-gauge-normal",
            "quota-gauge-normal",
            "quota-gauge-danger",
        ]
        assert "85 attempts remaining" in self.page

    def test_attempts_chart_against_the_pacing_cap(self):
        (chart,) = self.tree.cssselect(".quota-attempts svg")
        bars = chart.cssselect("rect.bar")
        assert len(bars) == 12
        (over,) = chart.cssselect("rect.over")
        assert "15 attempts, above the cap of 12" in over.findtext("title")
        assert chart.cssselect("line.cap")[0].findtext("title") == "Monthly cap: 12"

    def test_spending_chart_and_total(self):
        (decision,) = [
            row for row in service.recorded(self.year) if not row["within_quota"]
        ]
        price = f"{decision['price']:,.2f}"
        (chart,) = self.tree.cssselect(".quota-spending svg")
        tooltips = [bar.findtext("title") for bar in chart.cssselect("rect.bar")]
        assert sum(price in tooltip for tooltip in tooltips) == 1
        beyond = self.tree.cssselect(".quota-beyond")[0].text_content()
        assert beyond == f"Requests beyond the quotas: 1, priced {price} EUR in all."

    def test_table_of_the_decisions(self):
        rows = self.tree.cssselect(".quota-decisions-table tbody tr")
        links = [row.cssselect("a")[0] for row in rows]
        assert sorted(link.text for link in links) == sorted(
            ["Request d1", "Request d2", "Request d3", "Request d4", HOSTILE_TITLE]
        )
        assert {link.get("href") for link in links} == {
            f"{self.portal.absolute_url()}/requests/d{n}" for n in range(1, 6)
        }
        (paced,) = [row for row in rows if row.cssselect("a")[0].text == HOSTILE_TITLE]
        cells = [cell.text_content().split() for cell in paced.cssselect("td")]
        assert cells[1] == ["ULB"]
        assert cells[2] == ["Programming"]
        assert cells[3] == ["6", "attempts"]
        assert "Within quota" in " ".join(cells[4])
        assert HOSTILE_REASON in paced.cssselect(".quota-reason")[0].text
        assert cells[5] == ["0.00", "EUR"]
        assert cells[6] == ["validator"]
        assert cells[7] == [date.today().isoformat()]
        assert cells[8] == ["Programmed"]

    def test_links_to_the_report(self):
        (link,) = self.tree.cssselect("a.quota-report")
        assert link.get("href") == (
            f"{self.portal.absolute_url()}/@@quota-report.csv?year={self.year}"
        )

    def test_year_selector_lists_the_years(self):
        options = self.tree.cssselect("select[name=year] option")
        assert [o.get("value") for o in options] == [str(self.year)]
        assert options[0].get("selected") == "selected"

    def test_operator_sees_it_too(self):
        page = view(self.portal, "quota-dashboard", "operator")
        assert svg_names(page) == svg_names(self.page)


class TestYears:
    @pytest.fixture(autouse=True)
    def _setup(self, portal, year):
        """Last year opened, with one decision recorded in it."""
        self.portal, self.year, self.last = portal, year, year - 1
        config.open_year(self.last)
        old = world.request(portal, "old")
        world.set_state(old, "validated")
        old.quota_decision = {
            **portal.requests.d1.quota_decision,
            "year": self.last,
            "attempts": 40,
            "date": f"{self.last}-06-15T10:00:00+02:00",
        }
        old.reindexObject()

    def test_selector_switches_years(self):
        page = view(self.portal, "quota-dashboard", "validator", year=str(self.last))
        tree = html.fromstring(page)
        options = tree.cssselect("select[name=year] option")
        assert [o.get("value") for o in options] == [str(self.year), str(self.last)]
        assert [o.get("value") for o in options if o.get("selected")] == [
            str(self.last)
        ]
        assert svg_names(page)[0] == (
            "Yearly acquisition rights: 40 of 5,000 attempts used (0 %)"
        )
        # Today is in no month of last year: no pacing gauge.
        assert len(tree.cssselect(".quota-gauge")) == 3
        assert tree.cssselect(".quota-no-month")
        rows = tree.cssselect(".quota-decisions-table tbody tr")
        assert [row.cssselect("a")[0].text for row in rows] == ["Request old"]
        (chart,) = tree.cssselect(".quota-attempts svg")
        assert "June" in chart.cssselect("rect.bar")[5].findtext("title")
        assert chart.cssselect("rect.bar")[5].findtext("title").endswith("40 attempts")

    def test_default_is_the_current_year(self):
        page = view(self.portal, "quota-dashboard", "validator")
        assert svg_names(page)[0].startswith("Yearly acquisition rights: 15 of 100")

    @pytest.mark.parametrize("asked", ["1999", "last", "<b>2026</b>"])
    def test_unknown_year_says_so_and_shows_the_current(self, asked):
        page = view(self.portal, "quota-dashboard", "validator", year=asked)
        tree = html.fromstring(page)
        (alert,) = tree.cssselect(".quota-unknown-year")
        assert " ".join(alert.text_content().split()) == (
            f"There is no agreement year {asked}; showing {self.year}."
        )
        assert "<b>2026</b>" not in page  # escaped
        assert svg_names(page)[0].startswith("Yearly acquisition rights: 15 of 100")


@pytest.mark.parametrize("name", ["quota-dashboard", "quota-report.csv"])
@pytest.mark.parametrize("user", ["member", "owner", "leader", "stereo"])
def test_refused_to_members(portal, name, user):
    world.build(portal)
    with pytest.raises(Unauthorized):
        view(portal, name, user, year=str(date.today().year))


@pytest.mark.parametrize("name", ["quota-dashboard", "quota-report.csv"])
def test_refused_to_anonymous(portal, name):
    alsoProvides(portal.REQUEST, IBrowserLayer)
    logout()
    with pytest.raises(Unauthorized):
        portal.restrictedTraverse(f"@@{name}")


def test_no_decision_yet(portal):
    world.build(portal)
    page = view(portal, "quota-dashboard", "validator")
    assert "No request has been validated in this agreement year yet." in page
    assert svg_names(page)[0].endswith(": 0 of 5,000 attempts used (0 %)")


class TestReport:
    @pytest.fixture(autouse=True)
    def _setup(self, portal, year):
        self.portal, self.year = portal, year
        self.body = view(portal, "quota-report.csv", "validator", year=str(year))
        self.response = portal.REQUEST.response
        self.text = self.body.decode("utf-8")
        self.rows = list(csv.reader(io.StringIO(self.text.removeprefix("\ufeff"))))
        self.header = self.rows[0]

    def cell(self, row, column):
        return row[self.header.index(column)]

    def by_id(self, request_id):
        (row,) = [row for row in self.rows if row[0] == request_id]
        return row

    def test_a_download_excel_opens(self):
        assert self.body.startswith("\ufeff".encode())
        assert self.response.getHeader("Content-Type").startswith("text/csv")
        assert self.response.getHeader("Content-Disposition") == (
            f'attachment; filename="pleiades-quota-{self.year}.csv"'
        )

    def test_header(self):
        assert self.header == [
            "Request id",
            "Title",
            "URL",
            "User group",
            "Kind",
            "Mode",
            "Attempts",
            "Scenes",
            "Area (km²)",
            "Product type",
            "Validated on",
            "Validator",
            "Category",
            "Price",
            "Currency",
            "State",
            "Distributor reference",
            "Reason",
        ]

    def test_one_row_per_counted_request_then_totals(self):
        assert [row[0] for row in self.rows[1:]] == [
            "d1",
            "d2",
            "d3",
            "d4",
            "d5",
            "Total",
        ]
        d3 = self.by_id("d3")
        assert self.cell(d3, "Kind") == "extraction"
        assert self.cell(d3, "Scenes") == "2"
        assert self.cell(d3, "Product type") == "archive"
        d4 = self.by_id("d4")
        assert self.cell(d4, "Mode") == "priority"
        assert self.cell(d4, "Category") == "Category 3 -20%"
        decision = self.portal.requests.d4.quota_decision
        assert self.cell(d4, "Price") == f"{decision['price']:.2f}"
        assert self.cell(d4, "Currency") == "EUR"
        assert self.cell(d4, "User group") == "ULB"
        assert self.cell(d4, "Validator") == "validator"
        assert self.cell(d4, "State") == "validated"
        assert self.cell(d4, "URL") == self.portal.requests.d4.absolute_url()
        assert self.cell(d4, "Validated on") == decision["date"]
        assert float(self.cell(d4, "Area (km²)")) == pytest.approx(
            decision["area_km2"], abs=0.001
        )

    def test_totals(self):
        total = self.rows[-1]
        price = self.portal.requests.d4.quota_decision["price"]
        assert self.cell(total, "Title") == "Requests: 5"
        assert self.cell(total, "Attempts") == str(5 + 4 + 8 + 6)
        assert self.cell(total, "Scenes") == "2"
        assert self.cell(total, "Price") == f"{price:.2f}"
        assert self.cell(total, "Currency") == "EUR"
        areas = sum(float(self.cell(row, "Area (km²)")) for row in self.rows[1:-1])
        assert float(self.cell(total, "Area (km²)")) == pytest.approx(areas)

    def test_formula_safe(self):
        d5 = self.by_id("d5")
        assert self.cell(d5, "Title") == "'" + HOSTILE_TITLE
        assert self.cell(d5, "Reason") == "'" + HOSTILE_REASON
        assert self.cell(d5, "Distributor reference") == "'" + HOSTILE_REFERENCE
        assert self.cell(d5, "State") == "programmed"
        for row in self.rows:
            for value in row:
                assert not value.startswith(("=", "+", "-", "@")), value

    def test_operator_gets_the_same_report(self):
        body = view(self.portal, "quota-report.csv", "operator", year=str(self.year))
        assert body == self.body


@pytest.mark.parametrize("form", [{}, {"year": "1999"}, {"year": "2026';--"}])
def test_report_of_an_unknown_year_is_a_bad_request(portal, form):
    world.build(portal)
    body = view(portal, "quota-report.csv", "validator", **form)
    response = portal.REQUEST.response
    assert response.getStatus() == 400
    assert response.getHeader("Content-Type").startswith("text/plain")
    assert "agreement year" in body
    assert str(date.today().year) in body  # the years there are
    assert response.getHeader("Content-Disposition") is None


class TestThroughThePublisher:
    """What a browser gets: the download, the 400, the login page."""

    @pytest.fixture(autouse=True)
    def _setup(self, functional_portal):
        world.build(functional_portal)
        transaction.commit()
        self.url = functional_portal.absolute_url()
        self.browser = Browser(functional_portal.aq_parent)
        self.browser.raiseHttpErrors = False

    def login(self, user):
        self.browser.addHeader("Authorization", f"Basic {user}:{world.PASSWORD}")

    def test_validator_downloads_the_report(self):
        self.login("validator")
        year = date.today().year
        self.browser.open(f"{self.url}/@@quota-report.csv?year={year}")
        headers = self.browser.headers
        assert headers["status"].startswith("200")
        assert headers["Content-Type"] == "text/csv; charset=utf-8"
        assert f'filename="pleiades-quota-{year}.csv"' in headers["Content-Disposition"]
        assert self.browser.contents.startswith("\ufeffRequest id,Title,")

    @pytest.mark.parametrize("query", ["", "?year=1999", "?year=abc"])
    def test_unknown_year_is_a_400_with_its_reason(self, query):
        self.login("validator")
        self.browser.open(f"{self.url}/@@quota-report.csv{query}")
        assert self.browser.headers["status"].startswith("400")
        assert "ask for one of the agreement years" in self.browser.contents

    def test_dashboard_renders_for_a_validator(self):
        self.login("validator")
        self.browser.open(f"{self.url}/@@quota-dashboard")
        assert self.browser.headers["status"].startswith("200")
        assert "Agreement dashboard" in self.browser.contents

    @pytest.mark.parametrize(
        "user,page", [(None, "/login?"), ("member", "/insufficient-privileges")]
    )
    def test_refused_to_others(self, user, page):
        if user:
            self.login(user)
        for view in (
            "@@quota-dashboard",
            f"@@quota-report.csv?year={date.today().year}",
        ):
            self.browser.open(f"{self.url}/{view}")
            assert page in self.browser.url
            assert "Request id" not in self.browser.contents
