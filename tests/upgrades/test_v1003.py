"""1002 -> 1003: the indexes the ingest needs."""

from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from plone import api


def test_indexes_added_and_filled(portal, setup_tool):
    catalog = api.portal.get_tool("portal_catalog")
    for name in ("distributor_reference", "needs_attention"):
        catalog.delIndex(name)
    setup_tool.setLastVersionForProfile(PROFILE_ID, "1002")
    with api.env.adopt_roles(["Manager"]):
        upgrade_to_latest(setup_tool)
    assert {"distributor_reference", "needs_attention"} <= set(catalog.indexes())
    assert setup_tool.getLastVersionForProfile(PROFILE_ID) >= ("1003",)
