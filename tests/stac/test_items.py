"""Items: every field from the catalog, assets, links; no product woken up."""

from belspo.pleiades.ingest.pipeline import Ingester
from belspo.pleiades.ingest.synthetic import write_delivery
from belspo.pleiades.stac.views import StacAPI
from plone import api
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID
from tests.content import world
from tests.stac import conftest
from tests.stac.conftest import get

import hashlib
import json
import pytest
import requests
import transaction


def test_item_has_every_field(stac_url):
    url = f"{stac_url}/collections/pleiades-neo/items/prod-002"
    response = get(url)
    assert response.headers["Content-Type"].startswith("application/geo+json")
    item = response.json()
    assert item["id"] == "prod-002"
    assert item["collection"] == "pleiades-neo"
    assert item["geometry"] == conftest.square(0.0, 44.0) | {
        "coordinates": [
            [[0.0, 44.0], [0.2, 44.0], [0.2, 44.2], [0.0, 44.2], [0.0, 44.0]]
        ]
    }
    assert item["bbox"] == [0.0, 44.0, 0.2, 44.2]
    assert item["properties"] | {"created": None, "updated": None} == {
        "title": "Product 2",
        "datetime": "2024-01-03T10:14:00Z",
        "platform": "pleiades-neo-3",
        "constellation": "pleiades-neo",
        "instruments": ["pneo"],
        "gsd": 0.5,
        "eo:cloud_cover": 8.0,
        "eo:snow_cover": 2.0,
        "view:incidence_angle": 7.0,
        "view:off_nadir": 6.0,
        "view:azimuth": 30.0,
        "view:sun_elevation": 22.0,
        "view:sun_azimuth": 142.0,
        "processing:level": "MOSAIC",
        "pleiades:spectral_mode": "MS",
        "proj:code": "EPSG:32631",
        "proj:shape": [802, 1002],
        "created": None,
        "updated": None,
    }
    assert item["properties"]["created"].endswith("Z")
    assert (
        "https://stac-extensions.github.io/view/v1.0.0/schema.json"
        in (item["stac_extensions"])
    )
    links = {link["rel"]: link["href"] for link in item["links"]}
    assert links["self"] == url
    assert (
        links["collection"] == links["parent"] == f"{stac_url}/collections/pleiades-neo"
    )
    assert links["root"] == stac_url
    assert links["alternate"].endswith("/catalogue/prod-002")


def test_assets_are_served(stac_url):
    item = get(f"{stac_url}/collections/pleiades/items/prod-000").json()
    assets = item["assets"]
    assert assets["quicklook"]["roles"] == ["overview"]
    assert assets["thumbnail"]["roles"] == ["thumbnail"]
    for name in ("quicklook", "thumbnail"):
        image = requests.get(assets[name]["href"], timeout=60)
        assert image.status_code == 200
        assert image.headers["Content-Type"] == assets[name]["type"] == "image/jpeg"
    data = assets["data"]
    assert data["href"].endswith("/catalogue/prod-000/@@download/package")
    assert data["file:size"] == len(conftest.PACKAGE)
    assert (
        data["file:checksum"] == "1220" + hashlib.sha256(conftest.PACKAGE).hexdigest()
    )
    assert "metadata" not in assets  # the DIMAP document is inside the package
    # Downloading goes through the portal's access control.
    anonymous = requests.get(data["href"], timeout=60, allow_redirects=False)
    assert anonymous.status_code in (302, 401, 403), anonymous.content[:100]
    member = requests.get(data["href"], auth=("owner", world.PASSWORD), timeout=60)
    assert member.status_code == 200
    assert member.content == conftest.PACKAGE


def test_a_product_without_previews_has_only_its_package(stac_url):
    assets = get(f"{stac_url}/collections/spot/items/prod-010").json()["assets"]
    assert set(assets) == {"data"}


def test_footprint_across_the_antimeridian(functional_portal):
    world.build(functional_portal)
    fiji = {
        "type": "Polygon",
        "coordinates": [
            [
                [179.5, -17.0],
                [-179.5, -17.0],
                [-179.5, -16.0],
                [179.5, -16.0],
                [179.5, -17.0],
            ]
        ],
    }
    conftest.create_product(functional_portal, conftest.spec(0) | {"footprint": fiji})
    transaction.commit()
    stac = f"{functional_portal.absolute_url()}/@stac"
    item = get(f"{stac}/collections/pleiades/items/prod-000").json()
    assert item["geometry"]["type"] == "MultiPolygon"
    assert item["bbox"] == [179.5, -17.0, -179.5, -16.0]
    found = get(f"{stac}/search", params={"bbox": "179,-18,-179,-15"}).json()
    assert [f["id"] for f in found["features"]] == ["prod-000"]
    assert (
        get(f"{stac}/search", params={"bbox": "0,-18,10,-15"}).json()["features"] == []
    )


def test_an_ingested_delivery_as_an_item(functional_portal, tmp_path):
    setRoles(functional_portal, TEST_USER_ID, ["Manager"])
    delivery = write_delivery(tmp_path, count=1, seed=7, as_zip=True)
    outcome = Ingester(functional_portal, tmp_path / "quarantine").ingest(delivery.path)
    assert outcome.status == "ingested", outcome.message
    (path,) = outcome.products
    product = functional_portal.unrestrictedTraverse(path)
    api.content.transition(obj=product, transition="publish")
    transaction.commit()
    (spec,) = delivery.specs
    family = {"PHR": "pleiades", "PNE": "pleiades-neo", "SPO": "spot"}[spec.mission[:3]]
    item = get(
        f"{functional_portal.absolute_url()}/@stac/collections/{family}/items/"
        f"{product.getId()}"
    ).json()
    properties = item["properties"]
    assert properties["eo:cloud_cover"] == pytest.approx(spec.cloud_cover, abs=0.05)
    assert properties["view:off_nadir"] == pytest.approx(product.viewing_angle)
    assert properties["view:sun_elevation"] == pytest.approx(product.sun_elevation)
    assert properties["proj:code"] == product.crs
    assert properties["proj:shape"] == [product.raster_height, product.raster_width]
    assert properties["gsd"] == pytest.approx(product.ground_sample_distance)
    data = item["assets"]["data"]
    assert data["file:checksum"] == "1220" + product.package_sha256
    assert data["file:size"] == product.package.getSize()
    assert {"quicklook", "thumbnail"} <= set(item["assets"])


def test_a_page_of_items_wakes_no_product(functional_portal):
    conftest.build_archive(functional_portal, count=30)
    transaction.commit()
    catalogue = functional_portal.catalogue
    oids = [catalogue[i]._p_oid for i in catalogue.objectIds()]
    jar = functional_portal._p_jar
    jar.cacheMinimize()
    request = functional_portal.REQUEST
    request.form.update({"limit": "100"})
    view = StacAPI(functional_portal, request)
    view.publishTraverse(request, "search")
    body = json.loads(view())
    assert body["numberReturned"] == 31
    woken = [oid for oid in oids if jar[oid]._p_status != "ghost"]
    assert woken == []
