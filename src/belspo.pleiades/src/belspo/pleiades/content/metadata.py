"""The catalog's metadata records, in small buckets.

ZCatalog keeps each object's metadata (56 columns here: 2.5 kB pickled, with five
``DateTime`` values) in one ``IOBTree``, whose buckets hold up to 60 records and
about 30 once split. A brain read from a cold cache loads its whole bucket:
30 records unpickled (0.9 ms) for the one a search result shows, in a 75 kB
pickle larger than RelStorage's local cache keeps (``cache-local-object-max``),
so it is read from the database every time. A search of 20 products read 20
such buckets. ``MetadataTree`` is the same tree with buckets of at most 8
records: a brain costs a few records, and its bucket stays in the local cache.

``Catalog.clear()`` (the ZMI's "Clear and Rebuild") puts back a plain
``IOBTree``; ``pleiades-run`` gives the catalog its small buckets again when it
starts.
"""

from BTrees.IOBTree import IOBTree


class MetadataTree(IOBTree):
    """An ``IOBTree`` of catalog records with buckets of a few records."""

    max_leaf_size = 8


def use_small_metadata_buckets(catalog) -> bool:
    """Move the catalog's metadata records into a ``MetadataTree``.

    :returns: whether they moved (False when they already were in one).
    """
    records = catalog._catalog.data
    if type(records) is MetadataTree:
        return False
    tree = MetadataTree()
    tree.update(records)
    catalog._catalog.data = tree
    return True
