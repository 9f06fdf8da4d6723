"""Parse and validate GeoJSON footprints (WGS 84 longitude/latitude).

A footprint is stored as an RFC 7946 Polygon or MultiPolygon: rings closed,
exterior rings counter-clockwise, longitudes in [-180, 180], latitudes in
[-90, 90], and a geometry crossing the antimeridian split in two parts on either
side of it (RFC 7946, section 3.1.9). Anything else raises ``FootprintError`` with
a message for the person who gave it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from shapely.affinity import translate
from shapely.geometry import box
from shapely.geometry import mapping
from shapely.geometry import MultiPolygon
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

import json
import math


CRS = "EPSG:4326"
WORLD = box(-180, -90, 180, 90)
# The world shifted by 360 degrees: what lies east of the antimeridian once unwrapped.
EAST_OF_ANTIMERIDIAN = box(180, -90, 540, 90)


class FootprintError(ValueError):
    """A footprint that cannot be stored; the message says why."""


@dataclass(frozen=True)
class Footprint:
    """A valid footprint: a shapely (Multi)Polygon in longitude/latitude."""

    geometry: Polygon | MultiPolygon

    @property
    def type(self) -> str:
        return self.geometry.geom_type

    @property
    def coordinates(self) -> list:
        return _lists(mapping(self.geometry)["coordinates"])

    @property
    def crs(self) -> str:
        return CRS

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the parts, as shapely gives them."""
        return self.geometry.bounds

    @property
    def __geo_interface__(self) -> dict:
        return {"type": self.type, "coordinates": self.coordinates}

    def to_json(self) -> str:
        return json.dumps(self.__geo_interface__)


def _lists(value):
    """Turn shapely's nested tuples into the lists JSON has."""
    if isinstance(value, tuple | list):
        return [_lists(item) for item in value]
    return value


def _position(value, where: str) -> tuple[float, float]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) < 2:
        raise FootprintError(f"{where}: a position is [longitude, latitude]")
    lon, lat = value[0], value[1]
    for number in (lon, lat):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise FootprintError(
                f"{where}: coordinates must be numbers, got {number!r}"
            )
        if not math.isfinite(number):
            raise FootprintError(f"{where}: coordinates must be finite numbers")
    if not -180 <= lon <= 180:
        raise FootprintError(f"{where}: longitude {lon} is outside [-180, 180]")
    if not -90 <= lat <= 90:
        raise FootprintError(f"{where}: latitude {lat} is outside [-90, 90]")
    # Twelve decimals (far below a millimetre) flush denormal values, on which
    # GEOS's overlay is not robust.
    return round(float(lon), 12), round(float(lat), 12)


def _ring(value, where: str) -> list[tuple[float, float]]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise FootprintError(f"{where}: a ring is a list of positions")
    positions = [
        _position(p, f"{where}, position {i + 1}") for i, p in enumerate(value)
    ]
    if len(positions) < 4:
        raise FootprintError(f"{where}: a ring needs at least 4 positions")
    if positions[0] != positions[-1]:
        raise FootprintError(f"{where}: the ring is not closed (first != last)")
    return positions


def _unwrap(ring: list[tuple[float, float]], where: str) -> list[tuple[float, float]]:
    """Make longitudes continuous across the antimeridian (values may pass 180)."""
    result = [ring[0]]
    for lon, lat in ring[1:]:
        previous = result[-1][0]
        while lon - previous > 180:
            lon -= 360
        while previous - lon > 180:
            lon += 360
        result.append((lon, lat))
    if abs(result[-1][0] - result[0][0]) > 1e-9:
        raise FootprintError(
            f"{where}: the ring goes round a pole; give such a footprint with the "
            "pole's edge as vertices (e.g. a box up to latitude 90)"
        )
    if min(lon for lon, _ in result) < -180:
        result = [(lon + 360, lat) for lon, lat in result]
    return result


def _polygon(rings, where: str) -> Polygon | MultiPolygon:
    if not isinstance(rings, Sequence) or isinstance(rings, str) or not rings:
        raise FootprintError(f"{where}: a polygon is a non-empty list of rings")
    checked = [
        _unwrap(_ring(r, f"{where}, ring {i + 1}"), f"{where}, ring {i + 1}")
        for i, r in enumerate(rings)
    ]
    polygon = Polygon(checked[0], checked[1:])
    if not polygon.is_valid:
        raise FootprintError(f"{where}: invalid polygon: {explain_validity(polygon)}")
    if polygon.area == 0:
        raise FootprintError(f"{where}: the polygon has no area")
    if polygon.bounds[2] <= 180:
        return orient(polygon)
    # Crosses the antimeridian: the part east of it moves back by 360 degrees.
    west = polygon.intersection(WORLD)
    east = polygon.intersection(EAST_OF_ANTIMERIDIAN)
    east = translate(east, xoff=-360).intersection(WORLD)
    parts = [p for p in (west, east) if not p.is_empty and p.area > 0]
    return MultiPolygon([orient(p) for p in _polygons(parts)])


def _polygons(geometries) -> list[Polygon]:
    result = []
    for geometry in geometries:
        result.extend(getattr(geometry, "geoms", [geometry]))
    return [g for g in result if isinstance(g, Polygon)]


def parse_footprint(data: str | bytes | dict) -> Footprint:
    """Parse a GeoJSON Polygon or MultiPolygon (or a Feature with one).

    :param data: GeoJSON text, or the decoded mapping.
    :returns: the validated footprint, split at the antimeridian where it crosses it.
    :raises FootprintError: with what is wrong, for the person who gave it.
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as error:
            raise FootprintError(f"not GeoJSON: {error}") from None
    if not isinstance(data, dict):
        raise FootprintError(
            "not GeoJSON: expected an object with type and coordinates"
        )
    if data.get("type") == "Feature":
        data = data.get("geometry") or {}
    kind = data.get("type")
    coordinates = data.get("coordinates")
    if kind == "Polygon":
        geometry = _polygon(coordinates, "polygon")
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, Sequence) or not coordinates:
            raise FootprintError("multipolygon: a non-empty list of polygons")
        parts = [_polygon(p, f"polygon {i + 1}") for i, p in enumerate(coordinates)]
        geometry = MultiPolygon(_polygons(parts))
        if not geometry.is_valid:
            raise FootprintError(f"invalid multipolygon: {explain_validity(geometry)}")
    else:
        raise FootprintError(f"a footprint is a Polygon or MultiPolygon, not {kind!r}")
    return Footprint(geometry)
