"""The real DIMAP documents of the shared folder: the values FACTS.md lists."""

from belspo.pleiades.dimap import Metadata
from belspo.pleiades.dimap import read_dimap
from belspo.pleiades.dimap import read_volume
from datetime import datetime
from datetime import UTC

import pytest
import re


ASP = "asp_plot/DIM_PNEO3_202111071029126_PAN_trimmed.XML"
FOO = "gdal-dimap2/DIM_foo.XML"
MS_FS = "gdal-dimap2-vhr2020-ms-fs/DIM_MS-FS.XML"
ASP_PRODUCT = "PNEO3_202111071029126_PAN_SEN_PWOI_000251471_1_1_F_1"

EXPECTED = {
    FOO: {
        "dataset_name": "DIM_foo",
        "profile": "PHR_SENSOR",
        "format_version": "2.0",
        "mission": "PHR1A",
        "mission_name": "PHR",
        "mission_index": "1A",
        "source_id": None,
        "acquisition_date": None,
        "processing_level": "SENSOR",
        "spectral_mode": "PMS",
        "radiometric_processing": "BASIC",
        "ground_sample_distance": 0.5,
        "incidence_angle": None,
        "viewing_angle": None,
        "azimuth_angle": None,
        "sun_elevation": None,
        "sun_azimuth": None,
        "cloud_cover": None,
        "snow_cover": None,
        "surface_area": 1.0,
        "footprint": None,
        "center": None,
        "crs": "EPSG:4326",
        "rows": 30,
        "columns": 20,
        "bands": 4,
        "bit_depth": 12,
        "producer": None,
        "job_id": None,
        "product_code": None,
        "customer_reference": None,
        "production_date": None,
        "files": {
            "images": ["IMG_foo_R1C1.TIF", "IMG_foo_R2C1.TIF"],
            "quicklook": [],
            "thumbnail": [],
            "rpc": ["RPC_foo.XML"],
            "masks": ["CLD_foo_MSK.GML"],
            "other": ["STRIP_foo_DIM.XML"],
        },
    },
    MS_FS: {
        "dataset_name": "FOO_MS-FS_ORT",
        "profile": "PNEO_ORTHO",
        "format_version": "2.0",
        "mission": "PNEO4",
        "mission_name": "PNEO",
        "mission_index": "4",
        "source_id": "DS_PNEO4_201704121106009_PS1_FR1_FR1_E005N46_004192",
        # No time-zone marker in the document: DIMAP times are UTC.
        "acquisition_date": datetime(2017, 4, 12, 11, 6, 1, 900000, tzinfo=UTC),
        "processing_level": "ORTHO",
        "spectral_mode": "MS-FS",
        "radiometric_processing": "REFLECTANCE",
        # The centre GSD, not RESAMPLING_SPACING (degrees despite unit="m").
        "ground_sample_distance": (1.2301113860864856 + 1.2026091934076724) / 2,
        "incidence_angle": 11.124561131602404,
        "viewing_angle": 10.12318337396411,
        "azimuth_angle": 179.96867893793004,
        "sun_elevation": 52.3271354095661,
        "sun_azimuth": 165.76238124344286,
        "cloud_cover": 77.98127298818147,
        "snow_cover": 0.0,
        "surface_area": 2.2754197622202037,
        # Four vertices: the fifth, equal to the centre, is dropped.
        "footprint": {
            "type": "Polygon",
            "coordinates": [
                [
                    [4.9191722725666835, 45.76779493067844],
                    [4.937108342675127, 45.76779493067844],
                    [4.937108342675127, 45.75306404277349],
                    [4.9191722725666835, 45.75306404277349],
                    [4.9191722725666835, 45.76779493067844],
                ]
            ],
        },
        "center": (4.928140307620906, 45.76042948672597),
        "crs": "EPSG:4326",
        "rows": 1366,
        "columns": 1663,
        "bands": 6,
        "bit_depth": 16,
        "producer": None,
        # JOB_ID holds "job_id": the element's own name, a placeholder.
        "job_id": None,
        "product_code": "STD",
        "customer_reference": "PNEO_ORTHO_BUNDLE-FS",
        "production_date": datetime(2021, 1, 14, 9, 25, 33, tzinfo=UTC),
        "files": {
            "images": ["IMG_RGB_R1C1.TIF", "IMG_NED_R1C1.TIF"],
            "quicklook": ["PREVIEW.JPG"],
            "thumbnail": [],
            "rpc": [],
            "masks": ["MASKS/ROI.GML"],
            "other": [],
        },
    },
    ASP: {
        "dataset_name": "PNEO3_202111071029126_PAN_SEN",
        "profile": "PNEO_SENSOR",
        "format_version": "2.0",
        "mission": "PNEO3",
        "mission_name": "PNEO",
        "mission_index": "3",
        "source_id": "ACQ_PNEO3_00816400750988",
        "acquisition_date": datetime(2021, 11, 7, 10, 29, 11, 900000, tzinfo=UTC),
        "processing_level": "SENSOR",
        # SPECTRAL_PROCESSING is PAN, our code is P.
        "spectral_mode": "P",
        "radiometric_processing": "REFLECTANCE",
        "ground_sample_distance": (0.34061811696824684 + 0.3241140002177955) / 2,
        "incidence_angle": 21.78124738411253,
        "viewing_angle": 19.738645825028545,
        "azimuth_angle": 63.05245768834828,
        "sun_elevation": 29.07728083374117,
        "sun_azimuth": 165.43108816342217,
        "cloud_cover": 0.0,
        "snow_cover": 0.0,
        "surface_area": 100.71138478450213,
        "footprint": {
            "type": "Polygon",
            "coordinates": [
                [
                    [5.307138681631315, 43.33543042333591],
                    [5.431171743354403, 43.34072049054464],
                    [5.431168412225354, 43.24452584410263],
                    [5.307501418138921, 43.238916188302895],
                    [5.307138681631315, 43.33543042333591],
                ]
            ],
        },
        "center": (5.369245063837498, 43.28989823657152),
        "crs": "EPSG:4326",
        "rows": 33085,
        "columns": 29393,
        "bands": 1,
        "bit_depth": 16,
        "producer": "AIRBUS DS GEO",
        "job_id": "PWOI_000251471_1_1_F_1",
        "product_code": "STE",
        "customer_reference": "PNEO_Stereo-Advanced_France-Marseille_Urban_Mapping",
        "production_date": datetime(2024, 12, 5, 18, 42, 2, 113000, tzinfo=UTC),
        "files": {
            "images": [f"IMG_{ASP_PRODUCT}_P_R1C1.JP2"],
            "quicklook": [f"PREVIEW_{ASP_PRODUCT}.JPG"],
            "thumbnail": [],
            "rpc": [f"RPC_{ASP_PRODUCT}.XML"],
            "masks": [],
            "other": [
                f"LINEAGE/PROCESSING_{ASP_PRODUCT}.XML",
                f"LUT_{ASP_PRODUCT}_P.XML",
            ],
        },
    },
}

VOLUMES = {
    "gdal-dimap2/VOL_PHR.XML": ["DIM_foo.XML"],
    # PAN/DIM_PAN.XML is listed though the folder does not hold it.
    "gdal-dimap2-vhr2020-ms-fs/VOL_PNEO.XML": [
        "MS-FS/DIM_MS-FS.XML",
        "PAN/DIM_PAN.XML",
    ],
}


def test_every_shared_document_has_expectations(dimap_data):
    documents = {p.relative_to(dimap_data).as_posix() for p in dimap_data.rglob("*")}
    products = {d for d in documents if re.search(r"(^|/)DIM_[^/]*\.XML$", d, re.I)}
    volumes = {d for d in documents if re.search(r"(^|/)VOL_[^/]*\.XML$", d, re.I)}
    assert products == set(EXPECTED)
    assert volumes == set(VOLUMES)


@pytest.mark.parametrize("document", sorted(EXPECTED))
def test_values_of_real_documents(dimap_data, document):
    metadata = read_dimap(dimap_data / document)
    expected = EXPECTED[document]
    assert set(expected) == set(Metadata.__dataclass_fields__) - {"warnings"}
    for name, value in expected.items():
        actual = getattr(metadata, name)
        if isinstance(value, float):
            assert actual == pytest.approx(value), name
        else:
            assert actual == value, name


@pytest.mark.parametrize("document", sorted(EXPECTED))
def test_dates_are_utc_aware(dimap_data, document):
    metadata = read_dimap(dimap_data / document)
    for moment in (metadata.acquisition_date, metadata.production_date):
        assert moment is None or moment.utcoffset().total_seconds() == 0


def test_bytes_read_like_the_file(dimap_data):
    path = dimap_data / FOO
    from_bytes = read_dimap(path.read_bytes(), name="gdal-dimap2/DIM_foo.XML")
    assert from_bytes == read_dimap(path)
    # The ingest passes the stem.
    assert read_dimap(path.read_bytes(), name="DIM_foo").dataset_name == "DIM_foo"


def test_placeholders_become_warnings(dimap_data):
    metadata = read_dimap(dimap_data / FOO)
    assert metadata.acquisition_date is None
    for element in (
        "IMAGING_DATE",
        "IMAGING_TIME",
        "SOURCE_ID",
        "PRODUCTION_DATE",
        "JOB_ID",
        "CUSTOMER_REFERENCE",
    ):
        assert f"{element} is a placeholder ({element!r})" in metadata.warnings


def test_clean_document_has_no_warnings(dimap_data):
    assert read_dimap(dimap_data / ASP).warnings == []


def test_resampling_spacing_in_degrees_is_ignored(dimap_data):
    text = (dimap_data / MS_FS).read_text()
    without_centre = re.sub(r"<Use_Area>.*</Use_Area>", "", text, flags=re.S)
    metadata = read_dimap(without_centre.encode(), name="DIM_MS-FS")
    assert metadata.ground_sample_distance is None
    assert metadata.incidence_angle is None
    assert any("RESAMPLING_SPACING" in w and "degrees" in w for w in metadata.warnings)


def test_footprint_falls_back_to_the_raster_corners(dimap_data):
    text = (dimap_data / MS_FS).read_text()
    without_extent = re.sub(
        r"<Dataset_Extent>.*</Dataset_Extent>", "", text, flags=re.S
    )
    metadata = read_dimap(without_extent.encode(), name="DIM_MS-FS")
    ring = metadata.footprint["coordinates"][0]
    left, top, size = 4.919166876637048, 45.767800326608075, 1.0791859271024855e-05
    assert ring[0] == pytest.approx([left, top])
    assert ring[2] == pytest.approx([left + 1663 * size, top - 1366 * size])
    assert ring[-1] == ring[0]
    assert metadata.center is None


@pytest.mark.parametrize("volume", sorted(VOLUMES))
def test_volumes_list_their_product_documents(dimap_data, volume):
    assert read_volume(dimap_data / volume) == VOLUMES[volume]
