"""The pure parts: date-times, boxes, CQL2 checks, antimeridian boxes, extents."""

from belspo.pleiades.geo.index import FootprintIndex
from belspo.pleiades.stac import filters
from belspo.pleiades.stac.items import antimeridian_bbox
from belspo.pleiades.stac.search import parse_bbox
from belspo.pleiades.stac.search import parse_interval
from belspo.pleiades.stac.search import Search
from belspo.pleiades.stac.search import SearchError
from BTrees.IIBTree import IITreeSet
from datetime import datetime
from datetime import UTC
from stac_api_validator.validations import invalid_datetimes
from stac_api_validator.validations import valid_datetimes
from types import SimpleNamespace

import pytest
import shapely


@pytest.mark.parametrize("text", valid_datetimes)
def test_valid_datetimes(text):
    parse_interval(text)


@pytest.mark.parametrize("text", invalid_datetimes)
def test_invalid_datetimes(text):
    with pytest.raises(SearchError):
        parse_interval(text)


def test_datetimes_are_utc():
    start, end = parse_interval("2024-01-01T12:00:00+02:00/..")
    assert start == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert end is None


@pytest.mark.parametrize(
    "value,expected",
    [
        ("1,2,3,4", (1.0, 2.0, 3.0, 4.0)),
        ([170, -10, -170, 10], (170.0, -10.0, -170.0, 10.0)),
        ([1, 2, 0, 3, 4, 100], (1.0, 2.0, 3.0, 4.0)),
    ],
)
def test_bbox(value, expected):
    assert parse_bbox(value) == expected


class FakeRecord:
    """A record with fixed property values."""

    def __init__(self, **values):
        self.values = values
        self.geometry = values.get("geometry")

    def get(self, name):
        return self.values.get(name)


def matches(text: str, **values) -> bool:
    search = Search()
    filters.apply(filters.parse(text, None, "cql2-text"), search)
    return search.matches(FakeRecord(**values))


def test_three_valued_logic():
    # A comparison with a missing value is unknown: neither it nor its negation.
    assert not matches("view:sun_elevation > 10")
    assert not matches("NOT (view:sun_elevation > 10)")
    assert matches("view:sun_elevation > 10 OR TRUE")
    assert matches("view:sun_elevation IS NULL")


def test_checks_for_what_no_index_answers():
    values = {"view:sun_elevation": 35.0, "view:azimuth": 200.0, "gsd": 0.5}
    assert matches("view:sun_elevation BETWEEN 30 AND 40 AND gsd = 0.5", **values)
    assert not matches("view:azimuth < 180", **values)
    assert matches("view:azimuth IN (100, 200)", **values)


def test_indexed_conjuncts_go_to_the_catalog():
    search = Search()
    text = (
        "eo:cloud_cover <= 20 AND platform = 'spot-6' AND processing:level IN "
        "('ORTHO') AND view:incidence_angle BETWEEN 5 AND 15"
    )
    filters.apply(filters.parse(text, None, "cql2-text"), search)
    assert search.query["cloud_cover"] == {"query": 20.0, "range": "max"}
    assert search.query["mission"] == ["SPOT6"]
    assert search.query["processing_level"] == ["ORTHO"]
    assert search.query["incidence_angle"] == {"query": [5.0, 15.0], "range": "min:max"}
    assert search.exact  # nothing left to check on the brains


def test_a_cql2_json_filter_sent_again_is_the_same_and_a_bad_one_always_fails():
    tree = {"op": "<=", "args": [{"property": "eo:cloud_cover"}, 20]}
    first = filters.parse(tree, "cql2-json", "cql2-text")
    first["args"][1] = 99  # what a caller does with its copy stays there
    assert filters.parse(tree, "cql2-json", "cql2-text") == tree
    bad = {"op": "<=", "args": [{"property": "eo:cloud_cover"}]}
    for _ in range(2):
        with pytest.raises(SearchError, match="invalid cql2-json filter"):
            filters.parse(bad, "cql2-json", "cql2-text")


def test_a_maximum_of_zero_is_a_maximum():
    search = Search()
    filters.apply(filters.parse("eo:cloud_cover <= 0", None, "cql2-text"), search)
    high = search.query["cloud_cover"]["query"]
    assert high > 0 and high < 1e-300  # the catalog reads 0 as no maximum


def test_an_unknown_platform_matches_nothing():
    search = Search()
    filters.apply(filters.parse("platform = 'landsat-8'", None, "cql2-text"), search)
    assert search.nothing


def test_antimeridian_bbox():
    fiji = shapely.MultiPolygon(
        [shapely.box(179.5, -17, 180, -16), shapely.box(-180, -17, -179.5, -16)]
    )
    as_geojson = shapely.geometry.mapping
    assert antimeridian_bbox(as_geojson(fiji)) == [179.5, -17.0, -179.5, -16.0]
    box = as_geojson(shapely.box(4, 50, 5, 51))
    assert antimeridian_bbox(box) == [4.0, 50.0, 5.0, 51.0]


def test_cells_bounds_of_some_documents():
    index = FootprintIndex("footprint", cell_size=1.0)
    footprints = {
        1: shapely.box(4.2, 50.2, 4.8, 50.8),
        2: shapely.box(-10.5, 40.5, -10.2, 40.8),
        3: shapely.box(20.1, 60.1, 20.3, 60.3),
    }
    for docid, shape in footprints.items():
        index.index_object(
            docid, SimpleNamespace(footprint=shapely.geometry.mapping(shape))
        )
    assert index.cells_bounds(IITreeSet([1])) == (4.0, 50.0, 5.0, 51.0)
    assert index.cells_bounds(IITreeSet([1, 2])) == (-11.0, 40.0, 5.0, 51.0)
    assert index.cells_bounds(IITreeSet([3])) == (20.0, 60.0, 21.0, 61.0)
    assert index.cells_bounds(IITreeSet([9])) is None
