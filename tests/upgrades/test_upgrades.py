"""The upgrade machinery of the default profile."""

from belspo.pleiades.upgrades import pending_steps
from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from Products.GenericSetup.upgrade import _registerUpgradeStep
from Products.GenericSetup.upgrade import _upgrade_registry
from Products.GenericSetup.upgrade import UpgradeStep

import pytest


class TestUpgrades:
    @pytest.fixture(autouse=True)
    def _setup(self, portal, setup_tool):
        self.portal = portal
        self.setup = setup_tool

    def test_nothing_pending_after_install(self):
        assert pending_steps(self.setup) == []

    def test_no_step_goes_past_the_profile_version(self):
        version = tuple(self.setup.getVersionForProfile(PROFILE_ID).split("."))
        steps = self.setup.listUpgrades(PROFILE_ID, show_old=True)
        for step in steps:
            assert tuple(step["dest"]) <= version, step["title"]

    def test_pending_step_runs_and_moves_the_version(self):
        ran = []
        step = UpgradeStep(
            "test step", PROFILE_ID, "999", "1000", "", lambda context: ran.append(1)
        )
        _registerUpgradeStep(step)
        try:
            self.setup.setLastVersionForProfile(PROFILE_ID, "999")
            assert pending_steps(self.setup)[0]["title"] == "test step"
            before, after = upgrade_to_latest(self.setup)
        finally:
            del _upgrade_registry.getUpgradeStepsForProfile(PROFILE_ID)[step.id]
        assert ran == [1]
        assert (before, after) == ("999", self.setup.getVersionForProfile(PROFILE_ID))
        assert pending_steps(self.setup) == []
