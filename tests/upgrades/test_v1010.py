"""1009 -> 1010: the catalog's metadata records move to small buckets."""

from belspo.pleiades.content.metadata import MetadataTree
from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from BTrees.IOBTree import IOBTree
from plone import api
from tests.content import world

import transaction


def test_the_records_move_and_stay_readable(portal, setup_tool):
    product = world.build(portal)["product"]
    catalog = api.portal.get_tool("portal_catalog")
    (brain,) = catalog.unrestrictedSearchResults(UID=product.UID())
    cover = brain.cloud_cover
    plain = IOBTree()
    plain.update(catalog._catalog.data)
    catalog._catalog.data = plain  # as a site of 1009 has it
    records = dict(plain.items())
    transaction.savepoint(optimistic=True)
    portal._p_jar.cacheMinimize()
    setup_tool.setLastVersionForProfile(PROFILE_ID, "1009")
    upgrade_to_latest(setup_tool)
    assert type(catalog._catalog.data) is MetadataTree
    assert dict(catalog._catalog.data.items()) == records
    (brain,) = catalog.unrestrictedSearchResults(UID=product.UID())
    assert brain.cloud_cover == cover
    assert brain.getObject() == product
    assert setup_tool.getLastVersionForProfile(PROFILE_ID) >= ("1010",)
