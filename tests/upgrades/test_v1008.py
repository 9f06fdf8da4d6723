"""1007 -> 1008 -> 1009: the product search indexes check the few products found."""

from belspo.pleiades.content.ranges import FILTERING_INDEXES
from belspo.pleiades.content.ranges import FilteringDateIndex
from belspo.pleiades.content.ranges import FilteringFieldIndex
from belspo.pleiades.content.ranges import FilteringKeywordIndex
from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from DateTime import DateTime
from plone import api
from tests.content import world

import transaction


def test_a_new_site_has_the_filtering_indexes(portal):
    indexes = api.portal.get_tool("portal_catalog")._catalog.indexes
    assert type(indexes["acquisition_date"]) is FilteringDateIndex
    assert type(indexes["cloud_cover"]) is FilteringFieldIndex
    assert type(indexes["incidence_angle"]) is FilteringFieldIndex
    assert type(indexes["portal_type"]) is FilteringFieldIndex
    assert type(indexes["allowedRolesAndUsers"]) is FilteringKeywordIndex
    for name, (plain, _) in FILTERING_INDEXES.items():  # for catalog.xml
        assert indexes[name].meta_type == plain.meta_type


def search(catalog, query):
    """What Anonymous may view, as the catalog asks for it."""
    query = {**query, "allowedRolesAndUsers": ["Anonymous"]}
    return [b.getId for b in catalog.unrestrictedSearchResults(**query)]


QUERY = {
    "portal_type": "Product",
    "footprint": (-180, -90, 180, 90),
    "cloud_cover": {"query": 100, "range": "max"},
    "incidence_angle": {"query": 0, "range": "min"},
    "acquisition_date": {
        "query": [DateTime("2000-01-01"), DateTime("2100-01-01")],
        "range": "min:max",
    },
}


def upgraded_from(portal, setup_tool, version: str, plain_names) -> None:
    """Give these indexes their plain class, as a site of this version has."""
    catalog = api.portal.get_tool("portal_catalog")
    indexes = catalog._catalog.indexes
    for name in plain_names:
        old = FILTERING_INDEXES[name][0](name)
        old.__dict__.update(indexes[name].__dict__)
        indexes[name] = old
    catalog._catalog.indexes = indexes
    # As on a running site: the indexes are ghosts, not yet loaded.
    transaction.savepoint(optimistic=True)
    portal._p_jar.cacheMinimize()
    assert catalog._catalog.indexes["cloud_cover"]._p_status == "ghost"
    setup_tool.setLastVersionForProfile(PROFILE_ID, version)
    upgrade_to_latest(setup_tool)


def test_a_site_of_1007_gets_every_filtering_index(portal, setup_tool):
    product = world.build(portal)["product"]  # published
    catalog = api.portal.get_tool("portal_catalog")
    expected = search(catalog, QUERY)
    assert expected == [product.getId()]
    upgraded_from(portal, setup_tool, "1007", FILTERING_INDEXES)
    indexes = catalog._catalog.indexes
    for name, (_, filtering) in FILTERING_INDEXES.items():
        assert type(indexes[name]) is filtering
    assert search(catalog, QUERY) == expected
    assert setup_tool.getLastVersionForProfile(PROFILE_ID) >= ("1009",)


def test_a_site_of_1008_gets_the_type_and_visibility_ones(portal, setup_tool):
    product = world.build(portal)["product"]  # published
    catalog = api.portal.get_tool("portal_catalog")
    query = {**QUERY, "mission": "PHR1A", "processing_level": "ORTHO"}
    expected = search(catalog, query)
    assert expected == [product.getId()]
    plain = ["portal_type", "allowedRolesAndUsers", "mission", "processing_level"]
    plain.append("spectral_mode")
    upgraded_from(portal, setup_tool, "1008", plain)
    indexes = catalog._catalog.indexes
    assert type(indexes["portal_type"]) is FilteringFieldIndex
    assert type(indexes["allowedRolesAndUsers"]) is FilteringKeywordIndex
    assert search(catalog, query) == expected
    # A withdrawn product is hidden from Anonymous through the new index.
    world.set_state(product, "withdrawn")
    assert search(catalog, query) == []
