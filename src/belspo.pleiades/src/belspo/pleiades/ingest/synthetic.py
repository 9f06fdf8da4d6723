"""Synthetic DIMAP v2 deliveries, shaped like the distributor's (no Zope imports).

Tests, benchmarks and the demo need deliveries that look like Airbus's without
real imagery: a folder ``DELIVERY_<job>`` (or a zip of it) holding a volume file
``VOL_PHR.XML`` or ``VOL_PNEO.XML`` and one folder per product with its DIMAP v2
document, small but real image tiles, a quicklook, a thumbnail, an RPC model and
GML masks. Element paths and file names imitate the real documents in the shared
test data (``data/dimap/FACTS.md``), and one seed always gives the same bytes.

Command line::

    python -m belspo.pleiades.ingest.synthetic TARGET --deliveries 3 --products 2
"""

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from io import BytesIO
from itertools import chain
from pathlib import Path
from pathlib import PurePosixPath
from PIL import Image

import argparse
import math
import numpy as np
import random
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
import zlib


REGIONS: dict[str, tuple[float, float, float, float]] = {
    # west, south, east, north
    "belgium": (2.6, 49.5, 6.3, 51.5),
    "europe": (-10.0, 36.0, 30.0, 70.0),
}
MISSIONS = ("PHR1A", "PHR1B", "PNEO3", "PNEO4")
PRODUCER = "Airbus DS Geo"
DEFAULT_IMAGE_SIZE = (64, 64)  # (width, height) of the rasters actually written
PREVIEW_SIZE = 256
ICON_SIZE = 64
CHUNK = 1 << 20  # padding is written 1 MiB at a time, whatever its size

# When each satellite could have imaged (PNEO3 launched 2021-04-29, PNEO4 2021-08-17).
_FIRST_DAY = {
    "PHR1A": date(2019, 1, 1),
    "PHR1B": date(2019, 1, 1),
    "PNEO3": date(2021, 6, 1),
    "PNEO4": date(2021, 9, 1),
}
# Fixed, so that a seed gives the same products on any day, and in the past, because
# the ingest refuses acquisitions in the future.
_LAST_DAY = date(2026, 10, 31)
_MIN_SUN_ELEVATION = 12.0  # optical satellites do not image in the dark
_MARGIN = 0.2  # degrees of latitude between a footprint's centre and the region edge
_EARTH_RADIUS_KM = 6371.0
_ALTITUDE_KM = {"PHR": 694.0, "PNEO": 620.0}
_HALF_SCAN_SECONDS = {"PHR": 1.0, "PNEO": 0.7}  # from the first line to the centre
_MODES = {
    "PHR": (
        ("P", 20),
        ("MS", 10),
        ("PMS", 35),
        ("PMS-N", 15),
        ("PMS-X", 5),
        ("MS-N", 8),
        ("MS-X", 7),
    ),
    "PNEO": (
        ("P", 20),
        ("MS", 10),
        ("PMS", 25),
        ("PMS-N", 10),
        ("PMS-X", 5),
        ("MS-FS", 12),
        ("PMS-FS", 18),
    ),
}
_RADIOMETRIC = (("BASIC", 35), ("REFLECTANCE", 45), ("DISPLAY", 20))
_BAND_NAMES = {
    "P": "PANCHROMATIC",
    "PAN": "PANCHROMATIC",
    "B0": "BLUE",
    "B1": "GREEN",
    "B2": "RED",
    "B3": "NIR",
    "R": "RED",
    "G": "GREEN",
    "B": "BLUE",
    "NIR": "NIR",
    "RE": "RED EDGE",
    "DB": "DEEP BLUE",
}
# (brightness over bare soil, reflectance of vegetation): what makes NIR bright
# over fields and the visible bands dark, so that false colour looks right.
_BAND_RESPONSE = {
    "P": (0.95, 0.2),
    "PAN": (0.95, 0.2),
    "B0": (0.8, 0.04),
    "B": (0.8, 0.04),
    "DB": (0.75, 0.03),
    "B1": (0.9, 0.08),
    "G": (0.9, 0.08),
    "B2": (1.0, 0.05),
    "R": (1.0, 0.05),
    "B3": (1.1, 0.45),
    "NIR": (1.1, 0.45),
    "RE": (1.05, 0.25),
}
# Calibration shown in Radiometric_Data: (radiance gain, bias, solar irradiance).
_CALIBRATION = {
    "P": (11.7, 0.0, 1548.0),
    "PAN": (11.7, 0.0, 1548.0),
    "B0": (9.88, 0.0, 1915.0),
    "B": (9.88, 0.0, 1975.3),
    "DB": (9.52, 0.0, 1972.1),
    "B1": (9.87, 0.0, 1830.0),
    "G": (9.87, 0.0, 1817.5),
    "B2": (10.95, 0.0, 1594.0),
    "R": (10.95, 0.0, 1553.1),
    "B3": (16.03, 0.0, 1060.0),
    "NIR": (16.03, 0.0, 1043.7),
    "RE": (12.14, 0.0, 1370.7),
}
_TILE = re.compile(r"(?:_(RGB|NED))?_R(\d+)C(\d+)\.(TIF|JP2)$", re.IGNORECASE)
_GML = "http://www.opengis.net/gml"
_EOP = "http://earth.esa.int/eop"
ET.register_namespace("gml", _GML)
ET.register_namespace("eop", _EOP)


@dataclass
class ProductSpec:
    """What the generator writes into one product's DIMAP document.

    Tests compare it with what a reader finds. ``files`` holds the hrefs written in
    the document, relative to the product folder, as lists under the keys
    ``images``, ``quicklook``, ``thumbnail``, ``rpc`` and ``masks`` (quicklook and
    thumbnail empty when the delivery has no previews).
    """

    dataset_name: str
    mission: str  # our code: PHR1A, PHR1B, PNEO3, PNEO4
    acquisition_date: datetime  # aware UTC, to the tenth of a second (IMAGING_TIME)
    processing_level: str  # SENSOR or ORTHO
    spectral_mode: str  # our code; PNEO documents spell P as PAN, as Airbus does
    radiometric_processing: str
    ground_sample_distance: float  # metres
    incidence_angle: float  # degrees, at the centre
    viewing_angle: float
    azimuth_angle: float
    sun_elevation: float
    sun_azimuth: float
    cloud_cover: float  # percent
    snow_cover: float  # percent
    surface_area: float  # square kilometres
    footprint: dict  # GeoJSON Polygon, closed, counter-clockwise
    center: tuple[float, float]  # (longitude, latitude)
    crs: str  # EPSG:326xx for ORTHO, EPSG:4326 for SENSOR
    rows: int
    columns: int
    bands: int
    bit_depth: int
    producer: str
    job_id: str
    product_code: str
    customer_reference: str
    production_date: datetime  # aware UTC, to the millisecond
    files: dict[str, list[str]] = field(default_factory=dict)

    @property
    def family(self) -> str:
        """PHR or PNEO: decides the document's profile and the volume file's name."""
        return _family(self.mission)


@dataclass
class Delivery:
    """A delivery written on disk: a folder or a zip, and its products' specs."""

    path: Path
    specs: list[ProductSpec]
    folders: list[str] = field(default_factory=list)  # product folders, relative


# Random values


def _family(mission: str) -> str:
    return "PNEO" if mission.upper().startswith("PNEO") else "PHR"


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def _sun_position(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """(elevation, azimuth) of the sun in degrees (NOAA's approximations, ~0.5°)."""
    when = when.astimezone(UTC)
    hours = when.hour + when.minute / 60 + (when.second + when.microsecond / 1e6) / 3600
    gamma = 2 * math.pi / 365 * (when.timetuple().tm_yday - 1 + (hours - 12) / 24)
    equation_of_time = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    declination = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    solar_minutes = hours * 60 + equation_of_time + 4 * lon
    hour_angle = math.radians(solar_minutes / 4 - 180)
    phi = math.radians(lat)
    cos_zenith = math.sin(phi) * math.sin(declination) + math.cos(phi) * math.cos(
        declination
    ) * math.cos(hour_angle)
    elevation = 90 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))
    azimuth = math.degrees(
        math.atan2(
            math.sin(hour_angle),
            math.cos(hour_angle) * math.sin(phi)
            - math.tan(declination) * math.cos(phi),
        )
    )
    return elevation, (azimuth + 180) % 360


def _viewing_angle(incidence: float, family: str) -> float:
    """The off-nadir angle at the satellite that gives this incidence on the ground."""
    ratio = _EARTH_RADIUS_KM / (_EARTH_RADIUS_KM + _ALTITUDE_KM[family])
    return math.degrees(math.asin(math.sin(math.radians(incidence)) * ratio))


def _draw_acquisition(
    rng: random.Random, mission: str, lon: float, lat: float
) -> datetime:
    """A morning pass between 09:30 and 11:30 UTC with the sun high enough."""
    first = _FIRST_DAY.get(mission, _FIRST_DAY["PHR1A"])
    days = (_LAST_DAY - first).days
    when = datetime.combine(first, datetime.min.time(), UTC)
    for _attempt in range(100):
        day = first + timedelta(days=rng.randrange(days + 1))
        when = datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC) + timedelta(
            milliseconds=100 * rng.randrange(72_001)
        )
        if _sun_position(when, lon, lat)[0] >= _MIN_SUN_ELEVATION:
            break
    return when


def _footprint(
    center: tuple[float, float],
    width_km: float,
    height_km: float,
    rotation: float,
    jitter: list[float],
) -> tuple[dict, float]:
    """A slightly rotated quadrilateral around the centre, and its area in km²."""
    lon0, lat0 = center
    km_per_lon = 111.320 * math.cos(math.radians(lat0))
    km_per_lat = 110.574
    theta = math.radians(rotation)
    half_w, half_h = width_km / 2, height_km / 2
    # Image corners in the order DIMAP lists them: top left, top right, bottom
    # right, bottom left (clockwise on the map).
    corners = [
        (-half_w, half_h),
        (half_w, half_h),
        (half_w, -half_h),
        (-half_w, -half_h),
    ]
    local = [
        (
            x * math.cos(theta) - y * math.sin(theta) + jitter[2 * i],
            x * math.sin(theta) + y * math.cos(theta) + jitter[2 * i + 1],
        )
        for i, (x, y) in enumerate(corners)
    ]
    area = abs(
        sum(
            x1 * y2 - x2 * y1
            for (x1, y1), (x2, y2) in zip(local, local[1:] + local[:1], strict=True)
        )
        / 2
    )
    top_left, top_right, bottom_right, bottom_left = (
        [round(lon0 + x / km_per_lon, 9), round(lat0 + y / km_per_lat, 9)]
        for x, y in local
    )
    # GeoJSON wants the exterior ring counter-clockwise: the DIMAP order reversed.
    ring = [top_left, bottom_left, bottom_right, top_right, list(top_left)]
    return {"type": "Polygon", "coordinates": [ring]}, round(area, 6)


def _utm_zone(lon: float, lat: float) -> int:
    if 56 <= lat < 64 and 3 <= lon < 12:
        return 32  # south-western Norway's widened zone
    return int((lon + 180) // 6) % 60 + 1


def _utm(lon: float, lat: float, zone: int) -> tuple[float, float]:
    """WGS 84 longitude/latitude to UTM north easting/northing (Krüger series)."""
    a, f, k0 = 6378137.0, 1 / 298.257223563, 0.9996
    n = f / (2 - f)
    big_a = a / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    alpha = (
        n / 2 - 2 * n**2 / 3 + 5 * n**3 / 16,
        13 * n**2 / 48 - 3 * n**3 / 5,
        61 * n**3 / 240,
    )
    phi = math.radians(lat)
    lam = math.radians(lon - (zone * 6 - 183))
    e = 2 * math.sqrt(n) / (1 + n)
    t = math.sinh(math.atanh(math.sin(phi)) - e * math.atanh(e * math.sin(phi)))
    xi = math.atan2(t, math.cos(lam))
    eta = math.atanh(math.sin(lam) / math.sqrt(1 + t * t))
    easting = 500000 + k0 * big_a * (
        eta
        + sum(
            alpha[j - 1] * math.cos(2 * j * xi) * math.sinh(2 * j * eta)
            for j in (1, 2, 3)
        )
    )
    northing = (
        k0
        * big_a
        * (
            xi
            + sum(
                alpha[j - 1] * math.sin(2 * j * xi) * math.cosh(2 * j * eta)
                for j in (1, 2, 3)
            )
        )
    )
    return easting, northing


def _epsg(crs: str) -> int:
    return int(crs.rsplit(":", 1)[-1])


def _band_groups(mission: str, mode: str) -> list[tuple[str, tuple[str, ...]]]:
    """The image files of a product as Airbus splits them: (name suffix, band ids)."""
    colours = mode.split("-", 1)[1] if "-" in mode else ""
    if _family(mission) == "PHR":
        if mode == "P":
            return [("", ("P",))]
        bands = {"N": ("B2", "B1", "B0"), "X": ("B3", "B2", "B1")}
        return [("", bands.get(colours, ("B0", "B1", "B2", "B3")))]
    if mode == "P":
        return [("", ("PAN",))]
    if colours == "FS":
        # Six bands do not fit one image: PNEO delivers RGB and NED files.
        return [("RGB", ("R", "G", "B")), ("NED", ("NIR", "RE", "DB"))]
    bands = {"N": ("R", "G", "B"), "X": ("NIR", "R", "G")}
    return [("", bands.get(colours, ("R", "G", "B", "NIR")))]


def _nominal_gsd(mission: str, mode: str) -> float:
    """The product's resolution: the panchromatic one unless multispectral only."""
    panchromatic = not mode.startswith("MS")
    if _family(mission) == "PNEO":
        return 0.3 if panchromatic else 1.2
    return 0.5 if panchromatic else 2.0


def _dataset_name(
    mission: str, mode: str, when: datetime, level: str, job_id: str
) -> str:
    stamp = _stamp(when)
    geometry = "SEN" if level == "SENSOR" else "ORT"
    if _family(mission) == "PNEO":
        return f"{mission}_{stamp}_{_document_mode(mission, mode)}_{geometry}_{job_id}"
    return f"{mission}_{mode}_{stamp}_{geometry}_{job_id}"


def _stamp(when: datetime) -> str:
    """The imaging time to the tenth of a second, as real names carry it."""
    when = when.astimezone(UTC)
    return f"{when:%Y%m%d%H%M%S}{when.microsecond // 100_000}"


def _document_mode(mission: str, mode: str) -> str:
    """SPECTRAL_PROCESSING as the distributor writes it: PNEO says PAN for P."""
    return "PAN" if mode == "P" and _family(mission) == "PNEO" else mode


def _tile_grid(tiles: int) -> tuple[int, int]:
    """(tile rows, tile columns): 2 tiles are R1C1 and R1C2, 4 are two by two."""
    rows = max(r for r in range(1, math.isqrt(tiles) + 1) if tiles % r == 0)
    return rows, tiles // rows


def _files(
    spec: ProductSpec,
    image_format: str = "TIF",
    tiles: int = 1,
    with_preview: bool = True,
) -> dict[str, list[str]]:
    """The hrefs of a product's files, relative to its folder."""
    name = spec.dataset_name
    tile_rows, tile_columns = _tile_grid(tiles)
    images = [
        f"IMG_{name}{'_' + suffix if suffix else ''}_R{r}C{c}.{image_format}"
        for suffix, _bands in _band_groups(spec.mission, spec.spectral_mode)
        for r in range(1, tile_rows + 1)
        for c in range(1, tile_columns + 1)
    ]
    return {
        "images": images,
        "quicklook": [f"PREVIEW_{name}.JPG"] if with_preview else [],
        "thumbnail": [f"ICON_{name}.JPG"] if with_preview else [],
        "rpc": [f"RPC_{name}.XML"],
        "masks": [f"MASKS/CLD_{name}_MSK.GML", f"MASKS/ROI_{name}_MSK.GML"],
    }


def random_spec(
    rng: random.Random, region: str = "belgium", **overrides
) -> ProductSpec:
    """A product with realistic values over a region; keyword arguments fix fields.

    The random values are drawn whether or not a field is fixed, so fixing one
    mostly leaves the others as the seed gives them. Values derived from others
    follow the fixed ones: the footprint and CRS the centre, the sun the date and
    place, the dataset name and files the mission, mode, date, level and job.

    :param rng: the source of every random value (a seeded ``random.Random``).
    :param region: ``belgium`` (lon 2.6–6.3, lat 49.5–51.5) or ``europe``.
    :returns: the spec; rows and columns are those of the small raster written.
    :raises ValueError: for an unknown region.
    :raises TypeError: for an override that is not a field of ``ProductSpec``.
    """
    unknown = set(overrides) - {f.name for f in fields(ProductSpec)}
    if unknown:
        raise TypeError(
            f"random_spec() got unknown fields: {', '.join(sorted(unknown))}"
        )
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}: one of {', '.join(REGIONS)}")

    def pick(name: str, value):
        return overrides.get(name, value)

    mission = pick(
        "mission",
        _weighted(rng, (("PHR1A", 3), ("PHR1B", 3), ("PNEO3", 2), ("PNEO4", 2))),
    )
    family = _family(mission)
    west, south, east, north = REGIONS[region]
    lat = rng.uniform(south + _MARGIN, north - _MARGIN)
    lon_margin = _MARGIN / math.cos(math.radians(lat))
    lon = rng.uniform(west + lon_margin, east - lon_margin)
    lon, lat = center = tuple(pick("center", (round(lon, 9), round(lat, 9))))
    acquisition = pick("acquisition_date", _draw_acquisition(rng, mission, lon, lat))
    level = pick("processing_level", _weighted(rng, (("ORTHO", 7), ("SENSOR", 3))))
    mode = pick("spectral_mode", _weighted(rng, _MODES[family]))
    radiometric = pick("radiometric_processing", _weighted(rng, _RADIOMETRIC))
    incidence = pick("incidence_angle", round(rng.triangular(0.5, 30.0, 8.0), 6))
    azimuth = round(rng.uniform(0.0, 360.0), 6)
    cloud = round(100 * rng.betavariate(0.6, 3.0), 2)  # most scenes nearly clear
    snowy, snow = rng.random() < 0.3, round(rng.uniform(0.0, 30.0), 2)
    if acquisition.month not in (12, 1, 2, 3) or not snowy:
        snow = 0.0
    shape = [rng.uniform(18.0, 22.0), rng.uniform(17.0, 23.0), rng.uniform(-12, 12)]
    jitter = [rng.uniform(-0.15, 0.15) for _ in range(8)]
    footprint, area = _footprint(center, *shape, jitter)
    delay = timedelta(milliseconds=rng.randrange(2 * 3600_000, 20 * 86400_000))
    if family == "PNEO":
        job_id = f"PWOI_{rng.randrange(10**9):09d}_1_1_F_1"
    else:
        job_id = str(rng.randrange(5_000_000_000, 6_000_000_000))
    customer_reference = f"req-{acquisition.year}-{rng.randrange(1, 10_000):04d}"
    product_code = _weighted(rng, (("STD", 9), ("STE", 1)))
    elevation, sun_azimuth = _sun_position(acquisition, lon, lat)
    if level == "SENSOR":
        crs = "EPSG:4326"
    elif region == "belgium":
        crs = "EPSG:32631"  # the whole country in zone 31, as Belgian users expect
    else:
        crs = f"EPSG:{32600 + _utm_zone(lon, lat)}"
    values = {
        "mission": mission,
        "acquisition_date": acquisition,
        "processing_level": level,
        "spectral_mode": mode,
        "radiometric_processing": radiometric,
        "ground_sample_distance": _nominal_gsd(mission, mode),
        "incidence_angle": incidence,
        "viewing_angle": round(_viewing_angle(incidence, family), 6),
        "azimuth_angle": azimuth,
        "sun_elevation": round(elevation, 6),
        "sun_azimuth": round(sun_azimuth, 6),
        "cloud_cover": cloud,
        "snow_cover": snow,
        "surface_area": area,
        "footprint": footprint,
        "center": center,
        "crs": crs,
        "columns": DEFAULT_IMAGE_SIZE[0],
        "rows": DEFAULT_IMAGE_SIZE[1],
        "bands": sum(len(b) for _s, b in _band_groups(mission, mode)),
        "bit_depth": 8
        if radiometric == "DISPLAY"
        else (16 if family == "PNEO" else 12),
        "producer": PRODUCER,
        "job_id": job_id,
        "product_code": product_code,
        "customer_reference": customer_reference,
        "production_date": acquisition + delay,
    }
    values.update(overrides)
    values.setdefault(
        "dataset_name",
        _dataset_name(
            values["mission"],
            values["spectral_mode"],
            values["acquisition_date"],
            values["processing_level"],
            values["job_id"],
        ),
    )
    spec = ProductSpec(**values)
    if "files" not in overrides:
        spec.files = _files(spec)
    return spec


# Documents


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _iso(value)
    return repr(value) if isinstance(value, float) else str(value)


def _iso(when: datetime) -> str:
    """2024-12-05T18:42:02.113Z: UTC to the millisecond, as DIMAP writes times."""
    when = when.astimezone(UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z"


def _sub(parent: ET.Element, tag: str, text=None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _serialise(root: ET.Element, family: str = "PHR") -> bytes:
    # PHR documents are indented with spaces, PNEO ones with tabs.
    ET.indent(root, space="\t" if family == "PNEO" else "  ")
    body = ET.tostring(root, encoding="unicode")
    declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return (declaration + body + "\n").encode("utf-8")


def _root(family: str) -> ET.Element:
    if family == "PNEO":
        return ET.Element("Dimap_Document", version="1.2")
    return ET.Element("Dimap_Document")


def _metadata_identification(root: ET.Element, profile: str, subprofile: str) -> None:
    identification = _sub(root, "Metadata_Identification")
    _sub(identification, "METADATA_FORMAT", "DIMAP", version="2.0")
    _sub(identification, "METADATA_PROFILE", profile)
    _sub(identification, "METADATA_SUBPROFILE", subprofile)
    _sub(identification, "METADATA_LANGUAGE", "en")


def _component(
    parent: ET.Element, title: str, content: str, kind: str, href: str
) -> ET.Element:
    component = _sub(parent, "Component")
    _sub(component, "COMPONENT_TITLE", title)
    _sub(component, "COMPONENT_CONTENT", content)
    _sub(component, "COMPONENT_TYPE", kind)
    _sub(component, "COMPONENT_PATH", href=href)
    return component


def _corners(spec: ProductSpec) -> list[list[float]]:
    """The footprint's vertices in DIMAP order: clockwise from the top left."""
    ring = spec.footprint["coordinates"][0][:-1]
    return [ring[0], *reversed(ring[1:])]


def _image_groups(spec: ProductSpec) -> list[tuple[tuple[str, ...], list[tuple]]]:
    """Each image file group's bands and its tiles as (row, column, href)."""
    groups = _band_groups(spec.mission, spec.spectral_mode)
    tiles: dict[str, list[tuple]] = {suffix: [] for suffix, _bands in groups}
    for href in spec.files.get("images", []):
        match = _TILE.search(href)
        if match is None or (match.group(1) or "").upper() not in tiles:
            raise ValueError(f"{href}: not an image tile name (IMG_…_R1C1.TIF)")
        row, column = int(match.group(2)), int(match.group(3))
        tiles[(match.group(1) or "").upper()].append((row, column, href))
    return [(bands, sorted(tiles[suffix])) for suffix, bands in groups]


def _display(bands: tuple[str, ...]) -> tuple[str, str, str]:
    """The bands shown as red, green and blue: natural colour when there is one."""
    if len(bands) == 1:
        return bands[0], bands[0], bands[0]
    for natural in (("B2", "B1", "B0"), ("R", "G", "B")):
        if set(natural) <= set(bands):
            return natural
    return bands[0], bands[1], bands[2]


def _located_values(spec: ProductSpec) -> list[tuple[str, float, float]]:
    """(LOCATION_TYPE, u, v) of the Located_Geometric_Values, u and v in [-1, 1]."""
    if spec.family == "PHR":
        return [("Top Center", 0, -1), ("Center", 0, 0), ("Bottom Center", 0, 1)]
    # In the order of the real PNEO document.
    return [
        ("TopLeft", -1, -1),
        ("TopCenter", 0, -1),
        ("TopRight", 1, -1),
        ("BottomLeft", -1, 1),
        ("BottomCenter", 0, 1),
        ("BottomRight", 1, 1),
        ("CenterLeft", -1, 0),
        ("Center", 0, 0),
        ("CenterRight", 1, 0),
    ]


def write_dimap(spec: ProductSpec) -> bytes:
    """The DIMAP v2 product document (DIM_<dataset>.XML) of a spec."""
    family = spec.family
    sensor = spec.processing_level == "SENSOR"
    geographic = _epsg(spec.crs) == 4326
    root = _root(family)
    _metadata_identification(root, f"{family}_{spec.processing_level}", "PRODUCT")

    identification = _sub(root, "Dataset_Identification")
    _sub(identification, "DATASET_TYPE", "RASTER_SENSOR" if sensor else "RASTER_ORTHO")
    _sub(identification, "DATASET_NAME", spec.dataset_name, version="1.0")
    for href in spec.files.get("quicklook", [])[:1]:
        _sub(identification, "DATASET_QL_PATH", href=href)
        _sub(identification, "DATASET_QL_FORMAT", "image/jpeg")
    for href in spec.files.get("thumbnail", [])[:1]:
        _sub(identification, "DATASET_TN_PATH", href=href)
        _sub(identification, "DATASET_TN_FORMAT", "image/jpeg")
    legal = _sub(identification, "Legal_Constraints")
    _sub(
        legal, "COPYRIGHT", "Synthetic test product (belspo.pleiades), not Airbus data"
    )
    _sub(legal, "LICENSE", "EULA")

    content = _sub(root, "Dataset_Content")
    _sub(content, "SURFACE_AREA", spec.surface_area, unit="square km")
    _sub(content, "CLOUD_COVERAGE", spec.cloud_cover, unit="percent")
    _sub(content, "SNOW_COVERAGE", spec.snow_cover, unit="percent")
    components = _sub(content, "Dataset_Components")
    for href in spec.files.get("rpc", []):
        _component(components, "RPC Model", "Geoposition Model", "DIMAP", href)
    extent = _sub(content, "Dataset_Extent")
    _sub(
        extent,
        "EXTENT_TYPE",
        "Bounding_Box" if family == "PNEO" else "Bounding_Polygon",
    )
    corners = _corners(spec)
    pixels = [(1, 1), (spec.columns, 1), (spec.columns, spec.rows), (1, spec.rows)]
    for i, (lon, lat) in enumerate(corners):
        vertex = _sub(extent, "Vertex")
        _sub(vertex, "LON", float(lon))
        _sub(vertex, "LAT", float(lat))
        if len(corners) == 4:
            _sub(vertex, "COL", pixels[i][0])
            _sub(vertex, "ROW", pixels[i][1])
    center = _sub(extent, "Center")
    _sub(center, "LON", float(spec.center[0]))
    _sub(center, "LAT", float(spec.center[1]))
    _sub(center, "COL", (spec.columns + 1) // 2)
    _sub(center, "ROW", (spec.rows + 1) // 2)

    information = _sub(root, "Product_Information")
    producer = _sub(information, "Producer_Information")
    _sub(producer, "PRODUCER_NAME", spec.producer)
    _sub(producer, "PRODUCER_URL", href="http://www.geo-airbusds.com/")
    _sub(producer, "PRODUCER_CONTACT", "contact@geo-airbusds.com")
    _sub(
        producer,
        "PRODUCER_ADDRESS",
        "5 rue des satellites - BP 14359 - F 31030 Toulouse Cedex 4 - France",
    )
    delivery = _sub(information, "Delivery_Identification")
    _sub(delivery, "PRODUCTION_DATE", spec.production_date)
    _sub(delivery, "JOB_ID", spec.job_id)
    _sub(delivery, "PRODUCT_CODE", spec.product_code)
    _sub(
        delivery, "PRODUCT_TYPE", "STEREO" if spec.product_code == "STE" else "STANDARD"
    )
    _sub(delivery, "PRODUCT_INFO", family)
    _sub(delivery, "DELIVERY_TYPE", "NETWORK")
    order = _sub(delivery, "Order_Identification")
    _sub(order, "CUSTOMER_REFERENCE", spec.customer_reference)
    _sub(
        order,
        "INTERNAL_REFERENCE",
        f"SAL{zlib.crc32(spec.job_id.encode()) % 10**8:08d}",
    )
    _sub(order, "COMMERCIAL_REFERENCE", spec.job_id)
    _sub(order, "COMMERCIAL_ITEM", "1_1")
    _sub(order, "COMMENT", "Synthetic delivery")

    reference = _sub(root, "Coordinate_Reference_System")
    if geographic:
        geodetic = _sub(reference, "Geodetic_CRS")
        _sub(geodetic, "CRS_TABLES", "EPSG", version="0.0")
        _sub(geodetic, "GEODETIC_CRS_TYPE", "GEOGRAPHIC2D")
        _sub(geodetic, "GEODETIC_CRS_NAME", "WGS 84")
        _sub(geodetic, "GEODETIC_CRS_CODE", f"urn:ogc:def:crs:EPSG::{_epsg(spec.crs)}")
    else:
        projected = _sub(reference, "Projected_CRS")
        _sub(projected, "CRS_TABLES", "EPSG", version="0.0")
        _sub(
            projected,
            "PROJECTED_CRS_NAME",
            f"WGS 84 / UTM zone {_epsg(spec.crs) % 100}N",
        )
        _sub(
            projected, "PROJECTED_CRS_CODE", f"urn:ogc:def:crs:EPSG::{_epsg(spec.crs)}"
        )
    temporal = _sub(reference, "Temporal_CRS")
    _sub(temporal, "CRS_TABLES", "ITU", version="0.0")
    _sub(temporal, "TEMPORAL_CRS_NAME", "UTC")

    _geoposition(root, spec, corners)
    _processing(root, spec)
    _raster_data(root, spec)
    _radiometric_data(root, spec)
    _geometric_data(root, spec)
    _quality(root, spec)

    sources = _sub(root, "Dataset_Sources")
    source = _sub(sources, "Source_Identification")
    _sub(source, "SOURCE_ID", _source_id(spec))
    _sub(source, "SOURCE_TYPE", "Strip_Source")
    _sub(source, "SOURCE_DESCRIPTION", f"{spec.mission} Data Strip")
    strip = _sub(source, "Strip_Source")
    mission, index = spec.mission[: len(family)], spec.mission[len(family) :]
    _sub(strip, "MISSION", mission)
    _sub(strip, "MISSION_INDEX", index)
    if family == "PHR":
        _sub(strip, "INSTRUMENT", mission)
        _sub(strip, "INSTRUMENT_INDEX", index)
    when = spec.acquisition_date.astimezone(UTC)
    _sub(strip, "IMAGING_DATE", f"{when:%Y-%m-%d}")
    _sub(strip, "IMAGING_TIME", f"{when:%H:%M:%S}.{when.microsecond // 100_000}")
    _sub(strip, "BAND_MODE", _band_mode(spec))
    return _serialise(root, family)


def _source_id(spec: ProductSpec) -> str:
    number = zlib.crc32(spec.dataset_name.encode())
    if spec.family == "PNEO":
        return f"ACQ_{spec.mission}_{number:014d}"
    lon, lat = spec.center
    tile = f"{'E' if lon >= 0 else 'W'}{abs(int(lon)):03d}N{int(lat):02d}"
    stamp = _stamp(spec.acquisition_date)
    return f"DS_{spec.mission}_{stamp}_FR1_PX_{tile}_{number % 10**4:04d}_01"


def _band_mode(spec: ProductSpec) -> str:
    """What the satellite recorded: PHR says PX for pan and multispectral together."""
    if spec.spectral_mode.startswith("MS"):
        return "MS"
    if spec.family == "PNEO":
        return "PMS"
    return "P" if spec.spectral_mode == "P" else "PX"


def _geoposition(root: ET.Element, spec: ProductSpec, corners: list) -> None:
    geoposition = _sub(root, "Geoposition")
    raster_crs = _sub(geoposition, "Raster_CRS")
    if spec.processing_level == "SENSOR":
        _sub(raster_crs, "RASTER_GEOMETRY", "SENSOR")
        _sub(raster_crs, "PIXEL_CRS_TYPE", "POINT")
        _sub(raster_crs, "PIXEL_ORIENTATION", "CENTER")
        _sub(raster_crs, "PIXEL_ORIGIN", 1)
        models = _sub(geoposition, "Geoposition_Models")
        rational = _sub(models, "Rational_Function_Model")
        for href in spec.files.get("rpc", []):
            _component(rational, "RPC Model", "Geoposition Model", "DIMAP", href)
        return
    _sub(raster_crs, "RASTER_GEOMETRY", "GROUND")
    _sub(raster_crs, "PIXEL_CRS_TYPE", "CELL")
    _sub(raster_crs, "PIXEL_ORIENTATION", "UL")
    _sub(raster_crs, "PIXEL_ORIGIN", 1)
    # The small raster spans the footprint's bounding box in the product's CRS.
    epsg = _epsg(spec.crs)
    if epsg == 4326:
        points, unit = [(lon, lat) for lon, lat in corners], "deg"
    else:
        points, unit = [_utm(lon, lat, epsg % 100) for lon, lat in corners], "m"
    xs, ys = [x for x, _y in points], [y for _x, y in points]
    insert = _sub(geoposition, "Geoposition_Insert")
    _sub(insert, "ULXMAP", round(min(xs), 6), unit=unit)
    _sub(insert, "ULYMAP", round(max(ys), 6), unit=unit)
    _sub(insert, "XDIM", round((max(xs) - min(xs)) / spec.columns, 9), unit=unit)
    _sub(insert, "YDIM", round((max(ys) - min(ys)) / spec.rows, 9), unit=unit)


def _processing(root: ET.Element, spec: ProductSpec) -> None:
    processing = _sub(root, "Processing_Information")
    facility = _sub(processing, "Production_Facility")
    _sub(facility, "SOFTWARE", "belspo.pleiades synthetic", version="1.0")
    _sub(
        facility,
        "PROCESSING_CENTER",
        "MPP2G-Public" if spec.family == "PNEO" else "PDS",
    )
    settings = _sub(processing, "Product_Settings")
    _sub(settings, "PROCESSING_LEVEL", spec.processing_level)
    _sub(
        settings,
        "SPECTRAL_PROCESSING",
        _document_mode(spec.mission, spec.spectral_mode),
    )
    geometric = _sub(settings, "Geometric_Settings")
    _sub(geometric, "GEOMETRIC_PROCESSING", spec.processing_level)
    _sub(geometric, "EPHEMERIS_USED", "CORRECTED")
    _sub(geometric, "ATTITUDES_USED", "CORRECTED")
    _sub(geometric, "GROUND_SETTING", spec.processing_level != "SENSOR")
    _sub(geometric, "VERTICAL_SETTING", spec.processing_level != "SENSOR")
    radiometric = _sub(settings, "Radiometric_Settings")
    _sub(radiometric, "RADIOMETRIC_PROCESSING", spec.radiometric_processing)
    sampling = _sub(settings, "Sampling_Settings")
    _sub(sampling, "RESAMPLING_SPACING", spec.ground_sample_distance, unit="m")
    _sub(sampling, "RESAMPLING_KERNEL", "SPLINE")


def _raster_data(root: ET.Element, spec: ProductSpec) -> None:
    raster = _sub(root, "Raster_Data")
    groups = _image_groups(spec)
    tiles = groups[0][1] if groups else []
    tile_rows = max((r for r, _c, _h in tiles), default=1)
    tile_columns = max((c for _r, c, _h in tiles), default=1)
    hrefs = [href for _bands, group in groups for _r, _c, href in group]
    jp2 = any(href.upper().endswith(".JP2") for href in hrefs)

    access = ET.Element("Data_Access")
    _sub(access, "DATA_FILE_ORGANISATION", "BAND_COMPOSITE")
    _sub(access, "DATA_FILE_FORMAT", "image/jp2" if jp2 else "image/tiff")
    _sub(access, "DATA_FILE_TILES", len(tiles) > 1)
    for bands, group in groups:
        files = _sub(access, "Data_Files")
        for row, column, href in group:
            data_file = _sub(files, "Data_File", tile_R=row, tile_C=column)
            _sub(data_file, "DATA_FILE_PATH", href=href)
        if spec.family == "PNEO":
            # PNEO describes the bands of each Data_Files block next to its files.
            _raster_display(files, spec, bands)

    dimensions = ET.Element("Raster_Dimensions")
    _sub(dimensions, "NROWS", spec.rows)
    _sub(dimensions, "NCOLS", spec.columns)
    _sub(dimensions, "NBANDS", spec.bands)
    tile_set = _sub(dimensions, "Tile_Set")
    _sub(tile_set, "NTILES", len(tiles))
    regular = _sub(tile_set, "Regular_Tiling")
    _sub(
        regular,
        "NTILES_SIZE",
        nrows=-(-spec.rows // tile_rows),
        ncols=-(-spec.columns // tile_columns),
    )
    _sub(regular, "NTILES_COUNT", ntiles_R=tile_rows, ntiles_C=tile_columns)
    _sub(regular, "OVERLAP_ROW", 0)
    _sub(regular, "OVERLAP_COL", 0)

    encoding = ET.Element("Raster_Encoding")
    _sub(encoding, "DATA_TYPE", "INTEGER")
    _sub(encoding, "NBITS", spec.bit_depth)
    _sub(encoding, "SIGN", "UNSIGNED")
    _sub(encoding, "COMPRESSION_TYPE", "LOSSLESS")

    # The two real layouts: PHR puts Data_Access first, PNEO last.
    order = [access, dimensions, encoding]
    if spec.family == "PNEO":
        order = [dimensions, encoding, access]
    raster.extend(order)
    if spec.family == "PHR":
        _raster_display(raster, spec, groups[0][0] if groups else ("P",))


def _raster_display(parent: ET.Element, spec: ProductSpec, bands: tuple) -> None:
    display = _sub(parent, "Raster_Display")
    if spec.family == "PNEO":
        index_list = _sub(display, "Raster_Index_List")
        offset = 3 if bands[0] == "NIR" and "RE" in bands else 0
        for i, band in enumerate(bands, 1 + offset):
            index = _sub(index_list, "Raster_Index")
            _sub(index, "BAND_ID", band)
            _sub(index, "BAND_NAME", _BAND_NAMES[band])
            _sub(index, "BAND_INDEX", i)
    order = _sub(display, "Band_Display_Order")
    red, green, blue = _display(bands)
    _sub(order, "RED_CHANNEL", red)
    _sub(order, "GREEN_CHANNEL", green)
    _sub(order, "BLUE_CHANNEL", blue)
    nodata = _sub(display, "Special_Value")
    _sub(nodata, "SPECIAL_VALUE_TEXT", "NODATA")
    _sub(nodata, "SPECIAL_VALUE_COUNT", 0)
    saturated = _sub(display, "Special_Value")
    _sub(saturated, "SPECIAL_VALUE_TEXT", "SATURATED")
    _sub(saturated, "SPECIAL_VALUE_COUNT", 2**spec.bit_depth - 1)


def _radiometric_data(root: ET.Element, spec: ProductSpec) -> None:
    radiometric = _sub(root, "Radiometric_Data")
    dynamic = _sub(radiometric, "Dynamic_Range")
    _sub(dynamic, "ACQUISITION_RANGE", 12)
    _sub(dynamic, "PRODUCT_RANGE", spec.bit_depth)
    calibration = _sub(radiometric, "Radiometric_Calibration")
    instrument = _sub(calibration, "Instrument_Calibration")
    measurements = _sub(instrument, "Band_Measurement_List")
    bands = [
        b for _s, group in _band_groups(spec.mission, spec.spectral_mode) for b in group
    ]
    calibrated = spec.acquisition_date.astimezone(UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) - timedelta(days=30)
    for band in bands:
        gain, bias, irradiance = _CALIBRATION[band]
        radiance = _sub(measurements, "Band_Radiance")
        _sub(radiance, "BAND_ID", band)
        _sub(radiance, "CALIBRATION_DATE", calibrated)
        _sub(
            radiance,
            "MEASURE_DESC",
            "Raw radiometric count (DN) to TOA Radiance (L). Formulae L=DN/GAIN+BIAS",
        )
        _sub(radiance, "MEASURE_UNIT", "watt/m2/steradian/micrometer")
        _sub(radiance, "GAIN", gain)
        _sub(radiance, "BIAS", bias)
    for band in bands:
        solar = _sub(measurements, "Band_Solar_Irradiance")
        _sub(solar, "BAND_ID", band)
        _sub(solar, "CALIBRATION_DATE", calibrated)
        _sub(solar, "MEASURE_DESC", "Solar irradiance value of raw radiometric Band")
        _sub(solar, "MEASURE_UNIT", "watt/m2/micron")
        _sub(solar, "VALUE", _CALIBRATION[band][2])


def _geometric_data(root: ET.Element, spec: ProductSpec) -> None:
    geometric = _sub(root, "Geometric_Data")
    use_area = _sub(geometric, "Use_Area")
    family = spec.family
    # Angle from the track of a descending sun-synchronous pass: splits angles in two.
    psi = math.radians(spec.azimuth_angle - 190.0)
    gsd = spec.ground_sample_distance
    for location, u, v in _located_values(spec):
        centre = u == 0 and v == 0

        def vary(value: float, change: float, centre=centre) -> float:
            """The centre's value there, drifting slightly across the image."""
            return value if centre else round(value + change, 9)

        incidence = max(0.0, vary(spec.incidence_angle, 0.12 * u + 0.03 * v))
        viewing = spec.viewing_angle
        if not centre:
            viewing = round(_viewing_angle(incidence, family), 9)
        when = spec.acquisition_date + timedelta(seconds=v * _HALF_SCAN_SECONDS[family])
        values = _sub(use_area, "Located_Geometric_Values")
        _sub(values, "LOCATION_TYPE", location)
        _sub(values, "COL", round(1 + (u + 1) / 2 * (spec.columns - 1)))
        _sub(values, "ROW", round(1 + (v + 1) / 2 * (spec.rows - 1)))
        _sub(values, "TIME", when)
        _sub(values, "SATELLITE_ALTITUDE", _ALTITUDE_KM[family] * 1000 + 12.5 * v)
        angles = _sub(values, "Acquisition_Angles")
        azimuth = vary(spec.azimuth_angle, 0.4 * u) % 360
        _sub(angles, "AZIMUTH_ANGLE", azimuth, unit="deg")
        across, along = _split(viewing, psi)
        _sub(angles, "VIEWING_ANGLE_ACROSS_TRACK", across, unit="deg")
        _sub(angles, "VIEWING_ANGLE_ALONG_TRACK", along, unit="deg")
        _sub(angles, "VIEWING_ANGLE", viewing, unit="deg")
        across, along = _split(incidence, psi)
        _sub(angles, "INCIDENCE_ANGLE_ALONG_TRACK", along, unit="deg")
        _sub(angles, "INCIDENCE_ANGLE_ACROSS_TRACK", across, unit="deg")
        _sub(angles, "INCIDENCE_ANGLE", incidence, unit="deg")
        solar = _sub(values, "Solar_Incidences")
        _sub(solar, "SUN_AZIMUTH", vary(spec.sun_azimuth, 0.07 * u), unit="deg")
        _sub(solar, "SUN_ELEVATION", vary(spec.sun_elevation, 0.02 * v), unit="deg")
        distance = _sub(values, "Ground_Sample_Distance")
        _sub(distance, "GSD_ACROSS_TRACK", vary(gsd, 0.004 * gsd * u), unit="m")
        _sub(distance, "GSD_ALONG_TRACK", vary(gsd, 0.002 * gsd * v), unit="m")


def _split(angle: float, psi: float) -> tuple[float, float]:
    """(across-track, along-track) components of an off-nadir angle."""
    tangent = math.tan(math.radians(angle))
    across = math.degrees(math.atan(tangent * math.cos(psi)))
    along = math.degrees(math.atan(tangent * math.sin(psi)))
    return round(across, 9), round(along, 9)


def _quality(root: ET.Element, spec: ProductSpec) -> None:
    quality = _sub(root, "Quality_Assessment")
    for href in spec.files.get("masks", []):
        kind = PurePosixPath(href).name.split("_", 1)[0].upper()
        name, description = {
            "CLD": ("Cloud_Cotation (CLD)", "Cloud mask"),
            "ROI": ("Area_Of_Interest (ROI)", "Region of interest mask"),
            "SNW": ("Snow_Cotation (SNW)", "Snow mask"),
        }.get(kind, (kind, "Quality mask"))
        measurement = _sub(quality, "Imaging_Quality_Measurement")
        _sub(measurement, "QUALITY_TABLES", spec.family)
        _sub(measurement, "MEASURE_NAME", name)
        _sub(measurement, "MEASURE_DESC", description)
        _sub(measurement, "MEASURE_TYPE", "AUTOMATIC")
        mask = _sub(measurement, "Quality_Mask")
        _component(mask, name, "GML MASK", "ENCAPSULATED", href)


def write_volume(
    delivery_name: str, dims: list[str], *, quicklooks: list[str] | None = None
) -> bytes:
    """The volume file (VOL_PHR.XML or VOL_PNEO.XML) listing a delivery's products.

    :param delivery_name: the delivery folder's name, used as the volume's id.
    :param dims: the product documents, relative to the delivery folder.
    :param quicklooks: each product's preview, relative too (or empty strings).
    """
    family = "PNEO" if any("PNEO" in dim.upper() for dim in dims) else "PHR"
    root = _root(family)
    subprofile = "ORDER_VOLUME" if family == "PNEO" else "SINGLE_VOLUME"
    _metadata_identification(root, "VOLUME", subprofile)
    identification = _sub(root, "Dataset_Identification")
    title = f"{family} Volume Description"
    _sub(
        identification,
        "DATASET_NAME",
        title + (f": {delivery_name}" if family == "PNEO" else ""),
    )
    _sub(identification, "DATASET_ID", delivery_name)
    components = _sub(_sub(root, "Dataset_Content"), "Dataset_Components")
    for dim, quicklook in zip(dims, quicklooks or [""] * len(dims), strict=True):
        component = _sub(components, "Component")
        _sub(component, "COMPONENT_TITLE", PurePosixPath(dim).parent.name or dim)
        _sub(component, "COMPONENT_CONTENT", "DIMAP product")
        _sub(component, "COMPONENT_TYPE", "DIMAP", version="2.0")
        _sub(component, "COMPONENT_PATH", href=dim)
        if quicklook:
            _sub(component, "COMPONENT_QL_PATH", href=quicklook)
    return _serialise(root, family)


def _rpc_document(spec: ProductSpec) -> bytes:
    """An RPC model (RPC_<dataset>.XML): affine, fitted to the footprint's corners."""
    corners = np.array(_corners(spec)[:4], dtype=float)
    pixels = np.array(
        [(1, 1), (spec.columns, 1), (spec.columns, spec.rows), (1, spec.rows)],
        dtype=float,
    )
    lon_off, lat_off = corners.mean(axis=0)
    lon_scale, lat_scale = np.ptp(corners, axis=0) / 2
    samp_off, line_off = (spec.columns + 1) / 2, (spec.rows + 1) / 2
    samp_scale, line_scale = spec.columns / 2, spec.rows / 2
    ground = (corners - (lon_off, lat_off)) / (lon_scale, lat_scale)
    image = (pixels - (samp_off, line_off)) / (samp_scale, line_scale)
    ones = np.ones((len(ground), 1))
    # Coefficient 1 is the constant, 2 and 3 the first and second variable (RPC00B).
    inverse, *_ = np.linalg.lstsq(np.hstack([ones, ground]), image, rcond=None)
    direct, *_ = np.linalg.lstsq(np.hstack([ones, image]), ground, rcond=None)

    def polynomial(parent, prefix, coefficients):
        for i in range(1, 21):
            value = _clean(coefficients[i - 1]) if i <= 3 else 0.0
            _sub(parent, f"{prefix}_NUM_COEFF_{i}", value)
        for i in range(1, 21):
            _sub(parent, f"{prefix}_DEN_COEFF_{i}", 1.0 if i == 1 else 0.0)

    root = _root(spec.family)
    _metadata_identification(root, f"{spec.family}_SENSOR", "RPC")
    model = _sub(root, "Rational_Function_Model")
    resource = _sub(model, "Resource_Reference")
    _sub(resource, "RESOURCE_TITLE", "NITF", version="2.1")
    _sub(resource, "RESOURCE_ID", "RPC00B")
    rfm = _sub(model, "Global_RFM")
    direct_model = _sub(rfm, "Direct_Model")
    polynomial(direct_model, "SAMP", direct[:, 0])  # to longitude, as PHR names it
    polynomial(direct_model, "LINE", direct[:, 1])
    _sub(direct_model, "ERR_BIAS_X", 0.0)
    _sub(direct_model, "ERR_BIAS_Y", 0.0)
    inverse_model = _sub(rfm, "Inverse_Model")
    polynomial(inverse_model, "SAMP", inverse[:, 0])
    polynomial(inverse_model, "LINE", inverse[:, 1])
    _sub(inverse_model, "ERR_BIAS_ROW", 0.0)
    _sub(inverse_model, "ERR_BIAS_COL", 0.0)
    validity = _sub(rfm, "RFM_Validity")
    domain = _sub(validity, "Direct_Model_Validity_Domain")
    _sub(domain, "FIRST_ROW", 1)
    _sub(domain, "FIRST_COL", 1)
    _sub(domain, "LAST_ROW", spec.rows)
    _sub(domain, "LAST_COL", spec.columns)
    for tag, value in (
        ("LONG_SCALE", lon_scale),
        ("LONG_OFF", lon_off),
        ("LAT_SCALE", lat_scale),
        ("LAT_OFF", lat_off),
        ("HEIGHT_SCALE", 500.0),
        ("HEIGHT_OFF", 100.0),
        ("SAMP_SCALE", samp_scale),
        ("SAMP_OFF", samp_off),
        ("LINE_SCALE", line_scale),
        ("LINE_OFF", line_off),
    ):
        _sub(validity, tag, _clean(value))
    return _serialise(root, spec.family)


def _clean(value) -> float:
    """A float rounded past least-squares noise (and never -0.0)."""
    return round(float(value), 12) + 0.0


def _mask_document(spec: ProductSpec, href: str) -> bytes:
    """A GML mask: ROI is the footprint, CLD a patch the size of the cloud cover."""
    kind = PurePosixPath(href).name.split("_", 1)[0].upper()
    ring = [tuple(p) for p in spec.footprint["coordinates"][0]]
    polygons = [ring]
    if kind == "CLD":
        # Scaled about the centre: a cloud patch covering cloud_cover % of the area.
        factor = math.sqrt(spec.cloud_cover / 100)
        lon0, lat0 = spec.center
        scaled = [
            (round(lon0 + (x - lon0) * factor, 9), round(lat0 + (y - lat0) * factor, 9))
            for x, y in ring
        ]
        polygons = [scaled] if spec.cloud_cover > 0 else []
    srs = "urn:ogc:def:crs:EPSG::4326"
    collection = ET.Element(
        f"{{{_GML}}}FeatureCollection", {f"{{{_GML}}}id": f"{kind}_MASK"}
    )
    bounded = _sub(collection, f"{{{_GML}}}boundedBy")
    if polygons:
        lons = [x for polygon in polygons for x, _y in polygon]
        lats = [y for polygon in polygons for _x, y in polygon]
        envelope = _sub(bounded, f"{{{_GML}}}Envelope", srsName=srs)
        # EPSG:4326 as a URN orders latitude first.
        _sub(envelope, f"{{{_GML}}}lowerCorner", f"{min(lats)!r} {min(lons)!r}")
        _sub(envelope, f"{{{_GML}}}upperCorner", f"{max(lats)!r} {max(lons)!r}")
    else:
        _sub(bounded, f"{{{_GML}}}Null", "empty")
    for i, polygon in enumerate(polygons):
        member = _sub(collection, f"{{{_GML}}}featureMember")
        feature = _sub(
            member, f"{{{_EOP}}}MaskFeature", **{f"{{{_GML}}}id": f"{kind}_{i}"}
        )
        _sub(
            feature,
            f"{{{_EOP}}}maskType",
            {"CLD": "CLOUD", "ROI": "ROI"}.get(kind, kind),
        )
        extent = _sub(feature, f"{{{_EOP}}}extentOf")
        shape = _sub(
            extent,
            f"{{{_GML}}}Polygon",
            srsName=srs,
            **{f"{{{_GML}}}id": f"{kind}_P{i}"},
        )
        exterior = _sub(_sub(shape, f"{{{_GML}}}exterior"), f"{{{_GML}}}LinearRing")
        positions = " ".join(f"{y!r} {x!r}" for x, y in polygon)
        _sub(exterior, f"{{{_GML}}}posList", positions, srsDimension=2)
    return _serialise(collection)


# Images


def _scene(
    spec: ProductSpec, bands: tuple[str, ...], width: int, height: int
) -> np.ndarray:
    """Reflectances in [0, 1], shape (height, width, bands): fields, soil, clouds.

    The layout depends only on the dataset name, so an image, its preview and its
    icon show the same landscape at different sizes.
    """
    seed = zlib.crc32(spec.dataset_name.encode())
    layout = np.random.default_rng(seed)
    # A row and a column that broadcast: no full coordinate grids in memory.
    x = np.linspace(0, 1, width, dtype=np.float32)[np.newaxis, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, np.newaxis]
    waves = np.zeros((height, width), np.float32)
    for _ in range(3):
        fx, fy = layout.uniform(0.5, 4.0, 2)
        phase, amplitude = layout.uniform(0, 2 * np.pi), layout.uniform(0.15, 0.3)
        waves += amplitude * np.sin(2 * np.pi * (fx * x + fy * y) + phase)
    # Quantised into parcels, like a patchwork of fields.
    vegetation = np.clip(np.round((0.5 + waves) * 4) / 4, 0, 1)
    gx, gy = layout.uniform(-0.15, 0.15, 2)
    soil = 0.3 + gx * x + gy * y
    clouds = np.zeros((height, width), np.float32)
    for _ in range(math.ceil(spec.cloud_cover / 12)):
        cx, cy = layout.uniform(0, 1, 2)
        radius = layout.uniform(0.08, 0.25)
        clouds = np.maximum(
            clouds, np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / radius**2)
        )
    noise = np.random.default_rng([seed, width, height])
    result = np.empty((height, width, len(bands)), np.float32)
    for i, band in enumerate(bands):
        brightness, green = _BAND_RESPONSE.get(band, (1.0, 0.2))
        ground = (1 - vegetation) * soil * brightness + vegetation * green
        grain = noise.standard_normal((height, width), dtype=np.float32) * 0.02
        result[..., i] = ground * (1 - clouds) + 0.85 * clouds + grain
    return np.clip(result, 0, 1, out=result)


def _image(values: np.ndarray, bit_depth: int) -> Image.Image:
    """A Pillow image of these reflectances: 16 bits where Pillow has a mode for it."""
    height, width, count = values.shape
    if count == 1 and bit_depth > 8:
        pixels = np.round(values[..., 0] * (2**bit_depth - 1)).astype("<u2")
        return Image.frombytes("I;16", (width, height), pixels.tobytes())
    if count not in (1, 3, 4):
        raise ValueError(f"cannot write {count} bands in one image file")
    pixels = np.round(values * 255).astype(np.uint8)
    # Four bands go into RGBA as a stand-in: Pillow has no four-channel mode else.
    return Image.fromarray(pixels[..., 0] if count == 1 else pixels)


def _encode(image: Image.Image, href: str) -> bytes:
    buffer = BytesIO()
    if href.upper().endswith(".JP2"):
        image.save(buffer, "JPEG2000", irreversible=False)
    elif href.upper().endswith(".JPG"):
        image.save(buffer, "JPEG", quality=85)
    else:
        image.save(buffer, "TIFF")
    return buffer.getvalue()


def _preview(spec: ProductSpec, size: int) -> bytes:
    """A JPEG quicklook or icon of the product, fitting in size × size pixels."""
    scale = size / max(spec.columns, spec.rows)
    width = max(1, round(spec.columns * scale))
    height = max(1, round(spec.rows * scale))
    bands = _band_groups(spec.mission, spec.spectral_mode)[0][1]
    shown = _display(bands)
    values = _scene(spec, shown if len(bands) > 1 else bands, width, height)
    return _encode(_image(values, 8), ".JPG")


def _padding(seed: int, size: int) -> Iterator[bytes]:
    """size bytes of noise in 1 MiB chunks, the same block over and over."""
    block = random.Random(seed).randbytes(min(CHUNK, size))
    view = memoryview(block)
    while size > 0:
        chunk = view[: min(len(block), size)]
        yield chunk
        size -= len(chunk)


# Writing


class _Folder:
    """Writes files under a folder."""

    def __init__(self, root: Path):
        self.root = root

    def directory(self, name: str) -> None:
        (self.root / name).mkdir(parents=True, exist_ok=True)

    def write(self, name: str, chunks: Iterable[bytes], size: int) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)

    def close(self) -> None:
        pass


class _Zip:
    """Writes files into a zip: images stored, XML deflated, as Airbus does."""

    def __init__(self, path: Path, when: datetime):
        self.zip = zipfile.ZipFile(path, "x")
        # A fixed timestamp keeps the zip's bytes the same for the same seed.
        self.date_time = when.astimezone(UTC).timetuple()[:6]

    def directory(self, name: str) -> None:
        info = zipfile.ZipInfo(name.rstrip("/") + "/", self.date_time)
        info.external_attr = (0o40755 << 16) | 0x10
        self.zip.writestr(info, b"")

    def write(self, name: str, chunks: Iterable[bytes], size: int) -> None:
        info = zipfile.ZipInfo(name, self.date_time)
        info.external_attr = 0o644 << 16
        compressible = name.upper().endswith((".XML", ".GML"))
        info.compress_type = (
            zipfile.ZIP_DEFLATED if compressible else zipfile.ZIP_STORED
        )
        info.file_size = size  # lets zipfile choose zip64 for large members
        with self.zip.open(info, "w") as handle:
            for chunk in chunks:
                handle.write(chunk)

    def close(self) -> None:
        self.zip.close()


def _delivery_specs(
    rng: random.Random, count: int, region: str, image_size: tuple[int, int]
) -> list[ProductSpec]:
    """Products of one order: same job, reference and production, one mission family."""
    width, height = image_size
    first = random_spec(rng, region, columns=width, rows=height)
    siblings = [m for m in MISSIONS if _family(m) == first.family]
    specs = [first]
    for _ in range(count - 1):
        specs.append(
            random_spec(
                rng,
                region,
                mission=rng.choice(siblings),
                job_id=first.job_id,
                customer_reference=first.customer_reference,
                product_code=first.product_code,
                columns=width,
                rows=height,
            )
        )
    produced = max(spec.production_date for spec in specs)
    return [replace(spec, production_date=produced) for spec in specs]


def _write_product(
    sink: _Folder | _Zip, folder: str, spec: ProductSpec, payload_bytes: int
) -> None:
    document = write_dimap(spec)
    sink.write(f"{folder}/DIM_{spec.dataset_name}.XML", [document], len(document))
    padded = False
    for bands, tiles in _image_groups(spec):
        if not tiles:
            continue
        tile_rows = max(r for r, _c, _h in tiles)
        tile_columns = max(c for _r, c, _h in tiles)
        tile_height = -(-spec.rows // tile_rows)
        tile_width = -(-spec.columns // tile_columns)
        values = _scene(spec, bands, spec.columns, spec.rows)
        for row, column, href in tiles:
            top, left = (row - 1) * tile_height, (column - 1) * tile_width
            part = values[top : top + tile_height, left : left + tile_width]
            data = _encode(_image(part, spec.bit_depth), href)
            chunks, size = [data], len(data)
            if payload_bytes and not padded:
                # Trailing bytes are ignored by TIFF and JPEG 2000 readers: the
                # tile stays a readable image of the announced size.
                if payload_bytes < len(data):
                    raise ValueError(
                        f"payload_bytes {payload_bytes} is smaller than the image "
                        f"tile ({len(data)} bytes)"
                    )
                seed = zlib.crc32(spec.dataset_name.encode())
                chunks = chain([data], _padding(seed, payload_bytes - len(data)))
                size, padded = payload_bytes, True
            sink.write(f"{folder}/{href}", chunks, size)
    for href in spec.files.get("rpc", []):
        document = _rpc_document(spec)
        sink.write(f"{folder}/{href}", [document], len(document))
    for href in spec.files.get("masks", []):
        document = _mask_document(spec, href)
        sink.write(f"{folder}/{href}", [document], len(document))
    for key, size in (("quicklook", PREVIEW_SIZE), ("thumbnail", ICON_SIZE)):
        for href in spec.files.get(key, []):
            data = _preview(spec, size)
            sink.write(f"{folder}/{href}", [data], len(data))


def write_delivery(
    target: Path,
    specs: list[ProductSpec] | None = None,
    *,
    count: int = 1,
    seed: int = 0,
    region: str = "belgium",
    as_zip: bool = False,
    image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE,
    image_format: str = "TIF",
    with_preview: bool = True,
    tiles: int = 1,
    payload_bytes: int = 0,
    name: str | None = None,
) -> Delivery:
    """Write one delivery under target: a folder ``target/<name>`` or a zip of it.

    :param specs: the products; by default ``count`` random ones of one order,
        drawn from ``seed`` over ``region`` with rasters of ``image_size``
        (width, height). Given specs keep their own rows and columns.
    :param image_format: ``TIF`` or ``JP2`` for the image tiles.
    :param with_preview: without, no PREVIEW/ICON files and no reference to them.
    :param tiles: image tiles per image file (2: R1C1 and R1C2; 4: two by two).
    :param payload_bytes: pad each product's first tile to exactly this size with
        noise written 1 MiB at a time, to benchmark large packages.
    :param name: the delivery's name; ``DELIVERY_<job_id>`` by default.
    :returns: where it was written and the specs, with their files as written.
    :raises FileExistsError: when the folder or zip is already there.
    :raises ValueError: for an unknown format, region or impossible tiling.
    """
    image_format = image_format.upper()
    if image_format not in ("TIF", "JP2"):
        raise ValueError(f"image_format {image_format!r}: TIF or JP2")
    if tiles < 1:
        raise ValueError("tiles must be at least 1")
    if specs is None:
        specs = _delivery_specs(random.Random(seed), count, region, image_size)
    if not specs:
        raise ValueError("a delivery needs at least one product")
    tile_rows, tile_columns = _tile_grid(tiles)
    for spec in specs:
        if spec.rows < tile_rows or spec.columns < tile_columns:
            raise ValueError(f"{spec.dataset_name}: too small for {tiles} tiles")
    specs = [
        replace(spec, files=_files(spec, image_format, tiles, with_preview))
        for spec in specs
    ]
    names = [spec.dataset_name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError("two products of the delivery have the same dataset name")
    name = name or f"DELIVERY_{specs[0].job_id}"
    folders = [
        f"IMG_{spec.mission}_{spec.spectral_mode}_{i:03d}"
        for i, spec in enumerate(specs, 1)
    ]
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    path = target / (f"{name}.zip" if as_zip else name)
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    sink = _Zip(path, specs[0].production_date) if as_zip else _Folder(target)
    try:
        sink.directory(name)
        volume = write_volume(
            name,
            [
                f"{f}/DIM_{s.dataset_name}.XML"
                for f, s in zip(folders, specs, strict=True)
            ],
            quicklooks=[
                f"{f}/{s.files['quicklook'][0]}" if s.files["quicklook"] else ""
                for f, s in zip(folders, specs, strict=True)
            ],
        )
        sink.write(f"{name}/VOL_{specs[0].family}.XML", [volume], len(volume))
        for folder, spec in zip(folders, specs, strict=True):
            sink.directory(f"{name}/{folder}")
            sink.directory(f"{name}/{folder}/MASKS")
            _write_product(sink, f"{name}/{folder}", spec, payload_bytes)
    except BaseException:
        # Leave nothing half-written that an ingest could pick up.
        sink.close()
        if as_zip:
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
        raise
    sink.close()
    return Delivery(path=path, specs=specs, folders=folders)


def _size(text: str) -> tuple[int, int]:
    width, _x, height = text.lower().partition("x")
    return int(width), int(height or width)


def main(argv: list[str] | None = None) -> None:
    """Write synthetic deliveries from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m belspo.pleiades.ingest.synthetic",
        description="Write synthetic DIMAP v2 deliveries, as the distributor does.",
    )
    parser.add_argument("target", type=Path, help="folder to write the deliveries in")
    parser.add_argument("--deliveries", type=int, default=1, metavar="N")
    parser.add_argument(
        "--products", type=int, default=1, metavar="M", help="per delivery"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="delivery i is drawn from seed + i"
    )
    parser.add_argument("--region", choices=sorted(REGIONS), default="belgium")
    parser.add_argument("--zip", action="store_true", help="write zips, not folders")
    parser.add_argument("--format", choices=("TIF", "JP2"), default="TIF")
    parser.add_argument("--size", type=_size, default=DEFAULT_IMAGE_SIZE, help="WxH")
    parser.add_argument("--tiles", type=int, default=1)
    parser.add_argument("--payload-bytes", type=int, default=0, metavar="BYTES")
    parser.add_argument("--no-preview", action="store_true")
    args = parser.parse_args(argv)
    for i in range(args.deliveries):
        delivery = write_delivery(
            args.target,
            count=args.products,
            seed=args.seed + i,
            region=args.region,
            as_zip=args.zip,
            image_size=args.size,
            image_format=args.format,
            with_preview=not args.no_preview,
            tiles=args.tiles,
            payload_bytes=args.payload_bytes,
        )
        print(delivery.path)


if __name__ == "__main__":
    main()
