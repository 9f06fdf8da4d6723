"""The API's documents, content negotiation, CORS and CSRF over HTTP."""

from tests.content import world
from tests.stac.conftest import get
from tests.stac.conftest import post

import pytest
import requests


def test_landing_page_links_everything(stac_url):
    body = get(stac_url).json()
    assert body["type"] == "Catalog"
    assert "https://api.stacspec.org/v1.0.0/item-search#filter" in body["conformsTo"]
    rels = {(link["rel"], link.get("method")) for link in body["links"]}
    for rel in ("self", "root", "conformance", "data", "service-desc", "service-doc"):
        assert (rel, None) in rels
    assert {("search", "GET"), ("search", "POST")} <= rels
    assert ("http://www.opengis.net/def/rel/ogc/1.0/queryables", None) in rels
    children = [link["href"] for link in body["links"] if link["rel"] == "child"]
    assert children == [
        f"{stac_url}/collections/{c}" for c in ("pleiades", "pleiades-neo", "spot")
    ]


def test_conformance(stac_url):
    body = get(f"{stac_url}/conformance").json()
    assert "https://api.stacspec.org/v1.0.0/core" in body["conformsTo"]


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "application/json",
        "application/geo+json",
        "*/*",
        "text/html",
        "application/geo+json, application/json;q=0.9, */*;q=0.8",
    ],
)
def test_json_whatever_the_accept_header(stac_url, accept):
    headers = {"Accept": accept} if accept else {}
    for path, content_type in (
        ("", "application/json"),
        ("/search", "application/geo+json"),
        ("/collections/spot/items", "application/geo+json"),
    ):
        response = requests.get(stac_url + path, headers=headers, timeout=60)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.headers["Content-Type"].startswith(content_type)
        assert response.json()


def test_collections_with_extents_from_the_catalog(stac_url):
    body = get(f"{stac_url}/collections").json()
    by_id = {c["id"]: c for c in body["collections"]}
    assert set(by_id) == {"pleiades", "pleiades-neo", "spot"}
    spot = by_id["spot"]
    assert spot["license"] == "proprietary"
    assert any(link["rel"] == "license" for link in spot["links"])
    assert {p["name"] for p in spot["providers"]} >= {"Airbus Defence and Space"}
    assert spot["summaries"]["platform"] == ["spot-6", "spot-7"]
    assert set(spot["item_assets"]) == {"quicklook", "thumbnail", "data"}
    # SPOT products are 4, 5, 10, 11, 16, 17, 22, 23 (conftest.spec).
    assert spot["extent"]["temporal"]["interval"] == [
        ["2024-01-05T10:28:00Z", "2024-01-24T12:41:00Z"]
    ]
    # Their footprints span -4.0..10.2, 44.0..50.2: the box holds them, to a
    # cell of the footprint index (0.25°).
    west, south, east, north = spot["extent"]["spatial"]["bbox"][0]
    assert -4.25 <= west <= -4.0 and 43.75 <= south <= 44.0
    assert 10.2 <= east <= 10.5 and 50.2 <= north <= 50.5
    assert get(f"{stac_url}/collections/spot").json() == spot


def test_collection_queryables(stac_url):
    body = get(f"{stac_url}/collections/spot/queryables").json()
    assert body["properties"]["platform"]["enum"] == ["spot-6", "spot-7"]
    assert "eo:cloud_cover" in body["properties"]


def test_openapi_document(stac_url):
    response = get(f"{stac_url}/api")
    assert response.headers["Content-Type"].startswith(
        "application/vnd.oai.openapi+json"
    )
    paths = response.json()["paths"]
    assert {"/search", "/collections/{collectionId}/items/{itemId}"} <= set(paths)
    assert set(paths["/search"]) == {"get", "post"}
    html = get(f"{stac_url}/api.html")
    assert html.headers["Content-Type"].startswith("text/html")
    assert "/search" in html.text


def test_cors_for_browser_clients(stac_url):
    origin = {"Origin": "https://radiantearth.github.io"}
    assert get(stac_url, headers=origin).headers["Access-Control-Allow-Origin"] == "*"
    searched = post(f"{stac_url}/search", {"limit": 1}, headers=origin)
    assert searched.headers["Access-Control-Allow-Origin"] == "*"
    preflight = requests.options(
        f"{stac_url}/search",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=60,
    )
    assert preflight.status_code in (200, 204), preflight.text
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_cors_stays_local_to_the_stac_api(archive):
    response = requests.get(
        archive.absolute_url(),
        headers={"Origin": "https://radiantearth.github.io"},
        timeout=60,
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_post_search_needs_no_csrf_token_when_logged_in(stac_url):
    response = requests.post(
        f"{stac_url}/search",
        json={"collections": ["pleiades"], "limit": 2},
        auth=("operator", world.PASSWORD),
        headers={"Accept": "application/geo+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["features"]) == 2
