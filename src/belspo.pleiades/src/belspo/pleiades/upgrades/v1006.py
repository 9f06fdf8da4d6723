"""1005 -> 1006: catalog metadata for STAC items (angles, raster, package)."""

from belspo.pleiades.upgrades import PROFILE_ID
from plone import api

import logging
import transaction


logger = logging.getLogger("belspo.pleiades.upgrades")


def add_stac_metadata(setup):
    """Import the new columns and fill them in for the products there are."""
    setup.runImportStepFromProfile(f"profile-{PROFILE_ID}", "catalog")
    catalog = api.portal.get_tool("portal_catalog")
    brains = catalog.unrestrictedSearchResults(portal_type="Product")
    for count, brain in enumerate(brains, 1):
        # One cheap index, and the metadata: the other indexes are unchanged.
        catalog.catalog_object(
            brain._unrestrictedGetObject(),
            brain.getPath(),
            idxs=["portal_type"],
            update_metadata=True,
        )
        if count % 1000 == 0:
            # Let the products read so far leave memory: a million do not fit.
            transaction.savepoint(optimistic=True)
            catalog._p_jar.cacheGC()
            logger.info("STAC metadata of %d products", count)
    logger.info("STAC metadata of %d products updated", len(brains))
