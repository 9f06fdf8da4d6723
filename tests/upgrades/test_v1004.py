"""1003 -> 1004: the agreement year, the decisions' index, the quota permission."""

from belspo.pleiades.quota import config
from belspo.pleiades.quota import service
from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from datetime import date
from plone import api
from plone.registry.interfaces import IRegistry
from zope.annotation.interfaces import IAnnotations
from zope.component import getUtility


def test_agreement_year_index_and_permission_added(portal, setup_tool):
    catalog = api.portal.get_tool("portal_catalog")
    catalog.delIndex("agreement_year")
    catalog.delColumn("quota_decision")
    registry = getUtility(IRegistry)
    for name in list(
        registry.records.keys(min=config.PREFIX + ".", max=config.PREFIX + "/")
    ):
        del registry.records[name]
    del registry.records["belspo.pleiades.max_area_km2"]
    del IAnnotations(portal)[service.BOOK_KEY]
    for permission in ("View quota", "View preservation", "Manage agreement"):
        portal.manage_permission(f"belspo.pleiades: {permission}", [], acquire=False)
    actions = api.portal.get_tool("portal_actions").user
    for action in ("quota-dashboard", "preservation"):
        actions.manage_delObjects([action])
    setup_tool.setLastVersionForProfile(PROFILE_ID, "1003")
    with api.env.adopt_roles(["Manager"]):
        upgrade_to_latest(setup_tool)
    assert "agreement_year" in catalog.indexes()
    assert "quota_decision" in catalog.schema()
    assert config.year_of(date.today()) == date.today().year
    assert api.portal.get_registry_record("belspo.pleiades.max_area_km2") == 10000
    assert service.BOOK_KEY in IAnnotations(portal)
    roles = {
        r["name"]
        for r in portal.rolesOfPermission("belspo.pleiades: View quota")
        if r["selected"]
    }
    assert {"Pleiades Validator", "Pleiades Operator", "Manager"} <= roles
    assert {"quota-dashboard", "preservation"} <= set(actions.objectIds())
    for permission, role in (
        ("View preservation", "Pleiades Operator"),
        ("Manage agreement", "Site Administrator"),
    ):
        granted = portal.rolesOfPermission(f"belspo.pleiades: {permission}")
        assert role in {r["name"] for r in granted if r["selected"]}
    assert setup_tool.getLastVersionForProfile(PROFILE_ID) >= ("1004",)
