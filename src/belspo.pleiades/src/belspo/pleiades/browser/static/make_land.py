"""Make land-110m.geojson, the offline base map, from world-atlas's land-110m.json.

world-atlas (npm, ISC licence) redistributes Natural Earth's 1:110m land (public
domain) as TopoJSON. This script decodes it with the standard library alone and
writes one GeoJSON Feature, a MultiPolygon with coordinates rounded to 2 decimals
(about a kilometre, finer than the data's own precision)::

    npm pack world-atlas@2 && tar xzf world-atlas-2.*.tgz
    python make_land.py package/land-110m.json            # writes land-110m.geojson
    python make_land.py package/land-110m.json out.geojson

world-atlas's geometry is spherical (as d3 draws it): a few rings cross the
antimeridian and Antarctica's goes round the South Pole. Leaflet draws flat, so such
rings are unwrapped, closed along the pole, and cut at ±180°; otherwise a band would
be painted across the whole map.
"""

from pathlib import Path

import json
import sys


DECIMALS = 2
# A ring cut at ±180° may be moved back from either side of the map.
OFFSETS = (-360.0, 0.0, 360.0)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The arcs in degrees: undo the delta encoding and the quantization."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if not transform:
            arcs.append([(float(x), float(y)) for x, y, *_ in arc])
            continue
        (scale_x, scale_y), (shift_x, shift_y) = (
            transform["scale"],
            transform["translate"],
        )
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def ring_of(indexes: list[int], arcs: list) -> list[tuple[float, float]]:
    """Join a ring's arcs; ~i (that is -i-1) is arc i reversed (TopoJSON 2.1.4)."""
    ring = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        # Each arc starts where the previous one ended.
        ring.extend(points[1:] if ring else points)
    return ring


def polygons_of(geometry: dict) -> list[list[list[int]]]:
    """The polygons (lists of rings of arc indexes) of a TopoJSON geometry."""
    kind = geometry["type"]
    if kind == "GeometryCollection":
        return [p for g in geometry["geometries"] for p in polygons_of(g)]
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return geometry["arcs"]
    return []  # points and lines have no land


def unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Longitudes made continuous, closed along the pole if the ring goes round it."""
    result = [ring[0]]
    for lon, lat in ring[1:]:
        previous = result[-1][0]
        while lon - previous > 180:
            lon -= 360
        while previous - lon > 180:
            lon += 360
        result.append((lon, lat))
    start, end = result[0][0], result[-1][0]
    if abs(end - start) > 180:
        # Round a pole: the land is on the pole's side (Antarctica, in this data).
        pole = -90.0 if sum(lat for _, lat in result) < 0 else 90.0
        result += [(end, pole), (start, pole), result[0]]
    return result


def clip(ring: list[tuple[float, float]], offset: float) -> list[tuple[float, float]]:
    """The ring moved by ``offset`` degrees, cut to -180..180 (Sutherland-Hodgman)."""
    points = [(lon + offset, lat) for lon, lat in ring]
    for edge, inside in ((-180.0, lambda x: x >= -180), (180.0, lambda x: x <= 180)):
        kept = []
        for i, current in enumerate(points):
            previous = points[i - 1]
            if inside(current[0]) != inside(previous[0]):
                t = (edge - previous[0]) / (current[0] - previous[0])
                kept.append((edge, previous[1] + t * (current[1] - previous[1])))
            if inside(current[0]):
                kept.append(current)
        points = kept
    return points


def signed_area(ring: list[tuple[float, float]]) -> float:
    """Planar shoelace area: positive when counter-clockwise."""
    return sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)
    )


def finish(ring: list[tuple[float, float]], counter_clockwise: bool) -> list | None:
    """Rounded, without repeated positions, closed and oriented; None if empty."""
    rounded = []
    for lon, lat in ring:
        position = [round(lon, DECIMALS) + 0.0, round(lat, DECIMALS) + 0.0]
        if not rounded or position != rounded[-1]:
            rounded.append(position)
    while len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    if len(rounded) < 3 or signed_area(rounded) == 0:
        return None
    if (signed_area(rounded) > 0) != counter_clockwise:
        rounded.reverse()
    return [*rounded, rounded[0]]


def flat_polygons(rings: list[list[tuple[float, float]]]) -> list[list]:
    """A polygon's pieces on the flat map: exterior counter-clockwise (RFC 7946)."""
    exterior, *holes = [unwrap(ring) for ring in rings]
    middle = (min(x for x, _ in exterior) + max(x for x, _ in exterior)) / 2
    # A hole lies on the same turn of the world as its exterior.
    holes = [
        [(x + 360 * round((middle - hole[0][0]) / 360), y) for x, y in hole]
        for hole in holes
    ]
    pieces = []
    for offset in OFFSETS:
        piece = finish(clip(exterior, offset), counter_clockwise=True)
        if not piece:
            continue
        cut = [finish(clip(h, offset), counter_clockwise=False) for h in holes]
        pieces.append([piece, *(hole for hole in cut if hole)])
    return pieces


def land(topology: dict) -> dict:
    """The land of a world-atlas topology as one GeoJSON Feature (MultiPolygon)."""
    arcs = decode_arcs(topology)
    coordinates = []
    for geometry in topology["objects"].values():
        for polygon in polygons_of(geometry):
            rings = [ring_of(indexes, arcs) for indexes in polygon]
            coordinates.extend(flat_polygons(rings))
    return {
        "type": "Feature",
        "properties": {"source": "Natural Earth 1:110m land, via world-atlas"},
        "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
    }


def main(source: str, target: str | None = None) -> None:
    """Read world-atlas's land-110m.json, write the GeoJSON beside this script."""
    output = Path(target) if target else Path(__file__).with_name("land-110m.geojson")
    feature = land(json.loads(Path(source).read_text()))
    output.write_text(json.dumps(feature, separators=(",", ":")) + "\n")
    print(f"{output}: {len(feature['geometry']['coordinates'])} polygons")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(*sys.argv[1:])
