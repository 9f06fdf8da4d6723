"""1007 -> 1008: the product range indexes check the few products already found."""

from belspo.pleiades.content.ranges import FilteringDateIndex
from belspo.pleiades.content.ranges import FilteringFieldIndex
from belspo.pleiades.content.ranges import RANGE_INDEXES
from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from DateTime import DateTime
from plone import api
from tests.content import world

import transaction


def search(catalog, **query):
    return [b.getId for b in catalog.unrestrictedSearchResults(**query)]


def test_a_new_site_has_the_filtering_indexes(portal):
    indexes = api.portal.get_tool("portal_catalog")._catalog.indexes
    assert type(indexes["acquisition_date"]) is FilteringDateIndex
    assert type(indexes["cloud_cover"]) is FilteringFieldIndex
    assert type(indexes["incidence_angle"]) is FilteringFieldIndex
    assert indexes["acquisition_date"].meta_type == "DateIndex"  # for catalog.xml


def test_the_indexes_change_class_and_keep_what_they_hold(portal, setup_tool):
    product = world.build(portal)["product"]
    catalog = api.portal.get_tool("portal_catalog")
    indexes = catalog._catalog.indexes
    query = {
        "portal_type": "Product",
        "footprint": (-180, -90, 180, 90),
        "cloud_cover": {"query": 100, "range": "max"},
        "incidence_angle": {"query": 0, "range": "min"},
    }
    query["acquisition_date"] = {
        "query": [DateTime("2000-01-01"), DateTime("2100-01-01")],
        "range": "min:max",
    }
    expected = search(catalog, **query)
    assert expected == [product.getId()]
    # A site of 1007: the plain classes, holding the same.
    for name, (plain, _) in RANGE_INDEXES.items():
        old = plain(name)
        old.__dict__.update(indexes[name].__dict__)
        indexes[name] = old
    catalog._catalog.indexes = indexes
    # As on a running site: the indexes are ghosts, not yet loaded.
    transaction.savepoint(optimistic=True)
    portal._p_jar.cacheMinimize()
    assert catalog._catalog.indexes["cloud_cover"]._p_status == "ghost"
    setup_tool.setLastVersionForProfile(PROFILE_ID, "1007")
    upgrade_to_latest(setup_tool)
    indexes = catalog._catalog.indexes
    for name, (_, filtering) in RANGE_INDEXES.items():
        assert type(indexes[name]) is filtering
    assert search(catalog, **query) == expected
    assert setup_tool.getLastVersionForProfile(PROFILE_ID) >= ("1008",)
