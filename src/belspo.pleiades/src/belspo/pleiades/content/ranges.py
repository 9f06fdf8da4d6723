"""Range indexes that look at the few documents already found.

ZCatalog gives each index the documents the earlier ones found (the spatial
index comes first: it finds the fewest). A ``DateIndex`` or ``FieldIndex``
answers a range by uniting every value's documents in the range, then the
catalog intersects: a year of acquisitions is about 125 000 documents at a
million products, united to keep a few hundred. These subclasses check the
value of each document already found instead, when they are few; otherwise,
and for every other query, they are the plain indexes. They keep their
parents' ``meta_type``: catalog.xml, the ZMI and Plone see the same indexes.
"""

from BTrees.IIBTree import IISet
from Products.PluginIndexes.DateIndex.DateIndex import DateIndex
from Products.PluginIndexes.FieldIndex.FieldIndex import FieldIndex


# Documents already found up to which each one's value is checked: about
# 0.5 µs each, against milliseconds for a union over a large range.
FEW = 5000


class FilteringRanges:
    """Mixin: a range query on few documents checks their values one by one."""

    def query_index(self, record, resultset=None):
        bounds = self._few_bounds(record, resultset)
        if bounds is None:
            return super().query_index(record, resultset)
        low, high = bounds
        values = self._unindex
        found = []
        for docid in resultset:
            value = values.get(docid)
            if value is None:
                continue
            if (low is None or value >= low) and (high is None or value <= high):
                found.append(docid)
        return IISet(found)

    def _few_bounds(self, record, resultset):
        """The range's converted (low, high), or None when it is not a plain
        range over few documents."""
        if resultset is None or len(resultset) > FEW:
            return None
        which = record.get("range", None)
        if not which or record.get("not", None) or record.get("usage", None):
            return None
        keys = [self._convert(key) for key in record.keys]
        if not keys or any(key is None for key in keys):
            return None
        low = min(keys) if "min" in which else None
        high = max(keys) if "max" in which else None
        if low is None and high is None:
            return None
        return low, high


class FilteringDateIndex(FilteringRanges, DateIndex):
    """A ``DateIndex`` whose ranges over few documents check them one by one."""


class FilteringFieldIndex(FilteringRanges, FieldIndex):
    """A ``FieldIndex`` whose ranges over few documents check them one by one."""


# The product indexes searched by ranges: the class each one has, and gets.
RANGE_INDEXES = {
    "acquisition_date": (DateIndex, FilteringDateIndex),
    "cloud_cover": (FieldIndex, FilteringFieldIndex),
    "incidence_angle": (FieldIndex, FilteringFieldIndex),
}


def use_filtering_ranges(catalog) -> list[str]:
    """Give the product range indexes their filtering class, keeping what they
    hold (no reindexing).

    :returns: the names of the indexes changed.
    """
    changed = []
    indexes = catalog._catalog.indexes
    for name, (plain, cls) in RANGE_INDEXES.items():
        index = indexes.get(name)
        if type(index) is not plain:
            continue
        replacement = cls(name)
        # __getstate__ loads the index if it is a ghost (its __dict__ is empty then).
        replacement.__setstate__(index.__getstate__())
        indexes[name] = replacement
        changed.append(name)
    if changed:
        catalog._catalog._p_changed = True  # its mapping of indexes changed
    return changed
