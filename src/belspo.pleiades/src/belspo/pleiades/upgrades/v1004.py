"""1003 -> 1004: the agreement per year, validation decisions, the quota permission."""

from belspo.pleiades.setuphandlers import open_agreement
from belspo.pleiades.upgrades import PROFILE_ID
from plone import api


def add_agreement(setup):
    """The current agreement year, the decisions' index and the control panel."""
    for step in ("rolemap", "catalog", "controlpanel", "actions", "plone.app.registry"):
        setup.runImportStepFromProfile(f"profile-{PROFILE_ID}", step)
    api.portal.get_tool("portal_catalog").manage_reindexIndex(ids=["agreement_year"])
    open_agreement()
