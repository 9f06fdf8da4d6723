"""``@products``: the product search of the portal's REST API."""

from tests.stac.conftest import COUNT
from tests.stac.conftest import spec

import pytest
import requests


JSON = {"Accept": "application/json"}


@pytest.fixture
def products_url(archive) -> str:
    return f"{archive.absolute_url()}/@products"


def urls(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [feature["id"] for feature in response.json()["features"]]


def expected(condition) -> set[str]:
    return {spec(i)["id"] for i in range(COUNT) if condition(spec(i))}


def test_get_with_the_portal_field_names(products_url):
    response = requests.get(
        products_url,
        params={
            "bbox": "-5,43,11,49",
            "start": "2024-01-02T00:00:00Z",
            "end": "2024-01-20T00:00:00Z",
            "cloud_cover_max": "50",
            "incidence_angle_max": "20",
            "mission": ["PHR1A", "SPOT6"],
            "processing_level": "ORTHO",
        },
        headers=JSON,
        timeout=60,
    )
    wanted = expected(
        lambda p: (
            p["footprint"]["coordinates"][0][0][1] < 49
            and 2 <= p["acquisition_date"].day < 20
            and p["cloud_cover"] <= 50
            and p["incidence_angle"] <= 20
            and p["mission"] in ("PHR1A", "SPOT6")
            and p["processing_level"] == "ORTHO"
        )
    )
    assert {url.rsplit("/", 1)[-1] for url in urls(response)} == wanted
    feature = response.json()["features"][0]
    assert feature["id"].startswith(products_url.removesuffix("/@products"))
    assert feature["properties"]["mission"] in ("PHR1A", "SPOT6")
    assert feature["geometry"]["type"] == "Polygon"


def test_post_pages_with_b_start_and_b_size(products_url):
    body = {
        "spectral_mode": ["PMS"],
        "intersects": {"type": "Point", "coordinates": [4.1, 50.1]},
    }
    first = requests.post(products_url, json=body, headers=JSON, timeout=60)
    assert first.json()["numberMatched"] == 1  # p1 (PMS); product 20 is P
    seen = []
    body = {"mission": ["PNEO3", "PNEO4"], "b_size": 3}
    response = requests.post(products_url, json=body, headers=JSON, timeout=60)
    assert response.json()["numberMatched"] == 8
    while True:
        seen += urls(response)
        nxt = [link for link in response.json()["links"] if link["rel"] == "next"]
        if not nxt:
            break
        assert nxt[0]["method"] == "POST"
        response = requests.post(
            nxt[0]["href"], json=nxt[0]["body"], headers=JSON, timeout=60
        )
    assert len(seen) == len(set(seen)) == 8
    prev = [link for link in response.json()["links"] if link["rel"] == "prev"]
    assert prev[0]["body"]["b_start"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2"},
        {"start": "yesterday"},
        {"start": "2024-02-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"},
        {"cloud_cover_max": "cloudy"},
        {"mission": "LANDSAT8"},
        {"b_size": "0"},
        {"b_start": "-1"},
    ],
)
def test_bad_parameters_are_400(products_url, params):
    response = requests.get(products_url, params=params, headers=JSON, timeout=60)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "BadRequest"


def test_bad_body_is_400(products_url):
    response = requests.post(
        products_url,
        data=b"[1]",
        headers={**JSON, "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 400
