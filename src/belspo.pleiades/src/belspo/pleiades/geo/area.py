"""The area of a footprint on the WGS 84 sphere, in square kilometres.

The ring formula is the one of turf and mapbox/geojson-area: Chamberlain and
Duquette, "Some Algorithms for Polygons on a Sphere" (JPL, 2007). It reads each edge
as a straight line in (longitude, sin latitude), so it is exact for boxes bounded by
meridians and parallels. The same formula, with the same radius, is in
browser/static/pleiades-map.js, so the area shown while drawing is the area computed
here.
"""

from collections.abc import Sequence

import math


# The WGS 84 equatorial radius, the sphere of geojson-area (turf now uses the mean
# radius, 6371008.8 m, which gives areas 0.2 % smaller).
RADIUS = 6378137.0


def ring_area(ring: Sequence[Sequence[float]]) -> float:
    """The signed area of a ring in m²: positive when clockwise, as geojson-area.

    :param ring: [longitude, latitude] positions; closed or not, the sum is the same.
    """
    count = len(ring)
    if count < 3:
        return 0.0
    total = 0.0
    for i in range(count):
        west = ring[i - 1]
        middle = ring[i]
        east = ring[(i + 1) % count]
        total += (math.radians(east[0]) - math.radians(west[0])) * math.sin(
            math.radians(middle[1])
        )
    return total * RADIUS * RADIUS / 2


def _polygon_area(rings: Sequence) -> float:
    """The exterior ring's area less its holes', in m²."""
    if not rings:
        return 0.0
    exterior, *holes = rings
    return abs(ring_area(exterior)) - sum(abs(ring_area(hole)) for hole in holes)


def area_km2(geometry: dict) -> float:
    """The area of a GeoJSON Polygon or MultiPolygon on the sphere, in km².

    The geometry is read as RFC 7946 has it (and ``parse_footprint`` stores it):
    split at the antimeridian, so no edge jumps from 180° to -180°.

    :param geometry: a GeoJSON Polygon or MultiPolygon, longitude/latitude degrees.
    :returns: the area, holes subtracted, in square kilometres.
    :raises ValueError: for any other kind of geometry.
    """
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        square_metres = _polygon_area(coordinates)
    elif kind == "MultiPolygon":
        square_metres = sum(_polygon_area(polygon) for polygon in coordinates)
    else:
        raise ValueError(f"the area of a Polygon or MultiPolygon, not {kind!r}")
    return square_metres / 1e6
