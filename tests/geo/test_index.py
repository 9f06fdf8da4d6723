"""The footprint catalog index: same answers as shapely, through the catalog."""

from belspo.pleiades.content.ranges import FilteringDateIndex
from belspo.pleiades.content.ranges import FilteringFieldIndex
from belspo.pleiades.geo.footprint import parse_footprint
from belspo.pleiades.geo.index import FootprintIndex
from belspo.pleiades.geo.index import FootprintIndexNodeAdapter
from belspo.pleiades.geo.index import query_geometry
from BTrees.IIBTree import IISet
from datetime import datetime
from datetime import UTC
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from Products.GenericSetup.interfaces import INode
from Products.GenericSetup.testing import DummySetupEnviron
from Products.PluginIndexes.interfaces import ILimitedResultIndex
from Products.PluginIndexes.interfaces import IPluggableIndex
from Products.PluginIndexes.interfaces import IQueryIndex
from Products.ZCatalog.ZCatalog import ZCatalog
from xml.dom.minidom import parseString
from ZODB.DB import DB
from ZODB.FileStorage import FileStorage
from zope.component import queryMultiAdapter
from zope.interface.verify import verifyObject

import json
import logging
import math
import pytest
import shapely
import transaction


def square(west, south, east, north) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def polygon(*positions) -> dict:
    return {"type": "Polygon", "coordinates": [[*positions, positions[0]]]}


class Doc:
    """Catalogued content: a footprint and a few properties."""

    def __init__(self, footprint=None, cloud_cover=0, acquisition_date=None):
        self.footprint = footprint
        self.cloud_cover = cloud_cover
        self.acquisition_date = acquisition_date or datetime(2024, 1, 1, tzinfo=UTC)


def indexed(footprints: dict, cell_size: float = 0.25) -> FootprintIndex:
    index = FootprintIndex("footprint", cell_size=cell_size)
    for docid, footprint in footprints.items():
        index.index_object(docid, Doc(footprint))
    return index


def found(index: FootprintIndex, query, resultset=None) -> set[int]:
    result, used = index._apply_index({"footprint": query}, resultset)
    assert used == ("footprint",)
    return set(result)


def brute_force(footprints: dict, geometry) -> set[int]:
    """What shapely says, footprint by footprint."""
    return {
        docid
        for docid, footprint in footprints.items()
        if shapely.intersects(parse_footprint(footprint).geometry, geometry)
    }


def box_geometry(west, south, east, north):
    """A box as STAC means it, built independently of the index."""
    if west <= east:
        return shapely.box(west, south, east, north)
    return shapely.MultiPolygon(
        [shapely.box(west, south, 180, north), shapely.box(-180, south, east, north)]
    )


# Property: the index answers as shapely does.

LATTICE = 0.125  # coordinates on cell edges (cells of 0.25, 0.5, 1) share edges
REGIONS = {
    "europe": ((2.0, 6.0), (49.0, 53.0)),
    "antimeridian": ((178.0, 182.0), (-18.0, -14.0)),  # 182 is -178
    "north pole": ((-2.0, 2.0), (87.0, 90.0)),
    "south pole": ((10.0, 14.0), (-90.0, -87.0)),
}


def coordinate(low: float, high: float):
    lattice = st.integers(math.ceil(low / LATTICE), math.floor(high / LATTICE)).map(
        lambda k: k * LATTICE
    )
    return st.one_of(lattice, lattice, st.floats(low, high))


def wrap(lon: float) -> float:
    return lon - 360 if lon > 180 else lon


@st.composite
def footprints(draw, region: str) -> dict:
    (west, east), (south, north) = REGIONS[region]
    kind = draw(st.sampled_from(["box", "box", "triangle", "large"]))
    if kind == "large":  # may contain the query
        return square(wrap(west), south, wrap(east), north)
    if kind == "box":
        x = draw(coordinate(west, east - LATTICE))
        y = draw(coordinate(south, north - LATTICE))
        size = draw(st.integers(1, 12)) * LATTICE
        return square(wrap(x), y, wrap(min(x + size, east)), min(y + size, north))
    points = [
        (draw(coordinate(west, east)), draw(coordinate(south, north))) for _ in range(3)
    ]
    (x1, y1), (x2, y2), (x3, y3) = points
    if abs((x2 - x1) * (y3 - y1) - (x3 - x1) * (y2 - y1)) < 1e-6:
        return square(wrap(west), south, wrap(west + 1), south + 1)
    return polygon(*([wrap(x), y] for x, y in points))


@st.composite
def queries(draw, region: str):
    (west, east), (south, north) = REGIONS[region]
    x1 = draw(coordinate(west, east - 1))
    x2 = x1 + draw(coordinate(LATTICE, 1))
    y1 = draw(coordinate(south, north - 1))
    y2 = y1 + draw(coordinate(LATTICE, 1))
    bbox = (wrap(x1), y1, wrap(x2), y2)
    if draw(st.booleans()):
        return bbox, box_geometry(*bbox)
    x3 = draw(coordinate(west, east))
    triangle = polygon([wrap(x1), y1], [wrap(x2), y1], [wrap(x3), y2])
    return triangle, parse_footprint(triangle).geometry


@st.composite
def scenarios(draw):
    region = draw(st.sampled_from(sorted(REGIONS)))
    docs = draw(st.lists(footprints(region), min_size=1, max_size=20))
    asked = draw(st.lists(queries(region), min_size=1, max_size=4))
    cell_size = draw(st.sampled_from([0.25, 0.5, 1.0, 0.3]))
    removed = draw(st.sets(st.integers(0, len(docs) - 1), max_size=3))
    return dict(enumerate(docs)), asked, cell_size, removed


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_same_answer_as_shapely(scenario):
    docs, asked, cell_size, removed = scenario
    index = indexed(docs, cell_size)
    for query, geometry in asked:
        expected = brute_force(docs, geometry)
        assert found(index, query) == expected
        some = IISet(sorted(docs)[::2])
        assert found(index, query, some) == expected & set(some)
    for docid in removed:
        index.unindex_object(docid)
        del docs[docid]
    for query, geometry in asked:
        assert found(index, query) == brute_force(docs, geometry)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(footprints("europe"), min_size=1, max_size=10),
    st.tuples(
        st.floats(-180, 180), st.floats(-90, 90), st.floats(-180, 180), st.floats(0, 90)
    ),
)
def test_any_box_same_answer_as_shapely(docs, bbox):
    west, south, east, north = bbox
    bbox = (west, min(south, north), east, max(south, north))
    if west == east or bbox[1] == bbox[3]:
        return
    docs = dict(enumerate(docs))
    assert found(indexed(docs), bbox) == brute_force(docs, box_geometry(*bbox))


# Edge cases, each checked against shapely as well.

ANTIMERIDIAN = square(179.5, -17, -179.5, -16)  # split in two by the index
BRUSSELS = square(4.25, 50.75, 4.5, 51)
EDGE_CASES = {
    "inside": ((4, 50, 5, 52), {"brussels"}),
    "contains the query": ((4.3, 50.8, 4.4, 50.9), {"brussels"}),
    "touches an edge": ((4.5, 50, 5, 52), {"brussels"}),
    "touches a corner": ((4.5, 51, 5, 52), {"brussels"}),
    "just off an edge": ((4.5000001, 50, 5, 52), set()),
    "point on the corner": ((4.5, 51, 4.5, 51), {"brussels"}),
    "line through": ((4, 50.8, 5, 50.8), {"brussels"}),
    "west of the antimeridian": ((179, -17.5, 179.6, -16.5), {"antimeridian"}),
    "east of the antimeridian": ((-179.6, -17.5, -179, -16.5), {"antimeridian"}),
    "box across the antimeridian": ((179.9, -16.5, -179.9, -16.2), {"antimeridian"}),
    "box across, on the north edge": ((170, -16, -170, -10), {"antimeridian"}),
    "box across, missing": ((179.9, -15.9, -179.9, -15), set()),
    "the pole": ((-180, 89.9, 180, 90), {"pole"}),
    "the whole world": ((-180, -90, 180, 90), {"brussels", "antimeridian", "pole"}),
    "across the antimeridian and the world": (
        (0, -90, -0.0001, 90),
        {"brussels", "antimeridian", "pole"},
    ),
    "polygon across the antimeridian": (
        polygon([179, -18], [-179, -18], [-179, -16.5]),
        {"antimeridian"},
    ),
    "polygon as text": (json.dumps(square(4, 50, 4.25, 50.75)), {"brussels"}),
    "polygon as a feature": (
        {"type": "Feature", "geometry": square(4.49, 50.99, 4.6, 51.1)},
        {"brussels"},
    ),
    "shapely point": (shapely.Point(4.3, 50.8), {"brussels"}),
    "shapely line": (shapely.LineString([(0, 89.95), (1, 89.95)]), {"pole"}),
    "shapely polygon": (shapely.box(4.5, 51, 6, 52), {"brussels"}),
    "a Footprint": (parse_footprint(square(-180, -20, -179, -17)), {"antimeridian"}),
}
CASE_DOCS = {
    1: BRUSSELS,
    2: ANTIMERIDIAN,
    3: square(-1, 89.5, 1, 90),
}
NAMES = {1: "brussels", 2: "antimeridian", 3: "pole"}


@pytest.mark.parametrize("cell_size", [0.25, 1.0])
@pytest.mark.parametrize("query,expected", EDGE_CASES.values(), ids=EDGE_CASES)
def test_edge_cases(query, expected, cell_size):
    index = indexed(CASE_DOCS, cell_size)
    result = found(index, query)
    assert {NAMES[docid] for docid in result} == expected
    assert result == brute_force(CASE_DOCS, query_geometry([query]))


def test_antimeridian_box_is_two_boxes():
    geometry = query_geometry((170, -10, -170, 10))
    assert geometry.equals(box_geometry(170, -10, -170, 10))
    assert geometry.area == pytest.approx(20 * 20)


BAD_QUERIES = {
    "three numbers": ((1, 2, 3), "four numbers"),
    "five numbers": ((1, 2, 3, 4, 5), "four numbers"),
    "a string in a box": ((0, 0, 1, "1"), "four numbers"),
    "a boolean in a box": ((True, 0, 1, 1), "four numbers"),
    "not finite": ((0, 0, math.inf, 1), "finite"),
    "not a number": ((0, 0, math.nan, 1), "finite"),
    "longitude": ((-181, 0, 0, 1), "longitude -181.0 is outside"),
    "latitude": ((0, -91, 1, 0), "latitude -91.0 is outside"),
    "south of north": ((0, 2, 1, 1), "south 2.0 is north of its north 1.0"),
    "empty": ((), "four numbers"),
    "none": (None, "not None"),
    "a number": (5, "not 5"),
    "not JSON": ("POLYGON((0 0, 1 0, 1 1, 0 0))", "not a box or GeoJSON geometry"),
    "a GeoJSON point": (
        {"type": "Point", "coordinates": [0, 0]},
        "a footprint is a Polygon or MultiPolygon",
    ),
    "an open ring": (
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
        "not closed",
    ),
    "a bow tie": (
        polygon([0, 0], [1, 1], [1, 0], [0, 1]),
        "invalid polygon",
    ),
    "round the pole": (
        polygon([0, 80], [120, 80], [-120, 80]),
        "goes round a pole",
    ),
    "empty shapely geometry": (shapely.Polygon(), "empty"),
    "shapely outside the world": (shapely.Point(200, 0), "outside"),
    "invalid shapely line": (shapely.LineString([(0, 0), (0, 0)]), "invalid"),
}


@pytest.mark.parametrize("query,message", BAD_QUERIES.values(), ids=BAD_QUERIES)
def test_bad_query_is_a_clear_value_error(query, message):
    index = indexed(CASE_DOCS)
    with pytest.raises(ValueError, match="^footprint: .*" + message.replace("(", ".")):
        index._apply_index({"footprint": query})


def test_bad_query_through_the_catalog(catalog):
    with pytest.raises(ValueError, match="four numbers"):
        catalog(footprint=(0, 1, 2))
    with pytest.raises(ValueError, match="operator 'within' is not valid"):
        catalog(footprint={"query": (0, 0, 1, 1), "operator": "within"})
    with pytest.raises(ValueError, match="option 'range' is not valid"):
        catalog(footprint={"query": (0, 0, 1, 1), "range": "min"})


# Indexing and unindexing.


def test_index_object_reports_changes():
    index = FootprintIndex("footprint")
    assert index.index_object(1, Doc(BRUSSELS)) == 1
    assert index.index_object(1, Doc(BRUSSELS)) == 0
    assert index.index_object(1, Doc(parse_footprint(BRUSSELS))) == 0
    assert index.numObjects() == len(index) == 1
    assert index.indexSize() == 9  # its cell and the 8 it touches
    assert index.getEntryForObject(1)["type"] == "Polygon"
    assert index.getEntryForObject(2, "none") == "none"


def test_moving_a_footprint():
    index = FootprintIndex("footprint")
    doc = Doc(BRUSSELS)
    index.index_object(1, doc)
    doc.footprint = ANTIMERIDIAN
    assert index.index_object(1, doc) == 1
    assert found(index, (4, 50, 5, 52)) == set()
    assert found(index, (179, -17, 180, -16)) == {1}
    assert index.numObjects() == 1
    assert index.getEntryForObject(1)["type"] == "MultiPolygon"


@pytest.mark.parametrize(
    "footprint",
    [None, "missing"],
)
def test_no_footprint_unindexes(footprint):
    index = FootprintIndex("footprint")
    doc = Doc(BRUSSELS)
    index.index_object(1, doc)
    if footprint == "missing":
        del doc.footprint
    else:
        doc.footprint = footprint
    assert index.index_object(1, doc) == 1
    assert index.index_object(1, doc) == 0
    assert found(index, (4, 50, 5, 52)) == set()
    assert index.numObjects() == index.indexSize() == 0


def test_invalid_footprint_warns_and_is_not_indexed(caplog):
    index = FootprintIndex("footprint")
    doc = Doc(BRUSSELS)
    index.index_object(1, doc)
    doc.footprint = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}
    with caplog.at_level(logging.WARNING):
        assert index.index_object(1, doc) == 1
    assert "not indexing 'footprint'" in caplog.text
    assert index.numObjects() == 0
    assert index.index_object(2, Doc("nonsense")) == 0


def test_callable_and_geo_interface_values():
    index = FootprintIndex("footprint", extra={"indexed_attrs": "geometry, other"})
    doc = Doc()
    doc.geometry = lambda: parse_footprint(BRUSSELS)  # e.g. an indexer method
    index.index_object(1, doc)
    assert index.getIndexSourceNames() == ("geometry", "other")
    assert index.getIndexQueryNames() == ("footprint",)
    assert found(index, (4, 50, 5, 52)) == {1}


def test_unindex_unknown_and_clear():
    index = indexed(CASE_DOCS)
    index.unindex_object(42)
    assert index.numObjects() == 3
    index.clear()
    assert index.numObjects() == index.indexSize() == 0
    assert found(index, (-180, -90, 180, 90)) == set()


def test_interfaces_and_settings():
    index = FootprintIndex("footprint", extra={"cell_size": "0.5"})
    assert verifyObject(IPluggableIndex, index)
    assert IQueryIndex.providedBy(index)
    assert not ILimitedResultIndex.providedBy(index)  # the catalog runs it first
    assert index.meta_type == "FootprintIndex"
    assert index.cell_size == 0.5
    assert index.uniqueValues() == ()
    with pytest.raises(ValueError, match="cell size"):
        FootprintIndex("footprint", cell_size=0)
    with pytest.raises(ValueError, match="too many cells"):
        FootprintIndex("footprint", cell_size=0.001)


# Through the catalog, with other indexes.


@pytest.fixture
def catalog() -> ZCatalog:
    catalog = ZCatalog("catalog")
    catalog.addIndex("footprint", FootprintIndex("footprint"))
    dates = FilteringDateIndex("acquisition_date")  # the portal's, content/ranges.py
    dates.precision = 1440
    catalog.addIndex("acquisition_date", dates)
    catalog.addIndex("cloud_cover", FilteringFieldIndex("cloud_cover"))
    scenes = {
        "clear-brussels": Doc(BRUSSELS, 5, datetime(2024, 5, 1, tzinfo=UTC)),
        "cloudy-brussels": Doc(BRUSSELS, 80, datetime(2024, 6, 1, tzinfo=UTC)),
        "clear-ghent": Doc(
            square(3.6, 51, 3.8, 51.1), 10, datetime(2023, 1, 1, tzinfo=UTC)
        ),
        "clear-fiji": Doc(ANTIMERIDIAN, 0, datetime(2024, 7, 1, tzinfo=UTC)),
        "no-footprint": Doc(None, 0),
    }
    for uid, scene in scenes.items():
        catalog.catalog_object(scene, uid)
    return catalog


def paths(brains) -> list[str]:
    return [brain.getPath() for brain in brains]


BELGIUM = (2.5, 49.5, 6.4, 51.5)
QUERY_FORMS = {
    "tuple": BELGIUM,
    "list": list(BELGIUM),
    "query tuple": {"query": BELGIUM},
    "query list": {"query": list(BELGIUM)},
    "intersects": {"query": BELGIUM, "operator": "intersects"},
    "GeoJSON": {"query": square(*BELGIUM)},
    "GeoJSON text": json.dumps(square(*BELGIUM)),
    "GeoJSON text query": {"query": json.dumps(square(*BELGIUM))},
    "shapely": shapely.box(*BELGIUM),
    "query shapely": {"query": shapely.box(*BELGIUM)},
    "Footprint": parse_footprint(square(*BELGIUM)),
}


@pytest.mark.parametrize("query", QUERY_FORMS.values(), ids=QUERY_FORMS)
def test_query_forms_through_the_catalog(catalog, query):
    brains = catalog.searchResults(footprint=query, sort_on="cloud_cover")
    assert paths(brains) == ["clear-brussels", "clear-ghent", "cloudy-brussels"]


def test_combined_with_other_indexes(catalog):
    brains = catalog.searchResults(
        footprint=BELGIUM, cloud_cover={"query": 20, "range": "max"}
    )
    assert sorted(paths(brains)) == ["clear-brussels", "clear-ghent"]
    brains = catalog(
        footprint={"query": (170, -20, -170, -10)},
        acquisition_date={
            "query": (datetime(2024, 1, 1), datetime(2024, 12, 31)),
            "range": "min:max",
        },
        sort_on="acquisition_date",
        sort_order="descending",
    )
    assert paths(brains) == ["clear-fiji"]
    brains = catalog(
        footprint=(-180, -90, 180, 90),
        acquisition_date={"query": datetime(2024, 1, 1), "range": "min"},
        sort_on="acquisition_date",
        sort_order="descending",
        sort_limit=2,
    )
    assert paths(brains)[:2] == ["clear-fiji", "cloudy-brussels"]


def test_the_footprint_runs_first_and_the_ranges_check_what_it_found(catalog):
    query = {
        "footprint": BELGIUM,
        "cloud_cover": {"query": 20, "range": "max"},
        "acquisition_date": {"query": datetime(2020, 1, 1), "range": "min"},
    }
    for _ in range(30):  # the plan learns from the times of many queries
        assert sorted(paths(catalog(**query))) == ["clear-brussels", "clear-ghent"]
    plan = catalog._catalog.getCatalogPlan(query).plan()
    assert plan[0] == "footprint"


def test_uncatalog(catalog):
    catalog.uncatalog_object("clear-brussels")
    assert paths(catalog(footprint=BELGIUM, cloud_cover=5)) == []
    assert catalog._catalog.getIndex("footprint").numObjects() == 3


# Persistence and configuration.


def test_persistent(tmp_path, catalog):
    db = DB(FileStorage(str(tmp_path / "Data.fs")))
    connection = db.open()
    connection.root()["catalog"] = catalog
    transaction.commit()
    connection.close()
    db.close()

    db = DB(FileStorage(str(tmp_path / "Data.fs")))
    connection = db.open()
    stored = connection.root()["catalog"]
    assert sorted(paths(stored(footprint=BELGIUM))) == [
        "clear-brussels",
        "clear-ghent",
        "cloudy-brussels",
    ]
    stored.catalog_object(Doc(square(4, 50, 4.1, 50.1), 1), "clear-namur")
    stored.uncatalog_object("clear-ghent")
    transaction.commit()
    connection.close()
    db.close()

    db = DB(FileStorage(str(tmp_path / "Data.fs")))
    connection = db.open()
    stored = connection.root()["catalog"]
    brains = stored(footprint=BELGIUM, cloud_cover={"query": 20, "range": "max"})
    assert sorted(paths(brains)) == ["clear-brussels", "clear-namur"]
    transaction.abort()
    connection.close()
    db.close()


def test_catalog_xml_export_and_import():
    index = FootprintIndex("footprint", cell_size=0.5)
    index.index_object(1, Doc(BRUSSELS))
    exported = FootprintIndexNodeAdapter(index, DummySetupEnviron()).node
    xml = exported.toxml()
    assert 'meta_type="FootprintIndex"' in xml
    assert '<indexed_attr value="footprint"/>' in xml
    assert '<extra name="cell_size" value="0.5"/>' in xml

    adapter = FootprintIndexNodeAdapter(index, DummySetupEnviron())
    adapter.node = parseString(xml).documentElement
    assert index.numObjects() == 1  # unchanged: kept
    adapter.node = parseString(xml.replace('"0.5"', '"1.0"')).documentElement
    assert index.cell_size == 1.0
    assert index.numObjects() == 0  # a new grid: cleared for reindexing


def test_registered_in_plone(portal):
    catalog = portal.portal_catalog
    catalog.addIndex("footprint_test", "FootprintIndex", {"cell_size": "1.0"})
    index = catalog._catalog.getIndex("footprint_test")
    assert index.cell_size == 1.0
    adapter = queryMultiAdapter((index, DummySetupEnviron()), INode)
    assert isinstance(adapter, FootprintIndexNodeAdapter)
    assert list(catalog(footprint_test=(4, 50, 5, 51))) == []
