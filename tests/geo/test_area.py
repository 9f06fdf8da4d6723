"""Footprint areas on the WGS 84 sphere, against the closed form of a lon/lat box."""

from belspo.pleiades.geo.area import area_km2
from belspo.pleiades.geo.area import RADIUS
from hypothesis import given
from hypothesis import strategies as st

import math
import pytest


# The suite's conftest sets the Plone layers up for every test (pytest-plone's
# autouse "keep" fixtures); the area is plain Python, so these tests skip them.
@pytest.fixture(scope="session")
def _keep_functional_session():
    """No Plone layer for the area tests."""


@pytest.fixture(scope="session")
def _keep_integration_session():
    """No Plone layer for the area tests."""


def box_ring(west, south, east, north) -> list:
    """A counter-clockwise closed ring round a longitude/latitude box."""
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def box(west, south, east, north) -> dict:
    return {"type": "Polygon", "coordinates": [box_ring(west, south, east, north)]}


def closed_form_km2(west, south, east, north) -> float:
    """2πR²·|sin φ1 − sin φ2|·Δλ/360: the area of a box on the sphere."""
    band = abs(math.sin(math.radians(north)) - math.sin(math.radians(south)))
    return 2 * math.pi * RADIUS**2 * band * abs(east - west) / 360 / 1e6


def test_one_degree_cell_at_the_equator():
    expected = closed_form_km2(0, 0, 1, 1)
    assert expected == pytest.approx(12391.4, abs=0.1)  # 12 364 km² on turf's radius
    assert area_km2(box(0, 0, 1, 1)) == pytest.approx(expected, rel=1e-12)


def test_orientation_and_closing_position_do_not_matter():
    ring = box_ring(4, 50, 5, 51)
    clockwise = {"type": "Polygon", "coordinates": [ring[::-1]]}
    open_ring = {"type": "Polygon", "coordinates": [ring[:-1]]}
    expected = closed_form_km2(4, 50, 5, 51)
    assert area_km2(clockwise) == pytest.approx(expected, rel=1e-12)
    assert area_km2(open_ring) == pytest.approx(expected, rel=1e-12)


def test_a_hole_is_subtracted():
    with_hole = {
        "type": "Polygon",
        "coordinates": [box_ring(0, 0, 4, 4), box_ring(1, 1, 2, 2)[::-1]],
    }
    expected = closed_form_km2(0, 0, 4, 4) - closed_form_km2(1, 1, 2, 2)
    assert area_km2(with_hole) == pytest.approx(expected, rel=1e-12)


def test_a_multipolygon_sums_its_parts():
    # A footprint split at the antimeridian, as parse_footprint stores it.
    split = {
        "type": "MultiPolygon",
        "coordinates": [
            [box_ring(179, -17, 180, -16)],
            [box_ring(-180, -17, -179, -16)],
        ],
    }
    whole = closed_form_km2(179, -17, 181, -16)
    assert area_km2(split) == pytest.approx(whole, rel=1e-12)


def test_degenerate_rings_have_no_area():
    assert area_km2({"type": "Polygon", "coordinates": []}) == 0
    assert area_km2({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}) == 0


@pytest.mark.parametrize("kind", ["Point", "LineString", "GeometryCollection", None])
def test_other_geometries_are_refused(kind):
    with pytest.raises(ValueError, match="Polygon or MultiPolygon"):
        area_km2({"type": kind, "coordinates": [0, 0]})


longitudes = st.floats(min_value=-180, max_value=180)
latitudes = st.floats(min_value=-90, max_value=90)


@given(west=longitudes, east=longitudes, south=latitudes, north=latitudes)
def test_a_box_has_the_closed_form_area(west, east, south, north):
    expected = closed_form_km2(west, south, east, north)
    assert area_km2(box(west, south, east, north)) == pytest.approx(
        expected, rel=1e-9, abs=1e-6
    )
