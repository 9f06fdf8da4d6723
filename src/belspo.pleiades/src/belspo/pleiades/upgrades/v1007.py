"""1006 -> 1007: self-registration, join requests, memberships' ends, languages."""

from belspo.pleiades.membership.api import open_register
from belspo.pleiades.membership.api import user_groups
from belspo.pleiades.membership.plugin import install
from belspo.pleiades.upgrades import PROFILE_ID
from plone import api


def add_membership(setup):
    """Registration, personal pages, language selector, memberships' ends."""
    for step in ("rolemap", "actions", "plone.app.registry"):
        setup.runImportStepFromProfile(f"profile-{PROFILE_ID}", step)
    install(api.portal.get())
    for group in user_groups():
        open_register(group)
