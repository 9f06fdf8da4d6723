"""DIMAP v2: the metadata documents of Pleiades, Pleiades Neo and SPOT 6/7 products.

Plain Python (no Zope): ``read_dimap`` reads a product document (``DIM_*.XML``)
into a ``Metadata``; ``read_volume`` lists the product documents of a volume
(``VOL_*.XML``). Hostile, malformed and foreign documents raise ``DimapError``.
"""

from belspo.pleiades.dimap.reader import DimapError
from belspo.pleiades.dimap.reader import MAX_DOCUMENT_SIZE
from belspo.pleiades.dimap.reader import Metadata
from belspo.pleiades.dimap.reader import read_dimap
from belspo.pleiades.dimap.reader import read_volume


__all__ = [
    "MAX_DOCUMENT_SIZE",
    "DimapError",
    "Metadata",
    "read_dimap",
    "read_volume",
]
