"""1002 -> 1003: indexes the ingest needs (request references, flagged products)."""

from belspo.pleiades.upgrades import PROFILE_ID
from plone import api


NEW_INDEXES = ["distributor_reference", "needs_attention"]


def add_ingest_indexes(setup):
    """Import the catalog and index the content already there."""
    setup.runImportStepFromProfile(f"profile-{PROFILE_ID}", "catalog")
    api.portal.get_tool("portal_catalog").manage_reindexIndex(ids=NEW_INDEXES)
