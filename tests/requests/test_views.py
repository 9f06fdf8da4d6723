"""The validation view and the agreement's control panel, through the publisher."""

from belspo.pleiades.quota import config
from datetime import date
from plone.testing.zope import Browser
from tests.content import world
from tests.requests.test_validation import submitted

import pytest
import transaction


@pytest.fixture
def portal(functional_portal):
    world.build(functional_portal)
    config.settings(config.year_of(date.today())).capacity = 2500  # 100 attempts
    transaction.commit()
    return functional_portal


def browser_for(portal, user):
    browser = Browser(portal.aq_parent)
    browser.handleErrors = False
    browser.addHeader("Authorization", f"Basic {user}:{world.PASSWORD}")
    return browser


def test_the_validator_sees_map_gauges_and_rules_then_decides(portal):
    request = submitted(portal, "antwerp", attempts=4)
    transaction.commit()
    browser = browser_for(portal, "validator")
    browser.open(request.absolute_url())
    browser.getLink("Review against the quotas").click()
    page = browser.contents
    assert "data-pleiades-map" in page and "Polygon" in page
    assert "Standard" in page and "ULB" in page  # titles, not codes
    assert "++plone++belspo.pleiades/leaflet/leaflet.js" in page
    assert "Yearly acquisition rights" in page and "Monthly pacing" in page
    assert 'aria-valuemax="100"' in page  # the yearly rights gauge
    assert "within quota" in page
    browser.getControl(name="reason").value = "Port works monitoring"
    browser.getControl(name="decide", index=0).click()  # Validate
    assert "Validated: within quota" in browser.contents
    transaction.begin()
    assert request.quota_decision["reason"] == "Port works monitoring"


def test_the_view_refuses_a_verdict_that_changed_meanwhile(portal):
    request = submitted(portal, "ghent", attempts=1)
    other = submitted(portal, "bruges", attempts=100)
    transaction.commit()
    browser = browser_for(portal, "validator")
    browser.open(f"{request.absolute_url()}/@@validate")  # shown: within quota
    second = browser_for(portal, "validator")
    second.open(f"{other.absolute_url()}/@@validate")
    second.getControl(name="reason").value = "The whole year's campaign"
    second.getControl(name="decide", index=0).click()
    browser.getControl(name="decide", index=0).click()
    assert "The quotas changed while you were deciding" in browser.contents
    assert "Category 3 -20%" in browser.contents  # the new verdict is shown
    transaction.begin()
    assert request.quota_decision is None


@pytest.mark.parametrize("user", ["owner", "leader", "member"])
def test_the_validation_view_is_for_validators(portal, user):
    request = submitted(portal, "leuven", attempts=1)
    transaction.commit()
    browser = browser_for(portal, user)
    if user != "member":  # who may not even see the request
        browser.open(request.absolute_url())
        assert "Review against the quotas" not in browser.contents
    browser.handleErrors = True
    browser.raiseHttpErrors = False
    browser.open(f"{request.absolute_url()}/@@validate")
    assert "Insufficient Privileges" in browser.contents or browser.headers[
        "status"
    ].startswith(("401", "403"))
    assert "Validation of" not in browser.contents


def test_the_administrator_edits_this_year_in_the_control_panel(portal):
    browser = browser_for(portal, "siteadmin")
    browser.open(f"{portal.absolute_url()}/@@agreement-controlpanel")
    browser.getControl(name="form.widgets.capacity").value = "250000"
    browser.getControl(name="form.widgets.prices").value = "tasking | nine | 100"
    browser.getControl(name="form.buttons.save").click()
    assert "must be numbers" in browser.contents
    browser.getControl(name="form.widgets.prices").value = "tasking | 9.00 | 100"
    browser.getControl(name="form.buttons.save").click()
    assert "Changes saved" in browser.contents
    transaction.begin()
    agreement = config.agreement(date.today().year)
    assert agreement.capacity == 250_000
    assert agreement.rights == 10_000
    assert list(agreement.prices) == ["tasking"]
