"""1009 -> 1010: the catalog's metadata records in small buckets."""

from belspo.pleiades import logger
from belspo.pleiades.content.metadata import use_small_metadata_buckets
from plone import api


def small_metadata_buckets(setup):
    """Move the catalog's records into a ``MetadataTree`` (one transaction)."""
    catalog = api.portal.get_tool("portal_catalog")
    if use_small_metadata_buckets(catalog):
        logger.info("moved %d catalog records to small buckets", len(catalog))
