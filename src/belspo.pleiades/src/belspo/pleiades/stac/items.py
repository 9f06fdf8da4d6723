"""STAC items from catalog brains: every field from metadata columns.

A page of 100 items reads 100 brains and no product: the footprint, angles,
raster size, package size and checksum are all catalog metadata.
"""

from belspo.pleiades.stac.collections import BY_MISSION
from belspo.pleiades.stac.records import as_datetime
from belspo.pleiades.stac.records import column
from belspo.pleiades.stac.records import Record
from datetime import datetime


STAC_VERSION = "1.1.0"
EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
    "https://stac-extensions.github.io/processing/v1.2.0/schema.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
]
GEOJSON = "application/geo+json"
JSON = "application/json"
# multihash prefix of a SHA-256: function code 0x12, digest length 0x20.
SHA256_MULTIHASH = "1220"

# (STAC property, metadata column) copied when the product has a value.
COPIED = (
    ("gsd", "ground_sample_distance"),
    ("eo:cloud_cover", "cloud_cover"),
    ("eo:snow_cover", "snow_cover"),
    ("view:incidence_angle", "incidence_angle"),
    ("view:off_nadir", "viewing_angle"),
    ("view:azimuth", "azimuth_angle"),
    ("view:sun_elevation", "sun_elevation"),
    ("view:sun_azimuth", "sun_azimuth"),
    ("processing:level", "processing_level"),
    ("pleiades:spectral_mode", "spectral_mode"),
)


def rfc3339(moment: datetime | None) -> str | None:
    """An aware datetime as RFC 3339 in UTC with a Z."""
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def antimeridian_bbox(geometry: dict) -> list[float]:
    """The bbox of a GeoJSON footprint; west > east across the antimeridian.

    Footprints are stored split at 180°: the bbox spans the longitudes the
    polygons cover, leaving out the widest longitude gap between them, which is
    the gap across the antimeridian for ordinary footprints.
    """
    polygons = (
        geometry["coordinates"]
        if geometry["type"] == "MultiPolygon"
        else [geometry["coordinates"]]
    )
    spans, south, north = [], 90.0, -90.0
    for polygon in polygons:
        longitudes = [position[0] for position in polygon[0]]
        latitudes = [position[1] for position in polygon[0]]
        spans.append([min(longitudes), max(longitudes)])
        south, north = min(south, *latitudes), max(north, *latitudes)
    spans.sort()
    merged = [spans[0]]
    for west, east in spans[1:]:
        if west <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], east)
        else:
            merged.append([west, east])
    # The gap across the antimeridian, then the gaps between the spans.
    best_gap = merged[0][0] + 360 - merged[-1][1]
    west, east = merged[0][0], merged[-1][1]
    for before, after in zip(merged, merged[1:], strict=False):
        if after[0] - before[1] > best_gap:
            best_gap = after[0] - before[1]
            west, east = after[0], before[1]
    return [float(west), float(south), float(east), float(north)]


class Links:
    """The URLs of the API, from its root (``<portal>/@stac``)."""

    def __init__(self, root: str):
        self.root = root

    def collection(self, collection_id: str) -> str:
        return f"{self.root}/collections/{collection_id}"

    def item(self, collection_id: str, item_id: str) -> str:
        return f"{self.collection(collection_id)}/items/{item_id}"


def item(record: Record, links: Links) -> dict:
    """The STAC item of a product, from its brain."""
    brain = record.brain
    family = BY_MISSION.get(record.mission)
    collection_id = family.id if family else None
    product_url = brain.getURL()
    item_id = brain.getId
    geometry = column(brain, "footprint")
    properties = _properties(record, brain, family)
    body = {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": EXTENSIONS,
        "id": item_id,
        "geometry": geometry,
        "bbox": antimeridian_bbox(geometry) if geometry else None,
        "properties": properties,
        "links": [
            {
                "rel": "self",
                "href": links.item(collection_id, item_id),
                "type": GEOJSON,
            },
            {"rel": "parent", "href": links.collection(collection_id), "type": JSON},
            {
                "rel": "collection",
                "href": links.collection(collection_id),
                "type": JSON,
            },
            {"rel": "root", "href": links.root, "type": JSON},
            {
                "rel": "alternate",
                "href": product_url,
                "type": "text/html",
                "title": "Product page on the portal",
            },
        ],
        "assets": assets(brain, product_url),
        "collection": collection_id,
    }
    if geometry is None:
        del body["bbox"]
    return body


def _properties(record: Record, brain, family) -> dict:
    created = as_datetime(column(brain, "created"))
    properties = {
        "title": column(brain, "Title") or brain.getId,
        "datetime": rfc3339(record.get("datetime")),
        "platform": record.get("platform"),
        "constellation": family.constellation if family else None,
        "instruments": list(family.instruments) if family else [],
        "created": rfc3339(created),
        "updated": rfc3339(as_datetime(column(brain, "modified"))),
    }
    for name, source in COPIED:
        value = column(brain, source)
        if value is not None:
            properties[name] = value
    crs = column(brain, "crs")
    if crs:
        properties["proj:code"] = crs
    rows, columns = column(brain, "raster_height"), column(brain, "raster_width")
    if rows and columns:
        properties["proj:shape"] = [rows, columns]
    return {k: v for k, v in properties.items() if v is not None}


def assets(brain, product_url: str) -> dict:
    """Quicklook, thumbnail and package: those the product has."""
    found = {}
    scales = column(brain, "image_scales") or {}
    for name, role, title in (
        ("quicklook", "overview", "Quicklook"),
        ("thumbnail", "thumbnail", "Thumbnail"),
    ):
        if scales.get(name):
            image = scales[name][0]
            found[name] = {
                "href": f"{product_url}/@@images/{name}",
                "type": image.get("content-type") or "image/jpeg",
                "title": title,
                "roles": [role],
            }
    size = column(brain, "package_size")
    if size is not None:
        package = {
            "href": f"{product_url}/@@download/package",
            "type": "application/zip",
            "title": "Archived package (DIMAP delivery)",
            "roles": ["data"],
            "file:size": size,
        }
        checksum = column(brain, "package_sha256")
        if checksum:
            package["file:checksum"] = SHA256_MULTIHASH + checksum
        found["data"] = package
    return found
