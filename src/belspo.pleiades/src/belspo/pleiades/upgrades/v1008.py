"""1007 -> 1008 and 1008 -> 1009: product search indexes that check the few
products already found (the range indexes since 1008; the type, visibility,
mission, level and mode indexes since 1009)."""

from belspo.pleiades import logger
from belspo.pleiades.content.ranges import use_filtering_indexes
from plone import api


def filtering_indexes(setup):
    """The product search indexes without their filtering class get it."""
    changed = use_filtering_indexes(api.portal.get_tool("portal_catalog"))
    logger.info("filtering indexes: %s", ", ".join(changed) or "none changed")
