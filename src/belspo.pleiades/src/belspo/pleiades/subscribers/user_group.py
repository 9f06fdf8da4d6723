"""Keep a UserGroup's PAS group and its requests' security in step with it."""

from belspo.pleiades import logger
from plone import api


def create_pas_group(group, event) -> None:
    """Give a new UserGroup the PAS group that holds its members."""
    if api.group.get(groupname=group.group_id) is None:
        api.group.create(groupname=group.group_id, title=group.Title())
        logger.info("created PAS group %s", group.group_id)


def delete_pas_group(group, event) -> None:
    """Remove the PAS group with the UserGroup (not when only moved)."""
    if event.newParent is None and api.group.get(groupname=group.group_id):
        api.group.delete(groupname=group.group_id)
        logger.info("deleted PAS group %s", group.group_id)


def reindex_requests(group, event) -> None:
    """Leaders may have changed: recompute who sees the group's requests."""
    group.reindexObjectSecurity()
    catalog = api.portal.get_tool("portal_catalog")
    for brain in catalog.unrestrictedSearchResults(
        portal_type="AcquisitionRequest", user_group=group.getId()
    ):
        brain._unrestrictedGetObject().reindexObjectSecurity()
