"""Indexes that look at the few documents already found.

ZCatalog gives each index the documents the earlier ones found (the spatial
index comes first: it finds the fewest). A plain index answers from its whole
value -> documents mapping, then the catalog intersects: a year of acquisitions
is about 125 000 documents at a million products, united to keep a few hundred,
and the documents of type ``Product`` or visible to ``Anonymous`` are every
product, walked bucket by bucket (loaded from the database when cold) to keep
the same few. These subclasses check the value of each document already found
instead, when they are few; otherwise, and for ``not`` and ``usage`` queries,
they are the plain indexes. They keep their parents' ``meta_type``: catalog.xml,
the ZMI and Plone see the same indexes.
"""

from BTrees.IIBTree import IISet
from collections.abc import Callable
from Products.PluginIndexes.DateIndex.DateIndex import DateIndex
from Products.PluginIndexes.FieldIndex.FieldIndex import FieldIndex
from Products.PluginIndexes.KeywordIndex.KeywordIndex import KeywordIndex


# Documents already found up to which each one's value is checked: about
# 0.5 µs each, against milliseconds for a union over a large range or an
# intersection with every product.
FEW = 5000


class Filtering:
    """Mixin: a query over few documents checks their values one by one."""

    def query_index(self, record, resultset=None):
        accepts = None
        if resultset is not None and len(resultset) <= FEW:
            accepts = self._test(record)
        if accepts is None:
            return super().query_index(record, resultset)
        values = self._unindex
        found = []
        for docid in resultset:
            value = values.get(docid)
            if value is not None and accepts(value):
                found.append(docid)
        return IISet(found)

    def _test(self, record) -> Callable[[object], bool] | None:
        """What a document's value must pass, or None to go the plain way."""
        if record.get("not", None) or record.get("usage", None):
            return None
        if not record.keys or any(key is None for key in record.keys):
            return None
        keys = [self._convert(key) for key in record.keys]
        if any(key is None for key in keys):
            return None
        which = record.get("range", None)
        if which:
            return self._range_test(which, keys)
        try:
            wanted = frozenset(keys)
        except TypeError:  # unhashable keys: the plain index decides
            return None
        return self._values_test(wanted, record.operator)

    def _values_test(self, wanted: frozenset, operator: str) -> Callable:
        """A document's value is one of those wanted."""
        return lambda value: value in wanted

    def _range_test(self, which: str, keys: list) -> Callable[[object], bool] | None:
        low = min(keys) if "min" in which else None
        high = max(keys) if "max" in which else None
        if low is None and high is None:
            return None
        return lambda value: (
            (low is None or value >= low) and (high is None or value <= high)
        )


class FilteringDateIndex(Filtering, DateIndex):
    """A ``DateIndex`` whose queries over few documents check them one by one."""


class FilteringFieldIndex(Filtering, FieldIndex):
    """A ``FieldIndex`` whose queries over few documents check them one by one."""


class FilteringKeywordIndex(Filtering, KeywordIndex):
    """A ``KeywordIndex`` whose queries over few documents check them one by one."""

    def _values_test(self, wanted: frozenset, operator: str) -> Callable:
        """A document's list of values holds all those wanted, or one of them."""
        if operator == "and":
            return wanted.issubset
        return lambda value: not wanted.isdisjoint(value)


# The indexes of product searches: the class each one has, and gets.
FILTERING_INDEXES = {
    "acquisition_date": (DateIndex, FilteringDateIndex),
    "cloud_cover": (FieldIndex, FilteringFieldIndex),
    "incidence_angle": (FieldIndex, FilteringFieldIndex),
    "mission": (FieldIndex, FilteringFieldIndex),
    "processing_level": (FieldIndex, FilteringFieldIndex),
    "spectral_mode": (FieldIndex, FilteringFieldIndex),
    "portal_type": (FieldIndex, FilteringFieldIndex),
    "allowedRolesAndUsers": (KeywordIndex, FilteringKeywordIndex),
}


def use_filtering_indexes(catalog) -> list[str]:
    """Give the product search indexes their filtering class, keeping what they
    hold (no reindexing).

    :returns: the names of the indexes changed.
    """
    changed = []
    indexes = catalog._catalog.indexes
    for name, (plain, cls) in FILTERING_INDEXES.items():
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
