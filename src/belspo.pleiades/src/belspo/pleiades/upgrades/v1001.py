"""1000 -> 1001: the roles, permissions and groups of the agreement's actors."""

from belspo.pleiades.setuphandlers import create_groups


def add_roles_and_groups(setup):
    """Import the rolemap and create the groups with their roles."""
    setup.runImportStepFromProfile("profile-belspo.pleiades:default", "rolemap")
    create_groups()
