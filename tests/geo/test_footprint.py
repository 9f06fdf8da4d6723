"""Footprints: GeoJSON validation, orientation and the antimeridian."""

from belspo.pleiades.geo.footprint import FootprintError
from belspo.pleiades.geo.footprint import parse_footprint
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import shape

import json
import pytest


def square(west, south, east, north):
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def polygon(*positions):
    return {"type": "Polygon", "coordinates": [list(positions)]}


BRUSSELS = square(4.3, 50.8, 4.5, 50.9)


def test_polygon_kept():
    footprint = parse_footprint(BRUSSELS)
    assert footprint.type == "Polygon"
    assert footprint.crs == "EPSG:4326"
    assert footprint.bounds == pytest.approx((4.3, 50.8, 4.5, 50.9))
    assert shape(footprint.__geo_interface__).equals(shape(BRUSSELS))


def test_text_and_feature_accepted():
    as_text = parse_footprint(json.dumps(BRUSSELS))
    as_feature = parse_footprint({"type": "Feature", "geometry": BRUSSELS})
    assert as_text == as_feature == parse_footprint(BRUSSELS)


def test_exterior_ring_made_counter_clockwise():
    clockwise = {"type": "Polygon", "coordinates": [BRUSSELS["coordinates"][0][::-1]]}
    assert parse_footprint(clockwise).geometry.exterior.is_ccw


def test_antimeridian_split_in_two():
    ring = [[179, -17], [-179, -17], [-179, -16], [179, -16], [179, -17]]
    footprint = parse_footprint({"type": "Polygon", "coordinates": [ring]})
    assert footprint.type == "MultiPolygon"
    parts = sorted(p.bounds for p in footprint.geometry.geoms)
    assert parts == [(-180, -17, -179, -16), (179, -17, 180, -16)]
    assert footprint.geometry.area == pytest.approx(2)


def test_touching_the_antimeridian_is_not_split():
    footprint = parse_footprint(square(179, 10, 180, 11))
    assert footprint.type == "Polygon"


@pytest.mark.parametrize(
    "geojson,message",
    [
        ("{not json", "not GeoJSON"),
        ({"type": "Point", "coordinates": [4, 50]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": []}, "non-empty list of rings"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            "not closed",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "at least 4"),
        (square(4, 50, 190, 51), "longitude 190 is outside"),
        (square(4, 50, 5, 91), "latitude 91 is outside"),
        (square(4, 50, 5, float("nan")), "finite"),
        (square("4", 50, 5, 51), "must be numbers"),
        (polygon([0, 0], [1, 1], [1, 0], [0, 1], [0, 0]), "Self-intersection"),
        (square(4, 50, 4, 51), "invalid polygon"),
        (
            polygon([-180, 80], [-60, 80], [60, 80], [180, 80], [-180, 80]),
            "goes round a pole",
        ),
    ],
    ids=[
        "not-json", "point", "no-rings", "open-ring", "short-ring", "longitude",
        "latitude", "nan", "string", "bow-tie", "degenerate", "round-the-pole",
    ],
)  # fmt: skip
def test_bad_footprints_refused_with_a_reason(geojson, message):
    with pytest.raises(FootprintError, match=message):
        parse_footprint(geojson)


def test_overlapping_multipolygon_refused():
    data = {
        "type": "MultiPolygon",
        "coordinates": [
            square(0, 0, 2, 2)["coordinates"],
            square(1, 1, 3, 3)["coordinates"],
        ],
    }
    with pytest.raises(FootprintError, match="invalid multipolygon"):
        parse_footprint(data)


boxes = st.tuples(
    st.floats(-179, 178), st.floats(-89, 88), st.floats(0.001, 1), st.floats(0.001, 1)
)


@given(boxes)
def test_any_box_round_trips(values):
    west, south, width, height = values
    data = square(west, south, west + width, south + height)
    footprint = parse_footprint(data)
    again = parse_footprint(footprint.to_json())
    assert again.geometry.equals(footprint.geometry)
    assert footprint.geometry.area == pytest.approx(width * height, rel=1e-6)


@given(st.floats(170, 179.9), st.floats(0.2, 10), st.floats(-80, 80))
def test_crossing_the_antimeridian_keeps_the_area(west, width, south):
    east = west + width
    wrapped = east - 360 if east > 180 else east
    ring = [[west, south], [wrapped, south], [wrapped, south + 1], [west, south + 1]]
    ring.append(ring[0])
    footprint = parse_footprint({"type": "Polygon", "coordinates": [ring]})
    assert footprint.geometry.area == pytest.approx(width, rel=1e-6)
    west_, _, east_, _ = footprint.bounds
    assert -180 <= west_ <= east_ <= 180
