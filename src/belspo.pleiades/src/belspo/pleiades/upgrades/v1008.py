"""1007 -> 1008: range indexes that check the few products already found."""

from belspo.pleiades import logger
from belspo.pleiades.content.ranges import use_filtering_ranges
from plone import api


def filtering_ranges(setup):
    """The date, cloud cover and incidence indexes get their filtering class."""
    changed = use_filtering_ranges(api.portal.get_tool("portal_catalog"))
    logger.info("filtering range indexes: %s", ", ".join(changed) or "none changed")
