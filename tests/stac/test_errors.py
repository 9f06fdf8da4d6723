"""Every kind of bad request gets a STAC error body: 400, 404, 405, never a 500."""

from tests.stac.conftest import get
from tests.stac.conftest import post

import pytest
import requests


BAD_GET = [
    {"bbox": "1,2,3"},
    {"bbox": "a,b,c,d"},
    {"bbox": "10,50,5,40"},  # south above north
    {"bbox": "-200,0,10,10"},
    {"datetime": "2024-01-01"},
    {"datetime": "2024-13-01T00:00:00Z"},
    {"datetime": "2024-01-01T00:00:00"},
    {"datetime": "../.."},
    {"datetime": "2024-02-01T00:00:00Z/2024-01-01T00:00:00Z"},
    {"intersects": "not json"},
    {"intersects": '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}'},
    {"intersects": '{"type": "Point", "coordinates": [500, 0]}'},
    {"intersects": '{"type": "Blob"}'},
    {"bbox": "0,0,1,1", "intersects": '{"type": "Point", "coordinates": [0, 0]}'},
    {"limit": "0"},
    {"limit": "-3"},
    {"limit": "ten"},
    {"collections": "landsat"},
    {"sortby": "-gsd"},
    {"sortby": "+nonsense"},
    {"token": "page-two"},
    {"filter": "eo:cloud_cover <"},
    {"filter": "unknown_property = 3"},
    {"filter": "eo:cloud_cover = 'cloudy'"},
    {"filter": "eo:cloud_cover + 1 < 3"},
    {"filter": "S_INTERSECTS(geometry, POINT(400 0))"},
    {"filter": "T_INTERSECTS(datetime, TIMESTAMP('2024-99-01T00:00:00Z'))"},
    {"filter": "eo:cloud_cover < 3", "filter-lang": "cql-text"},
    {"filter": '{"op": "<"}', "filter-lang": "cql2-json"},
    {"filter": "not json", "filter-lang": "cql2-json"},
]

BAD_POST = [
    {"bbox": "1,2,3,4"},
    {"bbox": [1, 2, 3]},
    {"intersects": [1, 2]},
    {"intersects": {"type": "Polygon", "coordinates": "nope"}},
    {"datetime": 2024},
    {"limit": 0},
    {"limit": "many"},
    {"ids": [1, 2]},
    {"collections": ["landsat"]},
    {"sortby": [{"field": "gsd"}]},
    {"sortby": [{"field": "datetime", "direction": "sideways"}]},
    {"sortby": "nonsense"},
    {"filter": {"op": "and", "args": [{"op": "=", "args": [1]}]}},
    {"filter": {"op": "=", "args": [{"property": "nope"}, 1]}},
    {"filter": 42},
    {"filter": "eo:cloud_cover <", "filter-lang": "cql2-text"},
    {"token": 12},
]


def assert_stac_error(response, status=400, code="BadRequest"):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert body["description"]


@pytest.mark.parametrize("params", BAD_GET, ids=[str(p)[:60] for p in BAD_GET])
def test_bad_get_search(stac_url, params):
    assert_stac_error(get(f"{stac_url}/search", params=params))


@pytest.mark.parametrize("body", BAD_POST, ids=[str(b)[:60] for b in BAD_POST])
def test_bad_post_search(stac_url, body):
    assert_stac_error(post(f"{stac_url}/search", body))


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_bad_json_bodies(stac_url, raw):
    response = requests.post(
        f"{stac_url}/search",
        data=raw,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert_stac_error(response)


def test_bad_items_parameters(stac_url):
    url = f"{stac_url}/collections/spot/items"
    for params in ({"bbox": "1,2"}, {"datetime": "yesterday"}, {"limit": "0"}):
        assert_stac_error(get(url, params=params))


@pytest.mark.parametrize(
    "path",
    [
        "/collections/landsat",
        "/collections/landsat/items",
        "/collections/landsat/queryables",
        "/collections/spot/items/no-such-item",
        "/collections/pleiades/items/prod-004",  # a SPOT product
        "/nothing-here",
        "/collections/spot/items/prod-004/more",
    ],
)
def test_unknown_resources_are_404(stac_url, path):
    assert_stac_error(get(stac_url + path), 404, "NotFound")


def test_only_search_takes_post(stac_url):
    response = post(f"{stac_url}/collections", {})
    assert_stac_error(response, 405, "MethodNotAllowed")
    assert_stac_error(
        requests.delete(f"{stac_url}/search", timeout=60), 405, "MethodNotAllowed"
    )


def test_limit_above_the_maximum_is_the_maximum(stac_url):
    response = get(f"{stac_url}/search", params={"limit": "100000"})
    assert response.status_code == 200
    assert response.json()["numberReturned"] == 25
