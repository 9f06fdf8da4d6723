"""The demo content a development portal starts with."""

from belspo.pleiades.cli.site import DEMO_DELIVERIES
from belspo.pleiades.cli.site import seed_demo_catalogue
from plone import api
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID

import pytest
import transaction


@pytest.fixture
def demo(portal):
    setRoles(portal, TEST_USER_ID, ["Manager"])
    portal.portal_setup.runAllImportStepsFromProfile("profile-belspo.pleiades:demo")
    return portal


def test_demo_group_approved_and_request_drafted(demo):
    assert api.content.get_state(demo.groups["demo-institute"]) == "approved"
    assert api.content.get_state(demo.requests["demo-request"]) == "draft"


def test_demo_requests_wait_for_a_validator_and_one_is_validated(demo):
    port = demo.requests["demo-port-of-antwerp"]
    assert api.content.get_state(port) == "submitted"
    meuse = demo.requests["demo-meuse-floods"]
    assert api.content.get_state(meuse) == "validated"
    assert meuse.quota_decision["category"] == "within quota"


def test_demo_is_idempotent(demo):
    demo.portal_setup.runAllImportStepsFromProfile("profile-belspo.pleiades:demo")
    assert list(demo.groups.objectIds()) == ["demo-institute"]
    assert len(demo.requests.objectIds()) == 3


def test_demo_catalogue_ingested_from_synthetic_deliveries(functional_portal):
    setRoles(functional_portal, TEST_USER_ID, ["Manager"])
    transaction.commit()
    assert seed_demo_catalogue(functional_portal) == 3 * DEMO_DELIVERIES
    catalog = api.portal.get_tool("portal_catalog")
    brains = catalog.unrestrictedSearchResults(
        portal_type="Product", review_state="published"
    )
    assert len(brains) == 3 * DEMO_DELIVERIES
    belgium = catalog.unrestrictedSearchResults(
        portal_type="Product", footprint=(2.5, 49.4, 6.5, 51.6)
    )
    assert len(belgium) >= 2 * DEMO_DELIVERIES
    assert seed_demo_catalogue(functional_portal) == 0  # not twice
