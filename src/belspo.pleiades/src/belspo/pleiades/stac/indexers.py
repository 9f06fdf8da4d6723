"""Catalog metadata the STAC items need that is not a field of the product."""

from belspo.pleiades.content.product import IProduct
from plone.indexer import indexer


@indexer(IProduct)
def package_size(obj) -> int:
    """The package's size in bytes, for the data asset's ``file:size``."""
    package = getattr(obj, "package", None)
    if package is None:
        raise AttributeError("package_size")
    return package.getSize()
