"""A small catalogue on the functional layer's server, and pages read as HTML."""

from datetime import date
from datetime import datetime
from datetime import timedelta
from io import BytesIO
from lxml import html
from PIL import Image
from plone import api
from plone.namedfile.file import NamedBlobFile
from plone.namedfile.file import NamedBlobImage
from tests.content import world
from z3c.relationfield import RelationValue
from zope.component import getUtility
from zope.intid.interfaces import IIntIds

import hashlib
import pytest
import requests
import transaction


def box(west: float, south: float, size: float = 0.2) -> dict:
    """A square footprint."""
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


ACROSS_180 = {
    "type": "Polygon",
    "coordinates": [
        [
            [179.8, -17.2],
            [-179.9, -17.2],
            [-179.9, -17.0],
            [179.8, -17.0],
            [179.8, -17.2],
        ]
    ],
}

# id -> fields: every filter of the search page splits these.
PRODUCTS = {
    "brussels": {
        "mission": "PHR1A",
        "acquisition_date": datetime(2024, 3, 10, 10, 31),
        "processing_level": "ORTHO",
        "spectral_mode": "PMS",
        "cloud_cover": 5.0,
        "incidence_angle": 10.0,
        "footprint": box(4.3, 50.8),
    },
    "antwerp": {
        "mission": "PHR1B",
        "acquisition_date": datetime(2024, 6, 20, 10, 45),
        "processing_level": "SENSOR",
        "spectral_mode": "P",
        "cloud_cover": 40.0,
        "incidence_angle": 25.0,
        "footprint": box(4.3, 51.2),
    },
    "liege": {
        "mission": "PNEO3",
        "acquisition_date": datetime(2023, 11, 2, 10, 20),
        "processing_level": "ORTHO",
        "spectral_mode": "MS",
        "cloud_cover": 15.0,
        "incidence_angle": 30.0,
        "footprint": box(5.5, 50.6),
    },
    "kinshasa": {
        "mission": "SPOT6",
        "acquisition_date": datetime(2024, 8, 1, 9, 0),
        "processing_level": "MOSAIC",
        "spectral_mode": "PMS",
        "cloud_cover": 80.0,
        "incidence_angle": 5.0,
        "footprint": box(15.2, -4.4),
    },
    "fiji": {
        "mission": "PHR1A",
        "acquisition_date": datetime(2024, 12, 31, 23, 30),
        "processing_level": "ORTHO",
        "spectral_mode": "PMS-N",
        "cloud_cover": 0.0,
        "incidence_angle": 45.0,
        "footprint": ACROSS_180,
    },
}
PUBLISHED = set(PRODUCTS)
# Newest first, as the search lists them.
NEWEST_FIRST = sorted(
    PRODUCTS, key=lambda name: PRODUCTS[name]["acquisition_date"], reverse=True
)
PACKAGE = b"PK the archived package of a synthetic product"
MANIFEST = [
    {"path": "DIM_PHR1A_PMS_001.XML", "size": 48213, "sha256": "a" * 64},
    {"path": "IMG_PHR1A_PMS_001_R1C1.JP2", "size": 734003200, "sha256": "b" * 64},
]


def jpeg(size: tuple[int, int], colour=(40, 90, 160)) -> bytes:
    data = BytesIO()
    Image.new("RGB", size, colour).save(data, "JPEG")
    return data.getvalue()


def create_product(portal, product_id: str, fields: dict, publish=True, images=True):
    """A product as the ingest leaves it: package, checksums, previews."""
    with api.env.adopt_user(username="operator"):
        product = api.content.create(
            container=portal.catalogue,
            type="Product",
            id=product_id,
            title=f"Scene {product_id.title()}",
            dataset_name=f"DS_{product_id.upper()}",
            package=NamedBlobFile(PACKAGE, filename=f"{product_id}.zip"),
            package_sha256=hashlib.sha256(PACKAGE).hexdigest(),
            manifest=MANIFEST,
            **fields,
        )
        if images:
            product.quicklook = NamedBlobImage(jpeg((96, 64)), filename="ql.jpg")
            product.thumbnail = NamedBlobImage(jpeg((48, 32)), filename="th.jpg")
            product.reindexObject()
        if publish:
            api.content.transition(obj=product, transition="publish")
    return product


def link_request(product, request) -> None:
    """Record that ``product`` was delivered for ``request``, as the ingest does."""
    product.request = RelationValue(getUtility(IIntIds).getId(request))


def expire(group, days_ago: int = 1) -> date:
    """Let a user group's approval end ``days_ago`` days ago."""
    group.approval_end = date.today() - timedelta(days=days_ago)
    return group.approval_end


@pytest.fixture
def catalogue(functional_portal):
    """The world (users, groups ULB approved and KU Leuven pending), the five
    published products of PRODUCTS and one still ingested; committed."""
    content = world.build(functional_portal)
    api.content.delete(obj=content["product"])  # the world's: only ours here
    for product_id, fields in PRODUCTS.items():
        create_product(functional_portal, product_id, fields)
    create_product(functional_portal, "hidden", PRODUCTS["brussels"], publish=False)
    link_request(functional_portal.catalogue.brussels, content["request"])
    transaction.commit()
    return functional_portal


def session(user: str = "anonymous", language: str | None = None) -> requests.Session:
    http = requests.Session()
    if user != "anonymous":
        http.auth = (user, world.PASSWORD)
    if language:
        http.headers["Accept-Language"] = language
    return http


class Page:
    """A page fetched over HTTP, as its HTML tree."""

    def __init__(self, response: requests.Response, status: int = 200):
        assert response.status_code == status, (
            response.status_code,
            response.text[:500],
        )
        self.response = response
        self.url = response.url
        self.tree = html.fromstring(response.text)

    def css(self, selector: str) -> list:
        return self.tree.cssselect(selector)

    def one(self, selector: str):
        (found,) = self.css(selector)
        return found

    def text(self, selector: str) -> str:
        return " ".join(" ".join(e.text_content().split()) for e in self.css(selector))

    def result_ids(self) -> list[str]:
        return [li.get("data-feature-id") for li in self.css("li.pleiades-result")]

    def total(self) -> int:
        return int(self.one(".pleiades-total-count").text_content())


def get_page(url: str, params=None, user: str = "anonymous", **kw) -> Page:
    return Page(session(user).get(url, params=params, timeout=60, **kw))
