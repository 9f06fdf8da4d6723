"""The Classic UI add form: a request is filed, bad input comes back explained."""

from plone import api
from plone.testing.zope import Browser
from tests.content import world

import json
import pytest
import transaction


@pytest.fixture
def browser(functional_portal):
    world.build(functional_portal)
    transaction.commit()
    browser = Browser(functional_portal.aq_parent)
    browser.handleErrors = False
    browser.addHeader("Authorization", f"Basic colleague:{world.PASSWORD}")
    browser.open(
        f"{functional_portal.absolute_url()}/requests/++add++AcquisitionRequest"
    )
    return browser


def fill(browser, footprint) -> None:
    browser.getControl(name="form.widgets.IBasic.title").value = "Sonian forest"
    browser.getControl(name="form.widgets.purpose").value = "Canopy gaps"
    browser.getControl(name="form.widgets.user_group:list").value = ["ulb"]
    browser.getControl(name="form.widgets.window_start").value = "2099-06-01"
    browser.getControl(name="form.widgets.window_end").value = "2099-08-31"
    browser.getControl(name="form.widgets.IFootprint.footprint").value = footprint
    browser.getControl(name="form.buttons.save").click()


def titles(portal) -> list[str]:
    return [
        b.Title
        for b in api.portal.get_tool("portal_catalog").unrestrictedSearchResults(
            portal_type="AcquisitionRequest"
        )
    ]


def test_member_files_a_request(browser, functional_portal):
    fill(browser, json.dumps(world.SQUARE))
    assert "Item created" in browser.contents
    request = functional_portal.requests["sonian-forest"]
    assert request.footprint["type"] == "Polygon"
    assert api.content.get_state(obj=request) == "draft"


@pytest.mark.parametrize(
    "footprint,message",
    [
        ("{not json", "not valid JSON"),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]],
                }
            ),
            "Self-intersection",
        ),
    ],
)
def test_bad_footprint_is_explained(browser, functional_portal, footprint, message):
    fill(browser, footprint)
    assert message in browser.contents
    assert "Sonian forest" not in titles(functional_portal)
