"""1001 -> 1002: the content model arrives in a site that had none."""

from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from plone import api

import pytest


class TestUpgrade1002:
    @pytest.fixture(autouse=True)
    def _at_1001(self, portal, setup_tool):
        """A site as version 1001 left it: no folders, no spatial index."""
        with api.env.adopt_roles(["Manager"]):
            for folder_id in ("catalogue", "requests", "groups"):
                api.content.delete(obj=portal[folder_id])
        api.portal.get_tool("portal_catalog").delIndex("footprint")
        setup_tool.setLastVersionForProfile(PROFILE_ID, "1001")
        self.setup = setup_tool
        self.portal = portal

    def upgrade(self):
        with api.env.adopt_roles(["Manager"]):
            upgrade_to_latest(self.setup)

    def test_folders_and_index_created(self):
        self.upgrade()
        assert {"catalogue", "requests", "groups"} <= set(self.portal.objectIds())
        assert "footprint" in api.portal.get_tool("portal_catalog").indexes()
        assert self.setup.getLastVersionForProfile(PROFILE_ID) >= ("1002",)

    def test_types_bound_to_their_workflows(self):
        self.upgrade()
        chains = api.portal.get_tool("portal_workflow")
        assert chains.getChainForPortalType("Product") == ("pleiades_product_workflow",)
