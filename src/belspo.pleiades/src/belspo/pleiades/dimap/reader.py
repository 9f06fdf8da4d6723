"""Read DIMAP v2 product and volume documents (Pleiades, Pleiades Neo, SPOT 6/7).

The XML is parsed by defusedxml with DTDs, entities and external references
forbidden: DIMAP documents need none of them, and refusing them is what keeps a
hostile document from reading local files (XXE) or expanding an entity bomb.
Element names are matched without their namespace and case-insensitively, because
deliveries differ in both (``QUALITY_MASK`` beside ``Quality_Mask``). A field that
is absent is ``None``; one that is present but unusable (a placeholder, an
impossible date) is ``None`` too, and the reason goes to ``Metadata.warnings``.
"""

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from datetime import UTC
from defusedxml import DTDForbidden
from defusedxml import EntitiesForbidden
from defusedxml import ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring
from defusedxml.ElementTree import ParseError
from pathlib import Path
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

import math
import re


# Real product documents are well under 1 MB; anything this large is not one.
MAX_DOCUMENT_SIZE = 50 * 1024 * 1024

FILE_KINDS = ("images", "quicklook", "thumbnail", "rpc", "masks", "other")

# Our mission codes, from Strip_Source MISSION + MISSION_INDEX.
MISSIONS = frozenset({"PHR1A", "PHR1B", "PNEO3", "PNEO4", "SPOT6", "SPOT7"})
MISSION_ALIASES = {"PLEIADES": "PHR", "PLEIADESNEO": "PNEO"}

# Square kilometres per unit, keyed by the unit with spaces and punctuation removed.
AREA_UNITS = {
    "squarekm": 1.0,
    "squarekilometer": 1.0,
    "squarekilometers": 1.0,
    "squarekilometre": 1.0,
    "squarekilometres": 1.0,
    "km2": 1.0,
    "km²": 1.0,
    "sqkm": 1.0,
    "squarem": 1e-6,
    "squaremeter": 1e-6,
    "squaremeters": 1e-6,
    "squaremetre": 1e-6,
    "squaremetres": 1e-6,
    "m2": 1e-6,
    "m²": 1e-6,
    "sqm": 1e-6,
    "ha": 0.01,
    "hectare": 0.01,
    "hectares": 0.01,
}
LENGTH_UNITS = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "cm": 0.01,
    "km": 1000.0,
}
# A ground sample distance "in metres" below this is really in degrees (1 cm).
SMALLEST_GSD = 0.01

DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
TIME = re.compile(
    r"(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE
)
EPSG_CODE = re.compile(r"EPSG\b.*?(\d+)\s*$", re.IGNORECASE)


class DimapError(ValueError):
    """A document that cannot be read; the message says why, for an operator."""


def _no_files() -> dict[str, list[str]]:
    """An empty list of files for every kind."""
    return {kind: [] for kind in FILE_KINDS}


@dataclass(frozen=True)
class Metadata:
    """What a DIMAP v2 product document says about its product."""

    dataset_name: str
    profile: str | None = None
    format_version: str | None = None
    mission: str | None = None
    mission_name: str | None = None
    mission_index: str | None = None
    source_id: str | None = None
    acquisition_date: datetime | None = None
    processing_level: str | None = None
    spectral_mode: str | None = None
    radiometric_processing: str | None = None
    ground_sample_distance: float | None = None
    incidence_angle: float | None = None
    viewing_angle: float | None = None
    azimuth_angle: float | None = None
    sun_elevation: float | None = None
    sun_azimuth: float | None = None
    cloud_cover: float | None = None
    snow_cover: float | None = None
    surface_area: float | None = None
    footprint: dict | None = None
    center: tuple[float, float] | None = None
    crs: str | None = None
    rows: int | None = None
    columns: int | None = None
    bands: int | None = None
    bit_depth: int | None = None
    producer: str | None = None
    job_id: str | None = None
    product_code: str | None = None
    customer_reference: str | None = None
    production_date: datetime | None = None
    files: dict[str, list[str]] = field(default_factory=_no_files)
    warnings: list[str] = field(default_factory=list)


def read_dimap(source: str | Path | bytes, name: str | None = None) -> Metadata:
    """The metadata of one DIMAP v2 product document (``DIM_*.XML``).

    :param source: the document's path (str or Path), or its content as bytes.
    :param name: the document's file name or stem, the dataset name when the
        document has none (defaults to the path's stem).
    :returns: the metadata; fields the document lacks are ``None``.
    :raises DimapError: for a document that is not a readable DIMAP 2 product
        document: hostile or malformed XML, too large, another format or version,
        another kind of DIMAP document (an RPC model, a volume).
    """
    if name is None and isinstance(source, str | Path):
        name = Path(source).name
    if name is not None:
        name = PurePosixPath(name).name
        if name.lower().endswith(".xml"):
            name = name[: -len(".xml")]
    root = _parse(_load(source))
    profile, subprofile, version = _check_format(root)
    reader = _Reader(root)
    if subprofile is None:
        reader.warn("METADATA_SUBPROFILE is absent: read as a product document")
    elif subprofile.upper() != "PRODUCT":
        raise DimapError(
            f"a DIMAP {subprofile} document, not a product document "
            f"(METADATA_SUBPROFILE is {subprofile!r}, expected 'PRODUCT')"
        )
    if profile is not None and profile.upper() == "VOLUME":
        raise DimapError("a DIMAP volume document, not a product document")
    return reader.metadata(name, profile, version)


def read_volume(source: str | Path | bytes) -> list[str]:
    """The product documents a DIMAP v2 volume document (``VOL_*.XML``) lists.

    :param source: the document's path (str or Path), or its content as bytes.
    :returns: the ``DIM_*.XML`` hrefs of its DIMAP components, relative to the
        volume's folder and as written (callers check they stay inside it).
    :raises DimapError: for hostile or malformed XML, or a document that is not
        a DIMAP 2 volume.
    """
    root = _parse(_load(source))
    profile, subprofile, _version = _check_format(root)
    # VOLUME / SINGLE_VOLUME in PHR deliveries, VOLUME / ORDER_VOLUME in PNEO ones.
    if "VOLUME" not in f"{profile} {subprofile}".upper():
        raise DimapError(
            f"not a DIMAP volume document (METADATA_PROFILE is {profile!r})"
        )
    hrefs = []
    for component in root.iterfind("dataset_content/dataset_components/component"):
        kind = _element_text(component.find("component_type")) or ""
        href = _href(component.find("component_path"))
        if kind.upper() != "DIMAP" or href is None:
            continue
        file_name = PurePosixPath(href).name.upper()
        if file_name.startswith("DIM_") and file_name.endswith(".XML"):
            hrefs.append(href)
    return list(dict.fromkeys(hrefs))


# Parsing


def _load(source: str | Path | bytes) -> bytes:
    """The document's bytes, refused when larger than MAX_DOCUMENT_SIZE."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
            # Checked before reading so an oversized file is never loaded.
            if size > MAX_DOCUMENT_SIZE:
                raise DimapError(_too_large(size))
            with path.open("rb") as handle:
                data = handle.read(MAX_DOCUMENT_SIZE + 1)
        except OSError as error:
            raise DimapError(
                f"cannot read {path.name}: {error.strerror or error}"
            ) from None
    else:
        raise TypeError(f"a path or bytes expected, not {type(source).__name__}")
    if len(data) > MAX_DOCUMENT_SIZE:
        raise DimapError(_too_large(len(data)))
    return data


def _too_large(size: int) -> str:
    """The message for a document over MAX_DOCUMENT_SIZE."""
    return (
        f"the document is {size} bytes, larger than the {MAX_DOCUMENT_SIZE} bytes "
        "a DIMAP document can reasonably be: refused"
    )


def _parse(data: bytes) -> Element:
    """The root element of a DIMAP document, names unqualified and in lower case."""
    if not data.strip():
        raise DimapError("the document is empty")
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    # UTF-16 documents start with a byte order mark, not with "<".
    if not start.startswith(b"<") and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DimapError("not an XML document: it does not start with '<'")
    try:
        root = fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DTDForbidden as error:
        where = f" (external DTD {error.sysid!r})" if error.sysid else ""
        raise DimapError(
            f"refused: the document has a document type declaration{where}. DIMAP "
            "documents have no DTD, and one can declare entity bombs or read local "
            "files (XXE)"
        ) from None
    except EntitiesForbidden as error:
        raise DimapError(
            f"refused: the document declares the entity {error.name!r}; DIMAP "
            "documents declare none (entity expansion attack)"
        ) from None
    except ExternalReferenceForbidden as error:
        raise DimapError(
            f"refused: the document refers to the external resource "
            f"{error.sysid!r} (XXE)"
        ) from None
    except ParseError as error:
        # Expat's codes for a document that ends too early.
        truncated = error.code in (3, 5, 6)
        hint = "the document is truncated" if truncated else "malformed XML"
        raise DimapError(f"not well-formed XML ({error}): {hint}") from None
    tag = _local(root.tag)
    if tag.lower() == "phr_dimap_document":
        raise DimapError(
            "an internal CNES document (root PHR_Dimap_Document), not a DIMAP 2 "
            "document"
        )
    if tag.lower() != "dimap_document":
        raise DimapError(f"not a DIMAP document: the root element is <{tag}>")
    for element in root.iter():
        element.tag = _local(element.tag).lower()
        if element.attrib:
            element.attrib = {_local(k).lower(): v for k, v in element.attrib.items()}
    return root


def _local(name: str) -> str:
    """A tag or attribute name without its ``{namespace}``."""
    return name.rpartition("}")[2]


def _check_format(root: Element) -> tuple[str | None, str | None, str | None]:
    """The profile, subprofile and version of a DIMAP 2 document, or DimapError."""
    identification = root.find("metadata_identification")
    if identification is None:
        old = root.find("metadata_id/metadata_format")
        if old is not None:
            version = old.get("version", "1")
            raise DimapError(
                f"a DIMAP {version} document: only DIMAP 2 documents are supported"
            )
        raise DimapError("not a DIMAP 2 document: no Metadata_Identification")
    metadata_format = identification.find("metadata_format")
    name = _element_text(metadata_format)
    if name is None or name.upper() != "DIMAP":
        raise DimapError(f"METADATA_FORMAT is {name!r}, not DIMAP")
    version = (metadata_format.get("version") or "").strip() or None
    if version is not None and not re.fullmatch(r"2(\.\d+)*", version):
        raise DimapError(
            f"a DIMAP {version} document: only DIMAP 2 documents are supported"
        )
    return (
        _element_text(identification.find("metadata_profile")),
        _element_text(identification.find("metadata_subprofile")),
        version,
    )


def _element_text(element: Element | None) -> str | None:
    """The element's stripped text; None if absent or empty."""
    if element is None:
        return None
    # itertext joins the text around comments inside the element.
    text = "".join(element.itertext()).strip()
    return text or None


def _href(element: Element | None) -> str | None:
    """A local file reference; None if absent, empty or a URL."""
    if element is None:
        return None
    href = (element.get("href") or "").strip()
    if not href or "://" in href:
        return None
    return href


def _path(path: str) -> str:
    """An ElementTree path in DIMAP spelling, as the lower-case parsed names."""
    return path.lower()


def _label(path: str) -> str:
    """The element named by a path, for warnings."""
    return path.rpartition("/")[2]


# Values


class _Reader:
    """Reads the fields of a parsed product document, noting unusable values."""

    def __init__(self, root: Element):
        self.root = root
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        """Note a value that was present but unusable, once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def text(self, path: str, base: Element | None = None) -> str | None:
        """The text at ``path``; None when absent, empty or a placeholder."""
        element = (self.root if base is None else base).find(_path(path))
        text = _element_text(element)
        label = _label(path)
        # Stripped and sample documents hold their own element name as the value.
        if text is not None and text.upper() == label.upper():
            self.warn(f"{label} is a placeholder ({text!r})")
            return None
        return text

    def number(
        self, path: str, base: Element | None = None
    ) -> tuple[float | None, str]:
        """The number at ``path`` and its lower-case unit ("" if none)."""
        element = (self.root if base is None else base).find(_path(path))
        text = self.text(path, base)
        unit = (
            (element.get("unit") or "").strip().lower() if element is not None else ""
        )
        if text is None:
            return None, unit
        try:
            value = float(text.rstrip("%").strip())
        except ValueError:
            self.warn(f"{_label(path)} is not a number ({text!r})")
            return None, unit
        if not math.isfinite(value):
            self.warn(f"{_label(path)} is not a finite number ({text!r})")
            return None, unit
        return value, unit

    def integer(self, path: str) -> int | None:
        """A non-negative whole number at ``path``."""
        text = self.text(path)
        if text is None:
            return None
        # isdigit alone accepts digits int() refuses, such as "²".
        if not (text.isascii() and text.isdigit()):
            self.warn(f"{_label(path)} is not a whole number ({text!r})")
            return None
        return int(text)

    def angle(self, path: str, base: Element | None) -> float | None:
        """An angle in degrees."""
        if base is None:
            return None
        value, unit = self.number(path, base)
        if value is not None and unit.startswith("rad"):
            return math.degrees(value)
        return value

    def percentage(self, path: str) -> float | None:
        """A cover in percent, from percent or a fraction."""
        value, unit = self.number(path)
        if value is None:
            return None
        if unit in ("fraction", "ratio", "1"):
            value *= 100
        if not 0 <= value <= 100:
            given = f"{value} {unit}" if unit else f"{value}"
            self.warn(f"{_label(path)} is not a percentage ({given})")
            return None
        return value

    # The metadata

    def metadata(
        self, name: str | None, profile: str | None, version: str | None
    ) -> Metadata:
        """Every field of the document."""
        dataset_name = self.text("Dataset_Identification/DATASET_NAME") or name
        if not dataset_name:
            raise DimapError(
                "the document has no DATASET_NAME and no file name to name it by"
            )
        strip, source = self.strip_source()
        mission_name = self.text("MISSION", strip) if strip is not None else None
        mission_index = self.text("MISSION_INDEX", strip) if strip is not None else None
        centre = self.centre_values()
        footprint, center = self.footprint()
        delivery = "Product_Information/Delivery_Identification"
        return Metadata(
            dataset_name=dataset_name,
            profile=profile,
            format_version=version,
            mission=self.mission(mission_name, mission_index),
            mission_name=mission_name,
            mission_index=mission_index,
            source_id=self.text("SOURCE_ID", source) if source is not None else None,
            acquisition_date=self.acquisition_date(strip, centre),
            processing_level=self.processing_level(),
            spectral_mode=self.spectral_mode(),
            radiometric_processing=self.text(
                "Processing_Information/Product_Settings/Radiometric_Settings/"
                "RADIOMETRIC_PROCESSING"
            ),
            ground_sample_distance=self.ground_sample_distance(centre),
            incidence_angle=self.angle("Acquisition_Angles/INCIDENCE_ANGLE", centre),
            viewing_angle=self.angle("Acquisition_Angles/VIEWING_ANGLE", centre),
            azimuth_angle=self.angle("Acquisition_Angles/AZIMUTH_ANGLE", centre),
            sun_elevation=self.angle("Solar_Incidences/SUN_ELEVATION", centre),
            sun_azimuth=self.angle("Solar_Incidences/SUN_AZIMUTH", centre),
            cloud_cover=self.percentage("Dataset_Content/CLOUD_COVERAGE"),
            snow_cover=self.percentage("Dataset_Content/SNOW_COVERAGE"),
            surface_area=self.surface_area(),
            footprint=footprint,
            center=center,
            crs=self.crs(),
            rows=self.integer("Raster_Data/Raster_Dimensions/NROWS"),
            columns=self.integer("Raster_Data/Raster_Dimensions/NCOLS"),
            bands=self.integer("Raster_Data/Raster_Dimensions/NBANDS"),
            bit_depth=self.integer("Raster_Data/Raster_Encoding/NBITS"),
            producer=self.text(
                "Product_Information/Producer_Information/PRODUCER_NAME"
            ),
            job_id=self.text(f"{delivery}/JOB_ID"),
            product_code=self.text(f"{delivery}/PRODUCT_CODE"),
            customer_reference=self.text(
                f"{delivery}/Order_Identification/CUSTOMER_REFERENCE"
            ),
            production_date=self.timestamp(f"{delivery}/PRODUCTION_DATE"),
            files=self.files(),
            warnings=self.warnings,
        )

    def strip_source(self) -> tuple[Element | None, Element | None]:
        """The first Strip_Source naming a mission, and its Source_Identification."""
        first = None
        for source in self.root.iterfind(
            _path("Dataset_Sources/Source_Identification")
        ):
            strip = source.find("strip_source")
            if strip is None:
                continue
            if first is None:
                first = (strip, source)
            if _element_text(strip.find("mission")) is not None:
                return strip, source
        return first or (None, None)

    def mission(self, name: str | None, index: str | None) -> str | None:
        """Our mission code, e.g. PHR1A; None for a combination we do not know."""
        if name is None or index is None:
            return None
        key = re.sub(r"[\s_-]", "", name.upper())
        code = MISSION_ALIASES.get(key, key) + re.sub(r"[\s_-]", "", index.upper())
        if code not in MISSIONS:
            self.warn(f"unknown mission {name} {index}")
            return None
        return code

    def centre_values(self) -> Element | None:
        """The Located_Geometric_Values at the centre of the image."""
        for values in self.root.iterfind(".//located_geometric_values"):
            kind = _element_text(values.find("location_type")) or ""
            if re.sub(r"[^a-z]", "", kind.lower()) in ("center", "centre"):
                return values
        return None

    def acquisition_date(
        self, strip: Element | None, centre: Element | None
    ) -> datetime | None:
        """IMAGING_DATE and IMAGING_TIME, else the time at the image centre."""
        day = self.text("IMAGING_DATE", strip) if strip is not None else None
        time = self.text("IMAGING_TIME", strip) if strip is not None else None
        moment = None
        if day is not None and time is not None:
            moment = self.combine(day, time, "IMAGING_DATE", "IMAGING_TIME")
        if moment is None and centre is not None:
            moment = self.timestamp("TIME", centre)
        if moment is None and day is not None and time is None:
            moment = self.combine(day, "00:00:00Z", "IMAGING_DATE", "IMAGING_TIME")
            if moment is not None:
                self.warn("IMAGING_TIME is absent: the time of day is unknown")
        return moment

    def timestamp(self, path: str, base: Element | None = None) -> datetime | None:
        """An ISO 8601 date and time, in UTC."""
        text = self.text(path, base)
        if text is None:
            return None
        day, _, time = text.replace(" ", "T", 1).partition("T")
        label = _label(path)
        return self.combine(day, time or "00:00:00Z", label, label)

    def combine(
        self, day: str, time: str, day_label: str, time_label: str
    ) -> datetime | None:
        """A date and a time of day as a UTC datetime; None if unusable."""
        day_match = DATE.fullmatch(day.strip())
        if day_match is None:
            self.warn(f"{day_label} is not a date ({day!r})")
            return None
        try:
            calendar_day = date(*map(int, day_match.groups()))
        except ValueError:
            self.warn(f"{day_label}: impossible date {day.strip()}")
            return None
        time_match = TIME.fullmatch(time.strip())
        if time_match is None:
            self.warn(f"{time_label} is not a time of day ({time!r})")
            return None
        hour, minute, second, fraction, offset = time_match.groups()
        microsecond = int((fraction or "0")[:6].ljust(6, "0"))
        # A leap second (23:59:60) is the next day's first second.
        leap = int(second) == 60
        try:
            moment = datetime(
                calendar_day.year,
                calendar_day.month,
                calendar_day.day,
                int(hour),
                int(minute),
                59 if leap else int(second),
                microsecond,
                tzinfo=_zone(offset),
            )
        except ValueError:
            self.warn(f"{time_label}: impossible time {time.strip()}")
            return None
        if leap:
            moment += timedelta(seconds=1)
        return moment.astimezone(UTC)

    def processing_level(self) -> str | None:
        """SENSOR, ORTHO or MOSAIC: the geometric processing, else the level."""
        settings = "Processing_Information/Product_Settings"
        level = self.text(
            f"{settings}/Geometric_Settings/GEOMETRIC_PROCESSING"
        ) or self.text(f"{settings}/PROCESSING_LEVEL")
        return level.upper() if level else None

    def spectral_mode(self) -> str | None:
        """The spectral processing, PAN spelt P as in our vocabulary."""
        mode = self.text("Processing_Information/Product_Settings/SPECTRAL_PROCESSING")
        if mode is None:
            return None
        mode = mode.upper()
        return "P" if mode == "PAN" else mode

    def ground_sample_distance(self, centre: Element | None) -> float | None:
        """Metres: the mean centre GSD, else the resampling spacing."""
        if centre is not None:
            across = self.metres("Ground_Sample_Distance/GSD_ACROSS_TRACK", centre)
            along = self.metres("Ground_Sample_Distance/GSD_ALONG_TRACK", centre)
            values = [value for value in (across, along) if value is not None]
            if values:
                return sum(values) / len(values)
        return self.metres(
            "Processing_Information/Product_Settings/Sampling_Settings/"
            "RESAMPLING_SPACING"
        )

    def metres(self, path: str, base: Element | None = None) -> float | None:
        """A length in metres; None for one in degrees, whatever its unit says."""
        value, unit = self.number(path, base)
        if value is None:
            return None
        if unit and unit not in LENGTH_UNITS:
            self.warn(f"{_label(path)} is in {unit!r}, not a length: ignored")
            return None
        value *= LENGTH_UNITS.get(unit, 1.0)
        if value <= 0:
            self.warn(f"{_label(path)} is not a positive length ({value})")
            return None
        if value < SMALLEST_GSD:
            # Seen in ortho products in EPSG:4326: the unit says m, the value is deg.
            self.warn(
                f"{_label(path)} {value} {unit or 'm'} is a spacing in degrees, "
                "not metres: ignored"
            )
            return None
        return value

    def surface_area(self) -> float | None:
        """Square kilometres."""
        value, unit = self.number("Dataset_Content/SURFACE_AREA")
        if value is None:
            return None
        key = re.sub(r"[\s_^.-]", "", unit)
        if key and key not in AREA_UNITS:
            self.warn(f"SURFACE_AREA has an unknown unit ({unit!r})")
            return None
        return value * AREA_UNITS.get(key, 1.0)

    def footprint(self) -> tuple[dict | None, tuple[float, float] | None]:
        """The footprint as a GeoJSON Polygon, and the centre (lon, lat)."""
        extent = self.root.find(_path("Dataset_Content/Dataset_Extent"))
        center = None
        vertices: list[tuple[float, float]] = []
        if extent is not None:
            center = self.point(extent.find("center"), "lon", "lat", "Center")
            vertices = self.points(extent.findall("vertex"), "lon", "lat")
            # Some documents add the centre as a last vertex.
            if len(vertices) > 3 and center is not None and vertices[-1] == center:
                vertices.pop()
        if not vertices:
            frame = self.root.findall(".//dataset_frame/vertex")
            vertices = self.points(frame, "frame_lon", "frame_lat")
        if not vertices:
            vertices = self.raster_corners()
        if len(vertices) > 1 and vertices[-1] == vertices[0]:
            vertices.pop()
        if not vertices:
            return None, center
        if len(set(vertices)) < 3:
            self.warn(f"the footprint has fewer than 3 distinct vertices: {vertices}")
            return None, center
        ring = [[lon, lat] for lon, lat in [*vertices, vertices[0]]]
        return {"type": "Polygon", "coordinates": [ring]}, center

    def points(
        self, elements: list[Element], lon: str, lat: str
    ) -> list[tuple[float, float]]:
        """The positions of all the elements; empty if any is unusable."""
        points = [self.point(element, lon, lat, "Vertex") for element in elements]
        if None in points:
            return []
        return points

    def point(
        self, element: Element | None, lon: str, lat: str, label: str
    ) -> tuple[float, float] | None:
        """A (lon, lat) position; None, with a warning, if unusable."""
        if element is None:
            return None
        x, _ = self.number(lon.upper(), element)
        y, _ = self.number(lat.upper(), element)
        if x is None or y is None:
            self.warn(f"a {label} has no usable {lon.upper()}/{lat.upper()}")
            return None
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            self.warn(f"a {label} lies outside the world ({x}, {y})")
            return None
        return x, y

    def raster_corners(self) -> list[tuple[float, float]]:
        """The corners of a raster in geographic coordinates, from its origin."""
        if self.crs() != "EPSG:4326":
            return []
        insert = "Geoposition/Geoposition_Insert"
        left, _ = self.number(f"{insert}/ULXMAP")
        top, _ = self.number(f"{insert}/ULYMAP")
        width, _ = self.number(f"{insert}/XDIM")
        height, _ = self.number(f"{insert}/YDIM")
        rows = self.integer("Raster_Data/Raster_Dimensions/NROWS")
        columns = self.integer("Raster_Data/Raster_Dimensions/NCOLS")
        if None in (left, top, width, height, rows, columns):
            return []
        right = left + columns * width
        bottom = top - rows * height
        if not (-180 <= left < right <= 180 and -90 <= bottom < top <= 90):
            return []
        return [(left, top), (right, top), (right, bottom), (left, bottom)]

    def crs(self) -> str | None:
        """The product's CRS as ``EPSG:<code>`` when it is an EPSG code."""
        system = "Coordinate_Reference_System"
        code = self.text(f"{system}/Projected_CRS/PROJECTED_CRS_CODE") or self.text(
            f"{system}/Geodetic_CRS/GEODETIC_CRS_CODE"
        )
        if code is None:
            return None
        match = EPSG_CODE.search(code)
        return f"EPSG:{match.group(1)}" if match else code

    def files(self) -> dict[str, list[str]]:
        """The files the document refers to, by kind, in document order."""
        files = _no_files()
        seen: set[str] = set()

        def add(kind: str, element: Element | None) -> None:
            href = _href(element)
            if href is not None and href not in seen:
                seen.add(href)
                files[kind].append(href)

        for element in self.root.iterfind(".//data_file/data_file_path"):
            add("images", element)
        identification = self.root.find("dataset_identification")
        if identification is not None:
            add("quicklook", identification.find("dataset_ql_path"))
            add("thumbnail", identification.find("dataset_tn_path"))
        masks = {
            _href(path)
            for path in self.root.iterfind(".//quality_mask//component_path")
        }
        models = {
            _href(path)
            for path in self.root.iterfind(".//rational_function_model//component_path")
        }
        for component in self.root.iter("component"):
            path = component.find("component_path")
            href = _href(path)
            title = " ".join(
                _element_text(component.find(tag)) or ""
                for tag in ("component_title", "component_content")
            ).upper()
            if href in masks or "MASK" in title:
                add("masks", path)
            elif href in models or "RPC" in title or "GEOPOSITION MODEL" in title:
                add("rpc", path)
            else:
                add("other", path)
        return files


def _zone(offset: str | None) -> timezone:
    """The time zone of an ISO 8601 offset; DIMAP times without one are UTC."""
    if offset is None or offset.upper() == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
