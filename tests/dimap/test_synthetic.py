"""Small made-up documents: namespaces, dates, units, missions, missing fields."""

from belspo.pleiades.dimap import read_dimap
from datetime import datetime
from datetime import UTC
from string import Template

import pytest
import re


PRODUCT = Template("""<?xml version="1.0" encoding="UTF-8"?>
<Dimap_Document$namespace>
  <Metadata_Identification>
    <METADATA_FORMAT version="2.15">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>PHR_ORTHO</METADATA_PROFILE>
    <METADATA_SUBPROFILE>PRODUCT</METADATA_SUBPROFILE>
  </Metadata_Identification>
  <Dataset_Identification>
    <DATASET_NAME> DS_PHR1B_TEST<!-- a comment inside -->_ORT </DATASET_NAME>
    <DATASET_QL_PATH href="PREVIEW_TEST.JPG"/>
    <DATASET_TN_PATH href="ICON_TEST.JPG"/>
  </Dataset_Identification>
  <Dataset_Content>
    <SURFACE_AREA unit="$area_unit">$area</SURFACE_AREA>
    <CLOUD_COVERAGE unit="$cloud_unit">$cloud</CLOUD_COVERAGE>
    <SNOW_COVERAGE>1.5</SNOW_COVERAGE>
    <Dataset_Extent>
      <EXTENT_TYPE>Bounding_Polygon</EXTENT_TYPE>
      <Vertex><LON>4.3</LON><LAT>50.9</LAT></Vertex>
      <Vertex><LON>4.5</LON><LAT>50.9</LAT></Vertex>
      <Vertex><LON>4.5</LON><LAT>50.8</LAT></Vertex>
      <Vertex><LON>4.3</LON><LAT>50.8</LAT></Vertex>
      <Center><LON>4.4</LON><LAT>50.85</LAT></Center>
    </Dataset_Extent>
  </Dataset_Content>
  <Product_Information>
    <Delivery_Identification>
      <PRODUCTION_DATE>2021-03-01T08:00:00Z</PRODUCTION_DATE>
      <JOB_ID>SO21000001-1-01</JOB_ID>
      <Order_Identification>
        <CUSTOMER_REFERENCE>BELSPO-2021-0042</CUSTOMER_REFERENCE>
      </Order_Identification>
    </Delivery_Identification>
  </Product_Information>
  <Coordinate_Reference_System>
    <Projected_CRS>
      <PROJECTED_CRS_CODE>urn:ogc:def:crs:EPSG::32631</PROJECTED_CRS_CODE>
    </Projected_CRS>
  </Coordinate_Reference_System>
  <Processing_Information>
    <Product_Settings>
      <PROCESSING_LEVEL>ORTHO</PROCESSING_LEVEL>
      <SPECTRAL_PROCESSING>pms</SPECTRAL_PROCESSING>
      <Sampling_Settings>
        <RESAMPLING_SPACING unit="m">0.5</RESAMPLING_SPACING>
      </Sampling_Settings>
    </Product_Settings>
  </Processing_Information>
  <Geometric_Data>
    <Use_Area>
      <Located_Geometric_Values>
        <LOCATION_TYPE>Center</LOCATION_TYPE>
        <TIME>2021-02-03T10:29:12.5Z</TIME>
        <Acquisition_Angles>
          <INCIDENCE_ANGLE unit="deg">12.5</INCIDENCE_ANGLE>
        </Acquisition_Angles>
      </Located_Geometric_Values>
    </Use_Area>
  </Geometric_Data>
  <quality_assessment>
    <Imaging_Quality_Measurement>
      <quality_mask>
        <Component>
          <COMPONENT_TITLE>Cloud_Cotation Mask</COMPONENT_TITLE>
          <COMPONENT_PATH href="MASKS/CLD_TEST_MSK.GML"/>
        </Component>
      </quality_mask>
    </Imaging_Quality_Measurement>
  </quality_assessment>
  <Dataset_Sources>
    <Source_Identification>
      <SOURCE_ID>DS_PHR1B_202102031029125_FR1_PX_E004N50_0101_01234</SOURCE_ID>
      <Strip_Source>
        <MISSION>$mission</MISSION>
        <MISSION_INDEX>$index</MISSION_INDEX>
        <IMAGING_DATE>$date</IMAGING_DATE>
        $imaging_time
      </Strip_Source>
    </Source_Identification>
  </Dataset_Sources>
</Dimap_Document>
""")

DEFAULTS = {
    "namespace": "",
    "area_unit": "square km",
    "area": "120.5",
    "cloud_unit": "percent",
    "cloud": "12.25",
    "mission": "PHR",
    "index": "1B",
    "date": "2021-02-03",
    "time": "10:29:12.25Z",
}


def product(**values: str | None) -> bytes:
    """The synthetic product document with some values replaced."""
    values = {**DEFAULTS, **values}
    time = values.pop("time")
    values["imaging_time"] = (
        "" if time is None else f"<IMAGING_TIME>{time}</IMAGING_TIME>"
    )
    return PRODUCT.substitute(values).encode()


NAMESPACE = "http://www.spotimage.fr/Dimap"


def test_synthetic_values():
    metadata = read_dimap(product())
    assert metadata.dataset_name == "DS_PHR1B_TEST_ORT"
    assert metadata.format_version == "2.15"
    assert metadata.mission == "PHR1B"
    assert metadata.acquisition_date == datetime(
        2021, 2, 3, 10, 29, 12, 250000, tzinfo=UTC
    )
    assert metadata.processing_level == "ORTHO"
    assert metadata.spectral_mode == "PMS"
    assert metadata.ground_sample_distance == 0.5
    assert metadata.incidence_angle == 12.5
    assert metadata.viewing_angle is None
    assert metadata.cloud_cover == 12.25
    assert metadata.snow_cover == 1.5
    assert metadata.surface_area == 120.5
    assert metadata.crs == "EPSG:32631"
    assert metadata.center == (4.4, 50.85)
    assert metadata.footprint["coordinates"][0] == [
        [4.3, 50.9],
        [4.5, 50.9],
        [4.5, 50.8],
        [4.3, 50.8],
        [4.3, 50.9],
    ]
    assert metadata.job_id == "SO21000001-1-01"
    assert metadata.customer_reference == "BELSPO-2021-0042"
    assert metadata.production_date == datetime(2021, 3, 1, 8, tzinfo=UTC)
    assert metadata.files["quicklook"] == ["PREVIEW_TEST.JPG"]
    assert metadata.files["thumbnail"] == ["ICON_TEST.JPG"]
    assert metadata.files["masks"] == ["MASKS/CLD_TEST_MSK.GML"]
    assert metadata.warnings == []


def prefixed(document: bytes) -> bytes:
    """The document with every element in a prefixed namespace."""
    text = re.sub(r"<(/?)(?=[A-Za-z])", r"<\1dim:", document.decode())
    return text.replace(
        "<dim:Dimap_Document", f'<dim:Dimap_Document xmlns:dim="{NAMESPACE}"', 1
    ).encode()


def test_namespaces_are_ignored():
    plain = read_dimap(product())
    default = read_dimap(product(namespace=f' xmlns="{NAMESPACE}"'))
    assert default == plain
    assert read_dimap(prefixed(product())) == plain


@pytest.mark.parametrize(
    "date,time,expected",
    [
        ("2021-02-03", "10:29:12", datetime(2021, 2, 3, 10, 29, 12, tzinfo=UTC)),
        ("2021-02-03", "10:29:12.9", datetime(2021, 2, 3, 10, 29, 12, 900000, UTC)),
        (
            "2021-02-03",
            "10:29:12.950343123Z",
            datetime(2021, 2, 3, 10, 29, 12, 950343, tzinfo=UTC),
        ),
        ("2021-02-03", "10:29:12+02:00", datetime(2021, 2, 3, 8, 29, 12, tzinfo=UTC)),
        (" 2021-02-03 ", " 10:29:12z ", datetime(2021, 2, 3, 10, 29, 12, tzinfo=UTC)),
        ("2016-12-31", "23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),
    ],
)
def test_imaging_date_and_time(date, time, expected):
    metadata = read_dimap(product(date=date, time=time))
    assert metadata.acquisition_date == expected
    assert metadata.warnings == []


@pytest.mark.parametrize(
    "date,time,warning",
    [
        ("2021-02-30", "10:29:12Z", "IMAGING_DATE: impossible date 2021-02-30"),
        ("2021-13-01", "10:29:12Z", "IMAGING_DATE: impossible date 2021-13-01"),
        ("0000-01-01", "10:29:12Z", "IMAGING_DATE: impossible date 0000-01-01"),
        ("2021-02-03", "25:00:00Z", "IMAGING_TIME: impossible time 25:00:00Z"),
        ("03/02/2021", "10:29:12Z", "IMAGING_DATE is not a date ('03/02/2021')"),
        ("2021-02-03", "noon", "IMAGING_TIME is not a time of day ('noon')"),
        ("IMAGING_DATE", "10:29:12Z", "IMAGING_DATE is a placeholder ('IMAGING_DATE')"),
    ],
)
def test_unusable_imaging_date_falls_back_to_the_centre_time(date, time, warning):
    metadata = read_dimap(product(date=date, time=time))
    assert warning in metadata.warnings
    # The centre TIME of the synthetic document.
    assert metadata.acquisition_date == datetime(
        2021, 2, 3, 10, 29, 12, 500000, tzinfo=UTC
    )


def test_impossible_date_without_a_fallback_is_none():
    document = re.sub(rb"<TIME>.*</TIME>", b"", product(date="2021-02-30"))
    metadata = read_dimap(document)
    assert metadata.acquisition_date is None
    assert metadata.warnings == ["IMAGING_DATE: impossible date 2021-02-30"]


def test_date_without_time_of_day_is_midnight_with_a_warning():
    document = re.sub(rb"<TIME>.*</TIME>", b"", product(time=None))
    metadata = read_dimap(document)
    assert metadata.acquisition_date == datetime(2021, 2, 3, tzinfo=UTC)
    assert "IMAGING_TIME is absent: the time of day is unknown" in metadata.warnings


@pytest.mark.parametrize(
    "mission,index,code",
    [
        ("PHR", "1A", "PHR1A"),
        ("PHR", "1B", "PHR1B"),
        ("PNEO", "3", "PNEO3"),
        ("PNEO", "4", "PNEO4"),
        ("SPOT", "6", "SPOT6"),
        ("SPOT", "7", "SPOT7"),
        (" phr ", "1a", "PHR1A"),
    ],
)
def test_mission_codes(mission, index, code):
    assert read_dimap(product(mission=mission, index=index)).mission == code


def test_unknown_mission_keeps_the_raw_fields():
    metadata = read_dimap(product(mission="PNEO", index="5"))
    assert metadata.mission is None
    assert (metadata.mission_name, metadata.mission_index) == ("PNEO", "5")
    assert "unknown mission PNEO 5" in metadata.warnings


@pytest.mark.parametrize(
    "unit,value,expected",
    [
        ("percent", "40", 40.0),
        ("%", "40", 40.0),
        ("", "40", 40.0),
        ("fraction", "0.4", 40.0),
    ],
)
def test_cloud_cover_in_percent(unit, value, expected):
    metadata = read_dimap(product(cloud_unit=unit, cloud=value))
    assert metadata.cloud_cover == pytest.approx(expected)


def test_cloud_cover_out_of_range_is_a_warning():
    metadata = read_dimap(product(cloud="140"))
    assert metadata.cloud_cover is None
    assert "CLOUD_COVERAGE is not a percentage (140.0 percent)" in metadata.warnings


@pytest.mark.parametrize(
    "unit,value,expected",
    [
        ("square km", "120.5", 120.5),
        ("km2", "120.5", 120.5),
        ("square m", "120500000", 120.5),
        ("m²", "120500000", 120.5),
        ("ha", "12050", 120.5),
        ("", "120.5", 120.5),
    ],
)
def test_surface_area_in_square_kilometres(unit, value, expected):
    metadata = read_dimap(product(area_unit=unit, area=value))
    assert metadata.surface_area == pytest.approx(expected)


def test_unknown_area_unit_is_a_warning():
    metadata = read_dimap(product(area_unit="acres", area="3"))
    assert metadata.surface_area is None
    assert "SURFACE_AREA has an unknown unit ('acres')" in metadata.warnings


def test_not_a_number_is_a_warning():
    metadata = read_dimap(product(cloud="cloudy"))
    assert metadata.cloud_cover is None
    assert "CLOUD_COVERAGE is not a number ('cloudy')" in metadata.warnings


MINIMAL = b"""<Dimap_Document>
  <Metadata_Identification>
    <METADATA_FORMAT version="2.0">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>PHR_SENSOR</METADATA_PROFILE>
    <METADATA_SUBPROFILE>PRODUCT</METADATA_SUBPROFILE>
  </Metadata_Identification>
  <Dataset_Content><Dataset_Extent/><CLOUD_COVERAGE/></Dataset_Content>
  <Raster_Data><Raster_Dimensions><NROWS>  </NROWS></Raster_Dimensions></Raster_Data>
</Dimap_Document>"""


def test_missing_and_empty_fields_are_none():
    metadata = read_dimap(MINIMAL, name="DIM_MINIMAL.XML")
    assert metadata.dataset_name == "DIM_MINIMAL"
    assert metadata.profile == "PHR_SENSOR"
    for name in (
        "mission",
        "acquisition_date",
        "processing_level",
        "spectral_mode",
        "ground_sample_distance",
        "cloud_cover",
        "footprint",
        "center",
        "crs",
        "rows",
        "production_date",
    ):
        assert getattr(metadata, name) is None, name
    assert metadata.files == {
        "images": [],
        "quicklook": [],
        "thumbnail": [],
        "rpc": [],
        "masks": [],
        "other": [],
    }
    assert metadata.warnings == []


def test_footprint_with_too_few_vertices_is_a_warning():
    document = re.sub(
        rb"<Vertex><LON>4.5</LON><LAT>50.(8|9)</LAT></Vertex>", b"", product()
    )
    metadata = read_dimap(document)
    assert metadata.footprint is None
    assert any("fewer than 3 distinct vertices" in w for w in metadata.warnings)


def test_footprint_outside_the_world_is_a_warning():
    metadata = read_dimap(product().replace(b"<LAT>50.9</LAT>", b"<LAT>95</LAT>"))
    assert metadata.footprint is None
    assert "a Vertex lies outside the world (4.3, 95.0)" in metadata.warnings


@pytest.mark.parametrize("value", ["12 bits", "-16", "1²"])
def test_raster_sizes_must_be_whole_numbers(value):
    document = MINIMAL.replace(b"<NROWS>  </NROWS>", f"<NROWS>{value}</NROWS>".encode())
    metadata = read_dimap(document, name="DIM_MINIMAL")
    assert metadata.rows is None
    assert f"NROWS is not a whole number ({value!r})" in metadata.warnings


def test_missing_subprofile_is_read_as_a_product_with_a_warning():
    document = re.sub(rb"<METADATA_SUBPROFILE>.*</METADATA_SUBPROFILE>", b"", MINIMAL)
    metadata = read_dimap(document, name="DIM_MINIMAL")
    assert metadata.warnings == [
        "METADATA_SUBPROFILE is absent: read as a product document"
    ]
