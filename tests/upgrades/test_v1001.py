"""1000 -> 1001: roles, permissions and groups."""

from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from plone import api

import pytest


class TestUpgrade1001:
    @pytest.fixture(autouse=True)
    def _at_1000(self, portal, setup_tool):
        """A site as version 1000 left it: no groups of ours."""
        for group_id in (
            "stereo-managers",
            "pleiades-validators",
            "pleiades-operators",
        ):
            api.group.delete(groupname=group_id)
        setup_tool.setLastVersionForProfile(PROFILE_ID, "1000")
        self.setup = setup_tool

    def test_groups_created_with_their_roles(self):
        assert api.group.get(groupname="pleiades-operators") is None
        upgrade_to_latest(self.setup)
        group = api.group.get(groupname="pleiades-operators")
        assert "Pleiades Operator" in group.getRoles()
        assert self.setup.getLastVersionForProfile(PROFILE_ID) >= ("1001",)
