"""A product's catalog brain read as STAC properties, without waking the product.

Items and the filters that the catalog indexes cannot answer both read products
through ``Record``: one place says which metadata column backs which property.
"""

from belspo.pleiades.stac.collections import BY_MISSION
from belspo.pleiades.stac.collections import PLATFORM_OF_MISSION
from datetime import datetime
from datetime import timedelta
from datetime import UTC

import Missing
import shapely


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def column(brain, name: str):
    """A metadata column's value, None when the product has none."""
    value = getattr(brain, name, None)
    return None if value is Missing.Value else value


def as_datetime(value) -> datetime | None:
    """A catalog DateTime as an aware UTC datetime."""
    if value is None or value is Missing.Value:
        return None
    return EPOCH + timedelta(microseconds=value.micros())


class Record:
    """The STAC view of one brain: ``record.get("eo:cloud_cover")``."""

    __slots__ = ("_geometry", "brain")

    def __init__(self, brain):
        self.brain = brain
        self._geometry = None

    def get(self, name: str):
        """The value of a STAC property (see ``PROPERTIES``), None if unknown."""
        return PROPERTIES[name].read(self)

    @property
    def mission(self) -> str | None:
        return column(self.brain, "mission")

    @property
    def geometry(self) -> shapely.Geometry | None:
        """The footprint as a shapely geometry, made once."""
        if self._geometry is None:
            footprint = column(self.brain, "footprint")
            if footprint:
                self._geometry = shapely.geometry.shape(footprint)
        return self._geometry


class Property:
    """A STAC property: its JSON schema and how a record reads it."""

    def __init__(self, schema: dict, read, title: str):
        self.schema = {"title": title, **schema}
        self.read = read


def _column(name: str):
    return lambda record: column(record.brain, name)


def _collection(record: Record) -> str | None:
    family = BY_MISSION.get(record.mission)
    return family.id if family else None


def _constellation(record: Record) -> str | None:
    family = BY_MISSION.get(record.mission)
    return family.constellation if family else None


NUMBER = {"type": "number"}
ANGLE_90 = {"type": "number", "minimum": 0, "maximum": 90}
ANGLE_360 = {"type": "number", "minimum": 0, "maximum": 360}
PERCENT = {"type": "number", "minimum": 0, "maximum": 100}
TEXT = {"type": "string"}

# The properties filters may name (the queryables), with their sources.
PROPERTIES = {
    "id": Property(TEXT, _column("getId"), "Item id (the product's id)"),
    "collection": Property(TEXT, _collection, "Collection"),
    "geometry": Property(
        {"$ref": "https://geojson.org/schema/Geometry.json"},
        lambda record: record.geometry,
        "Footprint",
    ),
    "datetime": Property(
        {"type": "string", "format": "date-time"},
        lambda record: as_datetime(column(record.brain, "acquisition_date")),
        "Acquisition date and time",
    ),
    "platform": Property(
        {"type": "string", "enum": sorted(PLATFORM_OF_MISSION.values())},
        lambda record: PLATFORM_OF_MISSION.get(record.mission),
        "Platform (satellite)",
    ),
    "constellation": Property(TEXT, _constellation, "Constellation"),
    "mission": Property(
        {"type": "string", "enum": sorted(PLATFORM_OF_MISSION)},
        lambda record: record.mission,
        "Mission (DIMAP code, such as PHR1A)",
    ),
    "gsd": Property(
        NUMBER, _column("ground_sample_distance"), "Ground sample distance (m)"
    ),
    "eo:cloud_cover": Property(PERCENT, _column("cloud_cover"), "Cloud cover (%)"),
    "eo:snow_cover": Property(PERCENT, _column("snow_cover"), "Snow cover (%)"),
    "view:incidence_angle": Property(
        ANGLE_90, _column("incidence_angle"), "Incidence angle (°)"
    ),
    "view:off_nadir": Property(ANGLE_90, _column("viewing_angle"), "Viewing angle (°)"),
    "view:azimuth": Property(
        ANGLE_360, _column("azimuth_angle"), "Viewing azimuth (°)"
    ),
    "view:sun_elevation": Property(
        {"type": "number", "minimum": -90, "maximum": 90},
        _column("sun_elevation"),
        "Sun elevation (°)",
    ),
    "view:sun_azimuth": Property(ANGLE_360, _column("sun_azimuth"), "Sun azimuth (°)"),
    "processing:level": Property(
        {"type": "string", "enum": ["SENSOR", "ORTHO", "MOSAIC"]},
        _column("processing_level"),
        "Processing level (DIMAP geometric processing)",
    ),
    "pleiades:spectral_mode": Property(
        {
            "type": "string",
            "enum": [
                "P",
                "MS",
                "PMS",
                "MS-N",
                "MS-X",
                "PMS-N",
                "PMS-X",
                "MS-FS",
                "PMS-FS",
            ],
        },
        _column("spectral_mode"),
        "Spectral processing (DIMAP)",
    ),
    "proj:code": Property(TEXT, _column("crs"), "Coordinate reference system"),
}
