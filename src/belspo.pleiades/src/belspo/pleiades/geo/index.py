"""A ZCatalog index of footprints: "the footprint intersects this box or polygon".

The index is a persistent grid of cells in longitude/latitude degrees. A document
is registered in every cell its footprint intersects; its footprint itself (its
bounding box and WKB) is stored once, in a bucket keyed by one of those cells, its
*home*, so that the shapes a query needs lie in a few buckets near the query
instead of one bucket per document: a query loads a few dozen objects from the
database, however many footprints the catalog holds.

A query takes the cells its geometry intersects. Cells it covers entirely answer
without any exact test: every document registered there intersects the cell, so
it intersects the query (cells are closed boxes, so touching counts, as in
``shapely.intersects``). The documents of the other cells are filtered by
bounding box, then tested exactly with ``shapely.intersects``. The result is the
same as testing every indexed footprint with ``shapely.intersects``.
"""

from AccessControl.class_init import InitializeClass
from AccessControl.Permissions import manage_zcatalog_indexes
from AccessControl.SecurityInfo import ClassSecurityInfo
from belspo.pleiades.geo.footprint import FootprintError
from belspo.pleiades.geo.footprint import parse_footprint
from BTrees.IIBTree import difference
from BTrees.IIBTree import IIBTree
from BTrees.IIBTree import IISet
from BTrees.IIBTree import intersection
from BTrees.IIBTree import multiunion
from BTrees.IIBTree import weightedIntersection
from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from collections.abc import Sequence
from OFS.SimpleItem import SimpleItem
from Products.GenericSetup.interfaces import ISetupEnviron
from Products.GenericSetup.utils import NodeAdapterBase
from Products.PluginIndexes.interfaces import IPluggableIndex
from Products.PluginIndexes.interfaces import IQueryIndex
from Products.PluginIndexes.interfaces import ITransposeQuery
from Products.PluginIndexes.util import safe_callable
from Products.ZCatalog.query import IndexQuery
from shapely.geometry import mapping
from zope.component import adapter
from zope.interface import implementer

import json
import logging
import math
import numbers
import numpy
import shapely


LOG = logging.getLogger(__name__)

DEFAULT_CELL_SIZE = 0.25
# Cell numbers are IOBTree keys: the grid must fit in a signed 32-bit integer.
MAX_CELLS = 2**31 - 1


class IFootprintIndex(IPluggableIndex):
    """A catalog index answering "the footprint intersects this geometry"."""


class _Registrations(IIBTree):
    """The documents registered in one cell: docid -> home cell."""

    # One bucket holds a cell's documents at 1 000 000 footprints (one load, not 3).
    max_leaf_size = 1000


class _Shapes(IOBTree):
    """The footprints stored in one home cell: docid -> (bounds..., WKB)."""

    max_leaf_size = 1000


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _box(west: float, south: float, east: float, north: float):
    """A box; a line or a point when it has no width or height."""
    if west == east and south == north:
        return shapely.Point(west, south)
    if west == east or south == north:
        return shapely.LineString([(west, south), (east, north)])
    return shapely.box(west, south, east, north)


def bbox_geometry(bbox: Sequence) -> shapely.Geometry:
    """The geometry of a STAC-like ``(west, south, east, north)`` box.

    :param bbox: four numbers; ``west > east`` means the box crosses the
        antimeridian and is split in two.
    :returns: a (Multi)Polygon, or a line or a point for a flat box.
    :raises ValueError: when the box is not four numbers within the world.
    """
    if len(bbox) != 4 or not all(_is_number(v) for v in bbox):
        raise ValueError(
            f"a box is four numbers (west, south, east, north), got {list(bbox)!r}"
        )
    west, south, east, north = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ValueError("a box is four finite numbers")
    for lon in (west, east):
        if not -180 <= lon <= 180:
            raise ValueError(f"box longitude {lon} is outside [-180, 180]")
    for lat in (south, north):
        if not -90 <= lat <= 90:
            raise ValueError(f"box latitude {lat} is outside [-90, 90]")
    if south > north:
        raise ValueError(f"box south {south} is north of its north {north}")
    if west <= east:
        return _box(west, south, east, north)
    # Crosses the antimeridian (STAC, RFC 7946 section 5.2): two boxes.
    return shapely.union_all(
        [_box(west, south, 180.0, north), _box(-180.0, south, east, north)]
    )


def _shapely_geometry(value: shapely.Geometry) -> shapely.Geometry:
    """A shapely geometry taken as it lies on the plane of longitudes and
    latitudes: a polygon wider than 180° covers that width (only GeoJSON is read
    as crossing the antimeridian)."""
    if value.is_empty:
        raise ValueError("the query geometry is empty")
    if not value.is_valid:
        raise ValueError(f"the query geometry is invalid: {value.wkt[:80]}")
    west, south, east, north = value.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise ValueError("the query geometry is outside [-180, 180] x [-90, 90]")
    return value


def query_geometry(value) -> shapely.Geometry:
    """The geometry of a footprint query value, as given to the catalog.

    :param value: a box ``(west, south, east, north)``; a GeoJSON Polygon or
        MultiPolygon (mapping or text); a shapely geometry; or an object with
        ``__geo_interface__``.
    :returns: the geometry to intersect, split at the antimeridian.
    :raises ValueError: with what is wrong with the value.
    """
    try:
        if isinstance(value, str | bytes):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(
                    f"not a box or GeoJSON geometry: {value[:80]!r}"
                ) from None
        if isinstance(value, shapely.Geometry):
            return _shapely_geometry(value)
        if isinstance(value, dict):
            return parse_footprint(value).geometry
        if hasattr(value, "__geo_interface__"):
            return parse_footprint(dict(value.__geo_interface__)).geometry
        if isinstance(value, Sequence | numpy.ndarray):
            if len(value) == 1:
                return query_geometry(value[0])
            return bbox_geometry(value)
    except FootprintError as error:
        raise ValueError(f"invalid query geometry: {error}") from None
    raise ValueError(
        "a footprint query is a box (west, south, east, north) or a GeoJSON "
        f"Polygon/MultiPolygon, not {value!r}"
    )


# Not an ILimitedResultIndex: ZCatalog runs the indexes that are not first, so
# the footprint, which finds the fewest documents, always comes first and the
# range indexes after it check only what it found (content/ranges.py). Ranked
# among limited indexes by their mean time, it would swap places with them.
@implementer(IFootprintIndex, IQueryIndex, ITransposeQuery)
class FootprintIndex(SimpleItem):
    """Index footprints on a grid; query "intersects a box or a polygon"."""

    meta_type = "FootprintIndex"
    security = ClassSecurityInfo()
    # Only the catalog (trusted code) uses it; nothing of it is published.
    security.declareObjectProtected(manage_zcatalog_indexes)
    zmi_icon = "fas fa-globe-europe"
    operators = ("intersects",)
    useOperator = "intersects"
    query_options = ("query", "operator")

    def __init__(
        self,
        id: str,
        extra=None,
        caller=None,
        cell_size: float | None = None,
    ):
        """Create an index of the attribute ``id`` (or ``extra.indexed_attrs``)."""
        self.id = id
        attrs = _extra(extra, "indexed_attrs", id)
        if isinstance(attrs, str):
            attrs = attrs.split(",")
        self.indexed_attrs = [a.strip() for a in attrs if a.strip()] or [id]
        if cell_size is None:
            cell_size = _extra(extra, "cell_size", DEFAULT_CELL_SIZE)
        self._set_cell_size(cell_size)
        self.clear()

    # The grid.

    def _set_cell_size(self, cell_size) -> None:
        try:
            size = float(cell_size)
        except (TypeError, ValueError):
            raise ValueError(f"cell size must be a number, not {cell_size!r}") from None
        if not 0 < size <= 180:
            raise ValueError(f"cell size must be in (0, 180] degrees, not {size}")
        # 1e-9: a size like 0.1 gives 3599.9999999999995 columns, meaning 3600.
        columns = math.ceil(360 / size - 1e-9)
        rows = math.ceil(180 / size - 1e-9)
        if columns * rows > MAX_CELLS:
            raise ValueError(f"cell size {size} makes too many cells")
        self.cell_size = size
        self._columns = columns
        self._rows = rows

    def _cell_range(self, bounds) -> tuple[int, int, int, int]:
        """Columns and rows of the cells a bounding box may touch."""
        west, south, east, north = bounds
        size = self.cell_size
        # One more cell on each side: a coordinate on a cell edge, rounded
        # either way, still finds both cells (the exact test decides).
        return (
            max(math.floor((west + 180) / size) - 1, 0),
            max(math.floor((south + 90) / size) - 1, 0),
            min(math.floor((east + 180) / size) + 1, self._columns - 1),
            min(math.floor((north + 90) / size) + 1, self._rows - 1),
        )

    def _cell_boxes(self, cells: numpy.ndarray) -> numpy.ndarray:
        """The boxes of cell numbers, computed the same way at index and query."""
        rows, columns = numpy.divmod(cells, self._columns)
        size = self.cell_size
        return shapely.box(
            -180.0 + columns * size,
            -90.0 + rows * size,
            -180.0 + (columns + 1) * size,
            -90.0 + (rows + 1) * size,
        )

    def _cell_ranges(self, geometry: shapely.Geometry):
        """The cell ranges around each part of a geometry."""
        # Part by part: a footprint split at the antimeridian has a bounding box
        # from -180 to 180, its parts do not.
        for part in shapely.get_parts(geometry):
            yield self._cell_range(part.bounds)

    def _cells_of(self, geometry: shapely.Geometry) -> numpy.ndarray:
        """The numbers of the cells a geometry intersects, in increasing order."""
        blocks = []
        for c0, r0, c1, r1 in self._cell_ranges(geometry):
            rows, columns = numpy.mgrid[r0 : r1 + 1, c0 : c1 + 1]
            blocks.append((rows * self._columns + columns).ravel())
        cells = numpy.unique(numpy.concatenate(blocks))
        if len(cells) > 4:
            shapely.prepare(geometry)
        return cells[shapely.intersects(geometry, self._cell_boxes(cells))]

    def _stored_cells(self, geometry: shapely.Geometry) -> list[int]:
        """The non-empty cells around a geometry, in increasing order."""
        cells = set()
        for c0, r0, c1, r1 in self._cell_ranges(geometry):
            for row in range(r0, r1 + 1):
                first = row * self._columns
                cells.update(self._cells.keys(first + c0, first + c1))
        return sorted(cells)

    # IPluggableIndex

    def getId(self) -> str:
        return self.id

    def clear(self) -> None:
        """Empty the index."""
        self._cells = IOBTree()  # cell -> _Registrations
        self._shapes = IOBTree()  # home cell -> _Shapes
        self._homes = IIBTree()  # docid -> home cell
        self._length = Length()
        self._cell_count = Length()

    def numObjects(self) -> int:
        """The number of indexed documents."""
        return self._length()

    def indexSize(self) -> int:
        """The number of non-empty cells."""
        return self._cell_count()

    def __len__(self) -> int:
        return self._length()

    def getIndexSourceNames(self) -> tuple[str, ...]:
        return tuple(self.indexed_attrs)

    def getIndexQueryNames(self) -> tuple[str, ...]:
        return (self.id,)

    def getEntryForObject(self, documentId: int, default=None):
        """The indexed footprint of a document, as a GeoJSON mapping."""
        record = self._record(documentId)
        if record is None:
            return default
        return mapping(shapely.from_wkb(record[4]))

    def uniqueValues(self, name=None, withLengths=False):
        """Footprints have no useful unique values."""
        return ()

    def hasUniqueValuesFor(self, name) -> bool:
        return False

    def _record(self, documentId: int):
        home = self._homes.get(documentId)
        if home is None:
            return None
        return self._shapes[home][documentId]

    def _footprint(self, obj) -> shapely.Geometry | None:
        """The valid footprint of an object, or None (missing or invalid)."""
        for attr in self.indexed_attrs:
            try:
                value = getattr(obj, attr)
                if safe_callable(value) and not hasattr(value, "__geo_interface__"):
                    value = value()
            except (AttributeError, TypeError):
                continue
            if value is None:
                continue
            try:
                if hasattr(value, "__geo_interface__"):
                    value = dict(value.__geo_interface__)
                return parse_footprint(value).geometry
            except (FootprintError, TypeError, ValueError) as error:
                # A bad footprint must not stop cataloguing: log, do not index.
                LOG.warning("%s: not indexing %r of %r: %s", self.id, attr, obj, error)
                return None
        return None

    def index_object(self, documentId: int, obj, threshold=None) -> int:
        """Index the footprint of ``obj``; 1 if the index changed, else 0."""
        geometry = self._footprint(obj)
        if geometry is None:
            if documentId in self._homes:
                self.unindex_object(documentId)
                return 1
            return 0
        wkb = shapely.to_wkb(geometry)
        old = self._record(documentId)
        if old is not None:
            if old[4] == wkb:
                return 0
            self.unindex_object(documentId)
        self._insert(documentId, geometry, wkb)
        return 1

    def _insert(self, documentId: int, geometry, wkb: bytes) -> None:
        cells = self._cells_of(geometry).tolist()
        if not cells:  # cannot happen for a footprint within the world
            LOG.warning("%s: footprint of %s is in no cell", self.id, documentId)
            return
        home = cells[0]
        for cell in cells:
            registrations = self._cells.get(cell)
            if registrations is None:
                registrations = self._cells[cell] = _Registrations()
                self._cell_count.change(1)
            registrations[documentId] = home
        shapes = self._shapes.get(home)
        if shapes is None:
            shapes = self._shapes[home] = _Shapes()
        shapes[documentId] = (*geometry.bounds, wkb)
        self._homes[documentId] = home
        self._length.change(1)

    def unindex_object(self, documentId: int) -> None:
        """Remove a document; unknown documents are ignored."""
        home = self._homes.get(documentId)
        if home is None:
            return
        shapes = self._shapes[home]
        geometry = shapely.from_wkb(shapes[documentId][4])
        # Every cell it may be in, rather than recomputing the exact ones.
        for cell in self._stored_cells(geometry):
            registrations = self._cells[cell]
            if documentId in registrations:
                del registrations[documentId]
                if not registrations:
                    del self._cells[cell]
                    self._cell_count.change(-1)
        del shapes[documentId]
        if not shapes:
            del self._shapes[home]
        del self._homes[documentId]
        self._length.change(-1)

    def cells_bounds(self, docids) -> tuple[float, float, float, float] | None:
        """The bounds of the cells holding any of these documents, or None.

        A box that contains their footprints, to the cell size, found row by
        row from the grid's ends without reading a footprint: what a STAC
        collection's extent needs.

        :param docids: an ``IISet`` or ``IITreeSet`` of document ids.
        """
        columns, size = self._columns, self.cell_size
        west = east = south = north = None
        cell = self._next_cell(0)
        while cell is not None:
            row = cell // columns
            first = self._first_holding(docids, row * columns, row * columns + columns)
            if first is not None:
                last = self._last_holding(
                    docids, row * columns, row * columns + columns
                )
                west = first % columns if west is None else min(west, first % columns)
                east = last % columns if east is None else max(east, last % columns)
                south = row if south is None else south
                north = row
            cell = self._next_cell((row + 1) * columns)
        if west is None:
            return None
        return (
            -180.0 + west * size,
            -90.0 + south * size,
            min(-180.0 + (east + 1) * size, 180.0),
            min(-90.0 + (north + 1) * size, 90.0),
        )

    def _next_cell(self, start: int) -> int | None:
        try:
            return self._cells.minKey(start)
        except ValueError:
            return None

    def _holds(self, cell: int, docids) -> bool:
        registrations = self._cells[cell]
        if len(docids) <= 8 * len(registrations):
            return bool(intersection(registrations, docids))
        # Many documents wanted: one of the first few registered is likely one.
        return any(docid in docids for docid in registrations)

    def _first_holding(self, docids, start: int, stop: int) -> int | None:
        for cell in self._cells.keys(start, stop - 1):
            if self._holds(cell, docids):
                return cell
        return None

    def _last_holding(self, docids, start: int, stop: int) -> int | None:
        cell = self._cells.maxKey(stop - 1)
        while cell >= start:
            if self._holds(cell, docids):
                return cell
            try:
                cell = self._cells.maxKey(cell - 1)
            except ValueError:
                return None
        return None

    # Queries

    def _wrapped(self, value) -> dict | None:
        """A query value the catalog would misread, as ``{"query": value}``."""
        if isinstance(value, list | tuple):
            # The catalog sorts list and tuple values: (west, south, ...) no more.
            return {"query": tuple(value)}
        if isinstance(value, dict) and "query" not in value and "type" in value:
            # A bare GeoJSON geometry, not a mapping of query options.
            return {"query": value}
        return None

    def make_query(self, query: dict) -> dict:
        """Protect a box or a bare GeoJSON value before the catalog reads it."""
        wrapped = self._wrapped(query.get(self.id))
        if wrapped is None:
            return query
        query = dict(query)
        query[self.id] = wrapped
        return query

    def getIndexNames(self) -> tuple[str, ...]:
        """No other index is replaced by this one (ITransposeQuery)."""
        return ()

    def _apply_index(self, request, resultset=None):
        """Apply a query mapping; ``(result, (id,))``, or None if not queried."""
        wrapped = self._wrapped(request.get(self.id))
        if wrapped is not None:
            request = {self.id: wrapped}
        record = IndexQuery(
            request, self.id, self.query_options, self.operators, self.useOperator
        )
        if record.keys is None:
            return None
        return self.query_index(record, resultset=resultset), (self.id,)

    def query_index(self, record, resultset=None):
        """The docids whose footprint intersects the query geometry.

        :raises ValueError: when the query value is not a box or a geometry.
        """
        if record.operator != "intersects":
            raise ValueError(f"{self.id}: only the operator 'intersects' is known")
        try:
            geometry = query_geometry(record.keys)
        except ValueError as error:
            raise ValueError(f"{self.id}: {error}") from None
        return self.intersecting(geometry, resultset)

    def intersecting(self, geometry: shapely.Geometry, resultset=None):
        """The docids whose footprint intersects ``geometry`` (within resultset)."""
        if resultset is not None and not resultset:
            return IISet()
        cells = self._stored_cells(geometry)
        if not cells:
            return IISet()
        cells = numpy.array(cells, dtype=numpy.int64)
        boxes = self._cell_boxes(cells)
        shapely.prepare(geometry)
        touched = shapely.intersects(geometry, boxes)
        covered = touched & shapely.covers(geometry, boxes)
        border = touched & ~covered

        accepted = multiunion([self._cells[c] for c in cells[covered].tolist()])
        if resultset is not None:
            accepted = intersection(accepted, resultset)
        border_cells = [self._cells[c] for c in cells[border].tolist()]
        if not border_cells:
            return accepted
        candidates = difference(multiunion(border_cells), accepted)
        if resultset is not None:
            candidates = intersection(candidates, resultset)
        if not candidates:
            return accepted
        return multiunion([accepted, self._exact(geometry, border_cells, candidates)])

    def _exact(self, geometry, border_cells, candidates) -> IISet:
        """The candidates whose footprint intersects the geometry, tested exactly."""
        by_home: dict[int, list[int]] = {}
        for registrations in border_cells:
            _, found = weightedIntersection(registrations, candidates, 1, 0)
            for documentId, home in found.items():
                by_home.setdefault(home, []).append(documentId)
        docids = []
        records = []
        for home, documents in by_home.items():
            shapes = self._shapes[home]
            for documentId in set(documents):
                docids.append(documentId)
                records.append(shapes[documentId])
        bounds = numpy.array([r[:4] for r in records], dtype=float)[:, :, None]
        # Against each part's box: a query across the antimeridian spans the world.
        west, south, east, north = shapely.bounds(shapely.get_parts(geometry)).T
        near = (
            (bounds[:, 0] <= east)
            & (bounds[:, 2] >= west)
            & (bounds[:, 1] <= north)
            & (bounds[:, 3] >= south)
        ).any(axis=1)
        wkbs = numpy.array([records[i][4] for i in numpy.flatnonzero(near)], object)
        hits = shapely.intersects(geometry, shapely.from_wkb(wkbs))
        docids = numpy.array(docids, dtype=numpy.int64)[near][hits]
        return IISet(docids.tolist())


InitializeClass(FootprintIndex)


def _extra(extra, name: str, default):
    """A setting from an index's ``extra`` (a mapping or a record), or default."""
    if extra is None:
        return default
    if isinstance(extra, dict):
        return extra.get(name, default)
    return getattr(extra, name, default)


@adapter(IFootprintIndex, ISetupEnviron)
class FootprintIndexNodeAdapter(NodeAdapterBase):
    """catalog.xml export and import of a FootprintIndex."""

    def _exportNode(self):
        node = self._getObjectNode("index")
        for value in self.context.getIndexSourceNames():
            child = self._doc.createElement("indexed_attr")
            child.setAttribute("value", value)
            node.appendChild(child)
        child = self._doc.createElement("extra")
        child.setAttribute("name", "cell_size")
        child.setAttribute("value", repr(self.context.cell_size))
        node.appendChild(child)
        return node

    def _importNode(self, node):
        index = self.context
        before = (list(index.indexed_attrs), index.cell_size)
        attrs = []
        cell_size = index.cell_size
        for child in node.childNodes:
            if child.nodeName == "indexed_attr":
                attrs.append(child.getAttribute("value"))
            elif (
                child.nodeName == "extra" and child.getAttribute("name") == "cell_size"
            ):
                cell_size = child.getAttribute("value")
        index._set_cell_size(cell_size)
        index.indexed_attrs = attrs or list(index.indexed_attrs)
        if (list(index.indexed_attrs), index.cell_size) != before:
            # The grid or the source changed: what is indexed no longer fits.
            index.clear()

    node = property(_exportNode, _importNode)
