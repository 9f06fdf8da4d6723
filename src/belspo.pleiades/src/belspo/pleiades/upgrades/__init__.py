"""Upgrade steps of the default profile.

Every change to ``profiles/default`` raises the version in its ``metadata.xml`` and
ships a step here, registered in ``configure.zcml`` with ``genericsetup:upgradeStep``
(or ``upgradeDepends`` to re-import one import step), and tested under
``tests/upgrades/``. ``pleiades-run`` applies pending steps when the portal starts.
"""

from plone import api
from Products.GenericSetup.tool import SetupTool


PROFILE_ID = "belspo.pleiades:default"


def pending_steps(setup: SetupTool | None = None) -> list[dict]:
    """List the upgrade steps of the default profile not yet applied.

    :param setup: the portal's ``portal_setup``; the current portal's by default.
    :returns: the step descriptions GenericSetup gives, in the order they run.
    """
    setup = setup or api.portal.get_tool("portal_setup")
    return setup.listUpgrades(PROFILE_ID)


def upgrade_to_latest(setup: SetupTool | None = None) -> tuple[str, str]:
    """Apply every pending upgrade step of the default profile.

    :param setup: the portal's ``portal_setup``; the current portal's by default.
    :returns: the profile version before and after.
    """
    setup = setup or api.portal.get_tool("portal_setup")
    before = setup.getLastVersionForProfile(PROFILE_ID)
    setup.upgradeProfile(PROFILE_ID)
    after = setup.getLastVersionForProfile(PROFILE_ID)
    return ".".join(before), ".".join(after)
