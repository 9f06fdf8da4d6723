"""The catalog's metadata records in small buckets (content/metadata.py)."""

from belspo.pleiades.content.metadata import MetadataTree
from belspo.pleiades.content.metadata import use_small_metadata_buckets
from BTrees.IOBTree import IOBTree
from plone import api
from tests.content import world


def bucket_sizes(tree) -> list[int]:
    sizes, bucket = [], tree._firstbucket
    while bucket is not None:
        sizes.append(len(bucket))
        bucket = bucket._next
    return sizes


def test_buckets_hold_a_few_records():
    plain, small = IOBTree(), MetadataTree()
    for rid in range(1000):
        plain[rid] = small[rid] = (rid, "a record")
    assert max(bucket_sizes(plain)) > 8
    assert max(bucket_sizes(small)) <= MetadataTree.max_leaf_size == 8
    assert list(small.items()) == list(plain.items())


def test_a_new_site_has_small_buckets(portal):
    catalog = api.portal.get_tool("portal_catalog")
    assert type(catalog._catalog.data) is MetadataTree


def test_records_move_whole_and_once(portal):
    world.build(portal)
    catalog = api.portal.get_tool("portal_catalog")
    records = dict(catalog._catalog.data.items())
    plain = IOBTree()
    plain.update(catalog._catalog.data)
    catalog._catalog.data = plain
    assert use_small_metadata_buckets(catalog) is True
    assert type(catalog._catalog.data) is MetadataTree
    assert dict(catalog._catalog.data.items()) == records
    assert use_small_metadata_buckets(catalog) is False
    brain = catalog.unrestrictedSearchResults(portal_type="Product")[0]
    assert brain.mission == "PHR1A"
    assert brain.getObject().getId() == brain.getId


def test_clear_and_rebuild_makes_it_plain_and_it_moves_back(portal):
    world.build(portal)
    catalog = api.portal.get_tool("portal_catalog")
    catalog.clearFindAndRebuild()
    assert type(catalog._catalog.data) is IOBTree  # ZCatalog's own
    assert use_small_metadata_buckets(catalog) is True
    found = catalog.unrestrictedSearchResults(portal_type="Product", mission="PHR1A")
    assert [brain.getId for brain in found] == ["p1"]
