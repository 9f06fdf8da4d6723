"""1000 -> 1001: the roles, permissions and groups of the agreement's actors."""

from belspo.pleiades.setuphandlers import create_groups
from belspo.pleiades.upgrades import PROFILE_ID


def add_roles_and_groups(setup):
    """Import the rolemap and create the groups with their roles."""
    setup.runImportStepFromProfile(f"profile-{PROFILE_ID}", "rolemap")
    create_groups()
