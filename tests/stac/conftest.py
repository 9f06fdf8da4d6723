"""A small archive over Europe, served by the functional layer's HTTP server."""

from datetime import datetime
from datetime import timedelta
from io import BytesIO
from PIL import Image
from plone import api
from plone.namedfile.file import NamedBlobFile
from plone.namedfile.file import NamedBlobImage
from tests.content import world

import hashlib
import pytest
import requests
import transaction


MISSIONS = ("PHR1A", "PHR1B", "PNEO3", "PNEO4", "SPOT6", "SPOT7")
LEVELS = ("ORTHO", "SENSOR", "MOSAIC")
MODES = ("PMS", "P", "MS")
START = datetime(2024, 1, 1, 10, 0)
COUNT = 24
PACKAGE = b"PK archived package of a synthetic product"


def square(west: float, south: float, size: float = 0.2) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [west, south],
                [west + size, south],
                [west + size, south + size],
                [west, south + size],
                [west, south],
            ]
        ],
    }


def jpeg(size=(32, 24)) -> bytes:
    data = BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(data, "JPEG")
    return data.getvalue()


def spec(i: int) -> dict:
    """Product i: its fields, varied so that every filter splits them."""
    return {
        "id": f"prod-{i:03d}",
        "title": f"Product {i}",
        "dataset_name": f"DS_{i:03d}",
        "mission": MISSIONS[i % len(MISSIONS)],
        "acquisition_date": START + timedelta(days=i, minutes=7 * i),
        "processing_level": LEVELS[i % len(LEVELS)],
        "spectral_mode": MODES[i % len(MODES)],
        "cloud_cover": float(i * 4 % 100),
        "snow_cover": float(i % 5),
        "incidence_angle": float(5 + i % 20),
        "viewing_angle": float(4 + i % 18),
        "azimuth_angle": float(i * 15 % 360),
        "sun_elevation": float(20 + i),
        "sun_azimuth": float(140 + i),
        "ground_sample_distance": 0.5,
        "crs": "EPSG:32631",
        "raster_width": 1000 + i,
        "raster_height": 800 + i,
        # Over Europe: a row of squares from Brittany to Bavaria, then north.
        "footprint": square(-4.0 + (i % 8) * 2.0, 44.0 + (i // 8) * 3.0),
    }


def create_product(portal, fields: dict, publish: bool = True, previews=False):
    """A product as the ingest would leave it (package, checksum, previews)."""
    fields = dict(fields)
    product_id = fields.pop("id")
    with api.env.adopt_user(username="operator"):
        obj = api.content.create(
            container=portal.catalogue,
            type="Product",
            id=product_id,
            package=NamedBlobFile(PACKAGE, filename=f"{product_id}.zip"),
            package_sha256=hashlib.sha256(PACKAGE).hexdigest(),
            **fields,
        )
        if previews:
            obj.quicklook = NamedBlobImage(jpeg((64, 48)), filename="ql.jpg")
            obj.thumbnail = NamedBlobImage(jpeg(), filename="th.jpg")
            obj.reindexObject()
        if publish:
            api.content.transition(obj=obj, transition="publish")
    return obj


def build_archive(portal, count: int = COUNT) -> None:
    """The world's users and groups, and ``count`` published products."""
    world.build(portal)
    for i in range(count):
        create_product(portal, spec(i), previews=i < 3)


@pytest.fixture
def archive(functional_portal):
    """The archive, committed, and the portal's URL."""
    build_archive(functional_portal)
    transaction.commit()
    return functional_portal


@pytest.fixture
def stac_url(archive) -> str:
    return f"{archive.absolute_url()}/@stac"


def get(url: str, **kw) -> requests.Response:
    return requests.get(url, timeout=60, **kw)


def post(url: str, body, **kw) -> requests.Response:
    return requests.post(url, json=body, timeout=60, **kw)


def ids(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [feature["id"] for feature in response.json()["features"]]
