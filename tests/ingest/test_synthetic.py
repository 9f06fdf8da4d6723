"""Synthetic deliveries: deterministic, complete, and shaped like real DIMAP v2."""

from belspo.pleiades.ingest.synthetic import Delivery
from belspo.pleiades.ingest.synthetic import main
from belspo.pleiades.ingest.synthetic import random_spec
from belspo.pleiades.ingest.synthetic import REGIONS
from belspo.pleiades.ingest.synthetic import write_delivery
from belspo.pleiades.ingest.synthetic import write_dimap
from dataclasses import replace
from datetime import datetime
from datetime import UTC
from pathlib import Path
from PIL import Image
from shapely.geometry import box
from shapely.geometry import LinearRing
from shapely.geometry import Point
from shapely.geometry import Polygon

import math
import pytest
import random
import re
import statistics
import tracemalloc
import xml.etree.ElementTree as ET
import zipfile


@pytest.fixture(scope="session")
def _keep_functional_session():
    """No portal here: overrides the conftest's autouse layer set-up (~5 s)."""


@pytest.fixture(scope="session")
def _keep_integration_session():
    """No portal here: overrides the conftest's autouse layer set-up."""


def files_of(delivery: Delivery) -> dict[str, bytes]:
    """Every file of a delivery, folder or zip, by its path inside the target."""
    if delivery.path.is_dir():
        root = delivery.path.parent
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(delivery.path.rglob("*"))
            if p.is_file()
        }
    with zipfile.ZipFile(delivery.path) as archive:
        return {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if not info.is_dir()
        }


def center_values(document: ET.Element) -> ET.Element:
    """The Located_Geometric_Values at the image centre."""
    (center,) = [
        values
        for values in document.iterfind(
            "Geometric_Data/Use_Area/Located_Geometric_Values"
        )
        if values.findtext("LOCATION_TYPE") == "Center"
    ]
    return center


def number(element: ET.Element, path: str) -> float:
    return float(element.findtext(path))


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TestRandomSpec:
    def test_same_seed_same_spec(self):
        assert random_spec(random.Random(3)) == random_spec(random.Random(3))
        assert random_spec(random.Random(3)) != random_spec(random.Random(4))

    def test_override_changes_only_that_field(self):
        spec = random_spec(random.Random(3))
        cloudy = random_spec(random.Random(3), cloud_cover=95.5)
        assert cloudy == replace(spec, cloud_cover=95.5)

    def test_derived_fields_follow_overrides(self):
        spec = random_spec(
            random.Random(3),
            mission="PNEO3",
            spectral_mode="P",
            processing_level="SENSOR",
            job_id="PWOI_000000042_1_1_F_1",
        )
        assert spec.crs == "EPSG:4326"
        assert spec.bands == 1
        assert spec.ground_sample_distance == 0.3
        assert spec.dataset_name.startswith("PNEO3_")
        assert spec.dataset_name.endswith("_PAN_SEN_PWOI_000000042_1_1_F_1")
        assert spec.files["images"] == [f"IMG_{spec.dataset_name}_R1C1.TIF"]

    def test_unknown_field_refused(self):
        with pytest.raises(TypeError, match="clouds"):
            random_spec(random.Random(0), clouds=3)

    @pytest.mark.parametrize("region", sorted(REGIONS))
    def test_footprint_closed_counter_clockwise_inside_region(self, region):
        west, south, east, north = REGIONS[region]
        for seed in range(40):
            spec = random_spec(random.Random(seed), region)
            (ring,) = spec.footprint["coordinates"]
            assert spec.footprint["type"] == "Polygon"
            assert len(ring) == 5
            assert ring[0] == ring[-1]
            assert LinearRing(ring).is_ccw
            polygon = Polygon(ring)
            assert polygon.is_valid
            assert polygon.within(box(west, south, east, north))
            assert polygon.contains(Point(spec.center))
            # About 20 km × 20 km: the area in km² agrees with the polygon's.
            lat = spec.center[1]
            km2 = polygon.area * 111.32 * math.cos(math.radians(lat)) * 110.574
            assert 300 < spec.surface_area < 560
            assert km2 == pytest.approx(spec.surface_area, rel=0.02)
            # Slightly rotated: no edge is exactly north-south.
            assert ring[0][0] != ring[1][0]

    def test_values_are_realistic(self):
        specs = [random_spec(random.Random(seed)) for seed in range(150)]
        for spec in specs:
            when = spec.acquisition_date
            assert when.tzinfo == UTC
            assert datetime(2019, 1, 1, tzinfo=UTC) <= when <= datetime.now(UTC)
            assert "09:30" <= f"{when:%H:%M}" <= "11:30"
            assert when.microsecond % 100_000 == 0
            if spec.mission.startswith("PNEO"):
                assert when.year >= 2021
            assert spec.production_date > when
            assert 0 <= spec.incidence_angle <= 30
            assert spec.viewing_angle < spec.incidence_angle
            assert 0 <= spec.azimuth_angle < 360
            assert 12 <= spec.sun_elevation < 70
            assert 90 < spec.sun_azimuth < 230  # late morning: south-east to south
            assert 0 <= spec.cloud_cover <= 100
            assert 0 <= spec.snow_cover <= 100
            assert spec.mission in ("PHR1A", "PHR1B", "PNEO3", "PNEO4")
            assert spec.producer == "Airbus DS Geo"
            expected_crs = (
                "EPSG:4326" if spec.processing_level == "SENSOR" else "EPSG:32631"
            )
            assert spec.crs == expected_crs
        assert statistics.median(s.cloud_cover for s in specs) < 25
        assert {s.processing_level for s in specs} == {"SENSOR", "ORTHO"}
        assert len({s.acquisition_date.year for s in specs}) >= 7

    def test_europe_uses_the_utm_zone(self):
        for seed in range(60):
            spec = random_spec(random.Random(seed), "europe", processing_level="ORTHO")
            lon, lat = spec.center
            zone = int((lon + 180) // 6) + 1
            if 56 <= lat < 64 and 3 <= lon < 12:
                zone = 32
            assert spec.crs == f"EPSG:{32600 + zone}"


class TestDimap:
    SPECS = {
        "phr-ortho": {"mission": "PHR1A", "processing_level": "ORTHO"},
        "pneo-sensor-pan": {
            "mission": "PNEO3",
            "processing_level": "SENSOR",
            "spectral_mode": "P",
        },
        "pneo-ortho-fs": {
            "mission": "PNEO4",
            "processing_level": "ORTHO",
            "spectral_mode": "MS-FS",
        },
    }

    @pytest.fixture(params=sorted(SPECS))
    def spec(self, request):
        return random_spec(random.Random(11), "europe", **self.SPECS[request.param])

    def test_xml_declaration_and_format(self, spec):
        data = write_dimap(spec)
        assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"')
        document = ET.fromstring(data)
        assert document.tag == "Dimap_Document"
        metadata_format = document.find("Metadata_Identification/METADATA_FORMAT")
        assert metadata_format.text == "DIMAP"
        assert metadata_format.get("version") == "2.0"
        profile = document.findtext("Metadata_Identification/METADATA_PROFILE")
        assert profile == f"{spec.family}_{spec.processing_level}"
        subprofile = document.findtext("Metadata_Identification/METADATA_SUBPROFILE")
        assert subprofile == "PRODUCT"

    def test_values_at_the_real_paths(self, spec):
        document = ET.fromstring(write_dimap(spec))
        identification = document.find("Dataset_Identification")
        assert identification.findtext("DATASET_NAME") == spec.dataset_name
        assert (
            identification.find("DATASET_QL_PATH").get("href")
            == (spec.files["quicklook"][0])
        )
        assert (
            identification.find("DATASET_TN_PATH").get("href")
            == (spec.files["thumbnail"][0])
        )

        content = document.find("Dataset_Content")
        assert number(content, "CLOUD_COVERAGE") == spec.cloud_cover
        assert content.find("CLOUD_COVERAGE").get("unit") == "percent"
        assert number(content, "SNOW_COVERAGE") == spec.snow_cover
        assert number(content, "SURFACE_AREA") == spec.surface_area
        assert content.find("SURFACE_AREA").get("unit") == "square km"
        vertices = [
            [number(v, "LON"), number(v, "LAT")]
            for v in content.iterfind("Dataset_Extent/Vertex")
        ]
        assert len(vertices) == 4
        assert Polygon(vertices).equals(Polygon(spec.footprint["coordinates"][0]))
        assert not LinearRing(vertices).is_ccw  # clockwise from the top left
        center = content.find("Dataset_Extent/Center")
        assert (number(center, "LON"), number(center, "LAT")) == spec.center

        delivery = document.find("Product_Information/Delivery_Identification")
        production = parse_time(delivery.findtext("PRODUCTION_DATE"))
        assert production == spec.production_date
        assert delivery.findtext("JOB_ID") == spec.job_id
        assert delivery.findtext("PRODUCT_CODE") == spec.product_code
        reference = delivery.findtext("Order_Identification/CUSTOMER_REFERENCE")
        assert reference == spec.customer_reference
        producer = "Product_Information/Producer_Information/PRODUCER_NAME"
        assert document.findtext(producer) == spec.producer

        code = spec.crs.split(":")[1]
        if code == "4326":
            path = "Coordinate_Reference_System/Geodetic_CRS/GEODETIC_CRS_CODE"
        else:
            path = "Coordinate_Reference_System/Projected_CRS/PROJECTED_CRS_CODE"
        assert document.findtext(path) == f"urn:ogc:def:crs:EPSG::{code}"

        raster = document.find("Raster_Data")
        assert int(raster.findtext("Raster_Dimensions/NROWS")) == spec.rows
        assert int(raster.findtext("Raster_Dimensions/NCOLS")) == spec.columns
        assert int(raster.findtext("Raster_Dimensions/NBANDS")) == spec.bands
        assert int(raster.findtext("Raster_Encoding/NBITS")) == spec.bit_depth
        hrefs = [
            path.get("href")
            for path in raster.iterfind(
                "Data_Access/Data_Files/Data_File/DATA_FILE_PATH"
            )
        ]
        assert hrefs == spec.files["images"]

        settings = document.find("Processing_Information/Product_Settings")
        assert settings.findtext("PROCESSING_LEVEL") == spec.processing_level
        geometric = settings.findtext("Geometric_Settings/GEOMETRIC_PROCESSING")
        assert geometric == spec.processing_level
        spectral = settings.findtext("SPECTRAL_PROCESSING")
        if spec.family == "PNEO" and spec.spectral_mode == "P":
            assert spectral == "PAN"  # as in the real PNEO document
        else:
            assert spectral == spec.spectral_mode
        radiometric = settings.findtext("Radiometric_Settings/RADIOMETRIC_PROCESSING")
        assert radiometric == spec.radiometric_processing
        spacing = number(settings, "Sampling_Settings/RESAMPLING_SPACING")
        assert spacing == spec.ground_sample_distance

        values = center_values(document)
        assert parse_time(values.findtext("TIME")) == spec.acquisition_date
        angles = values.find("Acquisition_Angles")
        assert number(angles, "INCIDENCE_ANGLE") == spec.incidence_angle
        assert number(angles, "VIEWING_ANGLE") == spec.viewing_angle
        assert number(angles, "AZIMUTH_ANGLE") == spec.azimuth_angle
        assert angles.find("INCIDENCE_ANGLE").get("unit") == "deg"
        assert number(values, "Solar_Incidences/SUN_ELEVATION") == spec.sun_elevation
        assert number(values, "Solar_Incidences/SUN_AZIMUTH") == spec.sun_azimuth
        gsd = values.find("Ground_Sample_Distance")
        assert number(gsd, "GSD_ACROSS_TRACK") == spec.ground_sample_distance
        assert number(gsd, "GSD_ALONG_TRACK") == spec.ground_sample_distance

        strip = document.find("Dataset_Sources/Source_Identification/Strip_Source")
        mission = strip.findtext("MISSION") + strip.findtext("MISSION_INDEX")
        assert mission == spec.mission
        imaging = f"{strip.findtext('IMAGING_DATE')}T{strip.findtext('IMAGING_TIME')}"
        assert datetime.fromisoformat(imaging).replace(tzinfo=UTC) == (
            spec.acquisition_date
        )

        masks = [
            path.get("href")
            for path in document.iterfind(
                "Quality_Assessment/Imaging_Quality_Measurement/Quality_Mask/Component/"
                "COMPONENT_PATH"
            )
        ]
        assert masks == spec.files["masks"]
        rpc = document.find(
            "Dataset_Content/Dataset_Components/Component/COMPONENT_PATH"
        )
        assert [rpc.get("href")] == spec.files["rpc"]
        model = document.find(
            "Geoposition/Geoposition_Models/Rational_Function_Model/Component/"
            "COMPONENT_PATH"
        )
        if spec.processing_level == "SENSOR":
            assert [model.get("href")] == spec.files["rpc"]

    def test_full_spectrum_has_two_data_files_blocks(self):
        spec = random_spec(random.Random(2), mission="PNEO3", spectral_mode="PMS-FS")
        document = ET.fromstring(write_dimap(spec))
        blocks = document.findall("Raster_Data/Data_Access/Data_Files")
        assert [
            [i.findtext("BAND_ID") for i in b.iterfind("Raster_Display/*/Raster_Index")]
            for b in blocks
        ] == [["R", "G", "B"], ["NIR", "RE", "DB"]]
        assert document.findtext("Raster_Data/Raster_Dimensions/NBANDS") == "6"


class TestDelivery:
    def test_same_seed_same_bytes(self, tmp_path):
        first = write_delivery(tmp_path / "a", count=2, seed=5, as_zip=True)
        again = write_delivery(tmp_path / "b", count=2, seed=5, as_zip=True)
        other = write_delivery(tmp_path / "c", count=2, seed=6, as_zip=True)
        assert first.path.read_bytes() == again.path.read_bytes()
        assert first.specs == again.specs
        assert first.path.name != other.path.name

    def test_folder_and_zip_hold_the_same_files(self, tmp_path):
        folder = write_delivery(tmp_path / "folder", count=3, seed=8, tiles=2)
        packed = write_delivery(tmp_path / "zip", count=3, seed=8, tiles=2, as_zip=True)
        assert folder.path.name == f"DELIVERY_{folder.specs[0].job_id}"
        assert packed.path.name == f"{folder.path.name}.zip"
        assert files_of(folder) == files_of(packed)
        with zipfile.ZipFile(packed.path) as archive:
            tops = {name.split("/")[0] for name in archive.namelist()}
        assert tops == {folder.path.name}

    def test_products_of_one_order(self, tmp_path):
        delivery = write_delivery(tmp_path, count=4, seed=12)
        assert len({s.job_id for s in delivery.specs}) == 1
        assert len({s.customer_reference for s in delivery.specs}) == 1
        assert len({s.production_date for s in delivery.specs}) == 1
        assert len({s.family for s in delivery.specs}) == 1
        assert all(s.production_date > s.acquisition_date for s in delivery.specs)
        assert delivery.folders == [
            f"IMG_{s.mission}_{s.spectral_mode}_{i:03d}"
            for i, s in enumerate(delivery.specs, 1)
        ]

    def test_every_referenced_file_exists_and_nothing_else(self, tmp_path):
        delivery = write_delivery(tmp_path, count=3, seed=1, tiles=4)
        volume_name = f"VOL_{delivery.specs[0].family}.XML"
        volume = ET.parse(delivery.path / volume_name).getroot()
        profile = volume.findtext("Metadata_Identification/METADATA_PROFILE")
        assert profile == "VOLUME"
        documents = [
            element.get("href")
            for element in volume.iterfind(
                "Dataset_Content/Dataset_Components/Component/COMPONENT_PATH"
            )
        ]
        assert len(documents) == 3
        for href, spec in zip(documents, delivery.specs, strict=True):
            dim = delivery.path / href
            assert dim.name == f"DIM_{spec.dataset_name}.XML"
            folder = dim.parent
            referenced = {
                element.get("href")
                for element in ET.parse(dim).iter()
                if element.get("href") and not element.get("href").startswith("http")
            }
            written = {
                str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
            }
            assert referenced | {dim.name} == written
            assert referenced == {h for hrefs in spec.files.values() for h in hrefs}

    @pytest.mark.parametrize("image_format", ["TIF", "JP2"])
    @pytest.mark.parametrize("tiles", [1, 2, 4])
    def test_images_open_with_the_spec_size(self, tmp_path, image_format, tiles):
        delivery = write_delivery(
            tmp_path,
            count=3,
            seed=21,
            image_format=image_format,
            tiles=tiles,
            image_size=(48, 40),
        )
        for spec, folder in zip(delivery.specs, delivery.folders, strict=True):
            assert (spec.columns, spec.rows) == (48, 40)
            assert len(spec.files["images"]) % tiles == 0
            files = len(spec.files["images"]) // tiles  # two for PNEO full spectrum
            widths = heights = 0
            for href in spec.files["images"]:
                assert href.endswith(f".{image_format}")
                row, column = re.search(r"_R(\d+)C(\d+)\.", href).groups()
                with Image.open(delivery.path / folder / href) as image:
                    image.load()
                    expected = "JPEG2000" if image_format == "JP2" else "TIFF"
                    assert image.format == expected
                    widths += image.size[0] if row == "1" else 0
                    heights += image.size[1] if column == "1" else 0
            # The tiles of the first row and column add up to the whole raster.
            assert (widths, heights) == (spec.columns * files, spec.rows * files)
            for key, size in (("quicklook", 256), ("thumbnail", 64)):
                with Image.open(delivery.path / folder / spec.files[key][0]) as image:
                    assert image.format == "JPEG"
                    assert max(image.size) == size

    def test_single_tile_has_the_spec_size_and_bands(self, tmp_path):
        modes = {1: ("L", "I;16"), 3: ("RGB",), 4: ("RGBA",), 6: ("RGB",)}
        for seed in range(6):
            delivery = write_delivery(tmp_path / str(seed), seed=seed, count=2)
            for spec, folder in zip(delivery.specs, delivery.folders, strict=True):
                for href in spec.files["images"]:
                    with Image.open(delivery.path / folder / href) as image:
                        assert image.size == (spec.columns, spec.rows)
                        assert image.mode in modes[spec.bands]
                        extrema = image.getextrema()
                        low, high = extrema[0] if spec.bands > 1 else extrema
                        assert low < high  # a pattern, not a flat image

    def test_without_preview(self, tmp_path):
        delivery = write_delivery(tmp_path, count=2, seed=3, with_preview=False)
        files = files_of(delivery)
        names = [name.rsplit("/", 1)[-1] for name in files]
        assert not [n for n in names if n.startswith(("PREVIEW_", "ICON_"))]
        for name, data in files.items():
            if name.endswith(".XML"):
                assert b"PREVIEW_" not in data
                assert b"ICON_" not in data
                assert b"DATASET_QL_PATH" not in data
                assert b"DATASET_TN_PATH" not in data
        for spec in delivery.specs:
            assert spec.files["quicklook"] == spec.files["thumbnail"] == []

    def test_zip_stores_images_and_deflates_xml(self, tmp_path):
        delivery = write_delivery(
            tmp_path, count=2, seed=4, as_zip=True, image_format="JP2"
        )
        with zipfile.ZipFile(delivery.path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            assert archive.testzip() is None
        for info in infos:
            if info.filename.endswith((".JP2", ".TIF", ".JPG")):
                assert info.compress_type == zipfile.ZIP_STORED, info.filename
            else:
                assert info.filename.endswith((".XML", ".GML"))
                assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename

    @pytest.mark.parametrize("as_zip", [False, True])
    def test_payload_exact_size_in_constant_memory(self, tmp_path, as_zip):
        def peak(payload: int, name: str) -> tuple[Delivery, int]:
            tracemalloc.start()
            try:
                delivery = write_delivery(
                    tmp_path,
                    seed=7,
                    as_zip=as_zip,
                    payload_bytes=payload,
                    name=name,
                )
                return delivery, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        peak(1 << 20, "WARM")  # first use fills caches that are not the payload's
        _small, small_peak = peak(1 << 20, "SMALL")
        payload = 12 << 20
        delivery, large_peak = peak(payload, "LARGE")
        assert large_peak < small_peak + (1 << 20)
        assert large_peak < payload / 2
        (spec,) = delivery.specs
        first_tile = f"{delivery.folders[0]}/{spec.files['images'][0]}"
        if as_zip:
            with zipfile.ZipFile(delivery.path) as archive:
                info = archive.getinfo(f"LARGE/{first_tile}")
                assert info.file_size == payload
                assert info.compress_type == zipfile.ZIP_STORED
                with archive.open(info) as handle, Image.open(handle) as image:
                    assert image.size == (spec.columns, spec.rows)
        else:
            tile = delivery.path / first_tile
            assert tile.stat().st_size == payload
            with Image.open(tile) as image:
                image.load()
                assert image.size == (spec.columns, spec.rows)

    def test_refuses_to_overwrite(self, tmp_path):
        write_delivery(tmp_path, seed=1, name="SAME")
        with pytest.raises(FileExistsError):
            write_delivery(tmp_path, seed=2, name="SAME")

    def test_given_specs_are_written_as_they_are(self, tmp_path):
        rng = random.Random(30)
        specs = [random_spec(rng, cloud_cover=0.0), random_spec(rng, cloud_cover=50.0)]
        delivery = write_delivery(tmp_path, specs, name="GIVEN")
        assert [replace(s, files={}) for s in delivery.specs] == [
            replace(s, files={}) for s in specs
        ]
        assert delivery.path == tmp_path / "GIVEN"


def test_main_writes_deliveries(tmp_path, capsys):
    main(
        [
            str(tmp_path),
            "--deliveries",
            "2",
            "--products",
            "2",
            "--seed",
            "4",
            "--region",
            "europe",
            "--zip",
        ]
    )
    printed = capsys.readouterr().out.split()
    assert len(printed) == 2
    for path in map(Path, printed):
        assert path.suffix == ".zip"
        with zipfile.ZipFile(path) as archive:
            dims = [n for n in archive.namelist() if "/DIM_" in n]
        assert len(dims) == 2
