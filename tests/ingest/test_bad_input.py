"""Hostile and broken deliveries: a clear reason, nothing created, quarantined."""

from belspo.pleiades.ingest.package import Limits
from belspo.pleiades.ingest.pipeline import Ingester
from belspo.pleiades.ingest.synthetic import write_delivery
from pathlib import Path
from plone import api
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID

import json
import pytest
import re
import struct
import transaction
import zipfile
import zlib


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Dimap_Document><Dataset_Identification><DATASET_NAME>&secret;</DATASET_NAME>
</Dataset_Identification></Dimap_Document>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Dimap_Document><DATASET_NAME>&lol3;</DATASET_NAME></Dimap_Document>"""


def dim_of(delivery: Path) -> Path:
    return next(delivery.rglob("DIM_*.XML"))


def replace_in_dim(delivery: Path, pattern: str, replacement: str) -> None:
    dim = dim_of(delivery)
    text = dim.read_text()
    changed = re.sub(pattern, replacement, text)
    assert changed != text, pattern
    dim.write_text(changed)


def zip_with(path: Path, members: dict[str, bytes], method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def valid_members(tmp_path: Path) -> dict[str, bytes]:
    """The files of a valid delivery, to build hostile zips around."""
    delivery = write_delivery(tmp_path / "source", count=1, seed=11).path
    return {
        f"{delivery.name}/{p.relative_to(delivery).as_posix()}": p.read_bytes()
        for p in sorted(delivery.rglob("*"))
        if p.is_file()
    }


# Each case builds a delivery in the inbox and names what the report must say.


def xxe(inbox, tmp_path):
    delivery = write_delivery(inbox, count=1, seed=12).path
    dim_of(delivery).write_bytes(XXE)
    return delivery, "entit"


def entity_bomb(inbox, tmp_path):
    delivery = write_delivery(inbox, count=1, seed=13).path
    dim_of(delivery).write_bytes(LAUGHS)
    return delivery, "entit"


def zip_slip_parent(inbox, tmp_path):
    members = valid_members(tmp_path)
    members["../../evil.sh"] = b"rm -rf /"
    return zip_with(inbox / "slip.zip", members), "zip slip"


def zip_slip_absolute(inbox, tmp_path):
    members = valid_members(tmp_path)
    members["/etc/cron.d/evil"] = b"* * * * * root true"
    return zip_with(inbox / "absolute.zip", members), "absolute path"


def zip_bomb_ratio(inbox, tmp_path):
    members = valid_members(tmp_path)
    members[next(iter(members)).rsplit("/", 1)[0] + "/padding.bin"] = bytes(50 << 20)
    return zip_with(inbox / "bomb.zip", members, zipfile.ZIP_DEFLATED), "zip bomb"


def zip_bomb_size(inbox, tmp_path):
    return zip_with(inbox / "big.zip", valid_members(tmp_path)), "bytes uncompressed"


def truncated_zip(inbox, tmp_path):
    path = zip_with(inbox / "cut.zip", valid_members(tmp_path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path, "not a readable zip"


def no_dim(inbox, tmp_path):
    delivery = write_delivery(inbox, count=1, seed=14).path
    dim_of(delivery).unlink()
    return delivery, "no DIMAP product document"


def unparseable_dim(inbox, tmp_path):
    delivery = write_delivery(inbox, count=1, seed=15).path
    dim = dim_of(delivery)
    dim.write_bytes(dim.read_bytes()[:500])
    return delivery, dim.name


def impossible_date(inbox, tmp_path):
    delivery = write_delivery(inbox, count=1, seed=16).path
    replace_in_dim(
        delivery,
        r"<IMAGING_DATE>[^<]*</IMAGING_DATE>",
        "<IMAGING_DATE>2021-02-30</IMAGING_DATE>",
    )
    replace_in_dim(delivery, r"<TIME>[^<]*</TIME>", "<TIME>not a time</TIME>")
    return delivery, "no valid acquisition date"


def self_intersecting(inbox, tmp_path):
    delivery = write_delivery(inbox, count=1, seed=17).path
    # The outline goes corner to corner and back: a bow-tie.
    corners = iter([(4.0, 50.0), (5.0, 51.0), (5.0, 50.0), (4.0, 51.0)])

    def bow_tie(match):
        lon, lat = next(corners)
        return f"<Vertex><LON>{lon}</LON><LAT>{lat}</LAT></Vertex>"

    dim = dim_of(delivery)
    dim.write_text(
        re.sub(r"<Vertex>.*?</Vertex>", bow_tie, dim.read_text(), flags=re.S)
    )
    return delivery, "invalid footprint"


def decompression_bomb(inbox, tmp_path):
    delivery = write_delivery(inbox, count=1, seed=18, with_preview=False).path
    for image in delivery.rglob("IMG_*.TIF"):
        image.write_bytes(png_claiming(100_000, 100_000))
    return delivery, "decompression bomb"


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


CASES = [
    xxe,
    entity_bomb,
    zip_slip_parent,
    zip_slip_absolute,
    zip_bomb_ratio,
    zip_bomb_size,
    truncated_zip,
    no_dim,
    unparseable_dim,
    impossible_date,
    self_intersecting,
    decompression_bomb,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_refused_and_quarantined(functional_portal, tmp_path, case):
    setRoles(functional_portal, TEST_USER_ID, ["Manager"])
    transaction.commit()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    delivery, reason = case(inbox, tmp_path)
    limits = Limits(max_total_size=1000) if case is zip_bomb_size else None
    ingester = Ingester(functional_portal, tmp_path / "quarantine", limits=limits)
    outcome = ingester.ingest(delivery)
    assert outcome.status == "quarantined"
    assert reason.lower() in outcome.message.lower()
    assert not delivery.exists()
    (kept,) = [p for p in (tmp_path / "quarantine").iterdir() if "report" not in p.name]
    assert kept.name.endswith(delivery.name)
    (report,) = (tmp_path / "quarantine").glob("*.report.json")
    assert json.loads(report.read_text())["error"] == outcome.message
    catalog = api.portal.get_tool("portal_catalog")
    assert not catalog.unrestrictedSearchResults(portal_type="Product")
    assert [p.name for p in ingester.staging.iterdir()] == []
