"""Item search, GET and POST: place, time, ids, collections, paging, sorting."""

from tests.stac.conftest import COUNT
from tests.stac.conftest import get
from tests.stac.conftest import ids
from tests.stac.conftest import post
from tests.stac.conftest import spec

import pytest


def products(condition) -> set[str]:
    """The ids of the conftest products meeting a condition on their spec."""
    return {spec(i)["id"] for i in range(COUNT) if condition(spec(i))}


def search(stac_url, method: str, **params):
    if method == "GET":
        return get(f"{stac_url}/search", params=params)
    return post(f"{stac_url}/search", params)


@pytest.fixture(params=["GET", "POST"])
def method(request):
    return request.param


def test_bbox(stac_url, method):
    bbox = "1.9,46.9,4.3,47.1" if method == "GET" else [1.9, 46.9, 4.3, 47.1]
    found = ids(search(stac_url, method, bbox=bbox, limit=100))
    # Row 2 (lat 47) of the grid, columns at lon 2.0 and 4.0: products 11, 12.
    assert set(found) == {"prod-011", "prod-012"}


def test_bbox_across_the_antimeridian_finds_nothing_in_europe(stac_url, method):
    bbox = "170,40,-170,60" if method == "GET" else [170, 40, -170, 60]
    assert ids(search(stac_url, method, bbox=bbox)) == []


@pytest.mark.parametrize(
    "bbox", [[-180, -90, 180, 90], [-179, -89, 179, 89], [-11, 0, 170, 80]]
)
def test_a_bbox_wider_than_half_the_world_finds_everything_in_it(
    stac_url, method, bbox
):
    value = ",".join(map(str, bbox)) if method == "GET" else bbox
    assert len(ids(search(stac_url, method, bbox=value, limit=100))) == COUNT + 1


def test_intersects(stac_url, method):
    point = {"type": "Point", "coordinates": [4.1, 50.1]}  # p1 and product 20
    value = point if method == "POST" else __import__("json").dumps(point)
    assert set(ids(search(stac_url, method, intersects=value))) == {"p1", "prod-020"}


@pytest.mark.parametrize(
    "interval,expected",
    [
        # Product i is acquired on 2024-01-(i+1) at 10:00 + 7i minutes.
        ("2024-01-03T10:14:00Z", {"prod-002"}),
        ("2024-01-03T10:14:00.001Z", set()),
        (
            "2024-01-03T10:14:00Z/2024-01-05T10:28:00Z",
            {"prod-002", "prod-003", "prod-004"},
        ),
        ("2024-01-03T10:14:01Z/2024-01-05T10:27:59Z", {"prod-003"}),
        ("../2024-01-02T10:07:00Z", {"prod-000", "prod-001"}),
        ("2024-01-23T12:34:00+02:00/..", {"prod-022", "prod-023", "p1"}),
    ],
)
def test_datetime(stac_url, method, interval, expected):
    assert set(ids(search(stac_url, method, datetime=interval, limit=100))) == expected


def test_ids_and_collections(stac_url, method):
    wanted = ["prod-004", "prod-005", "prod-006", "p1"]
    value = ",".join(wanted) if method == "GET" else wanted
    assert set(ids(search(stac_url, method, ids=value))) == set(wanted)
    collections = "spot" if method == "GET" else ["spot"]
    found = search(stac_url, method, ids=value, collections=collections)
    assert set(ids(found)) == {"prod-004", "prod-005"}
    assert found.json()["numberMatched"] == 2


def test_combined_filters_agree_with_the_products(stac_url, method):
    bbox = "-5,43,11,49" if method == "GET" else [-5, 43, 11, 49]
    response = search(
        stac_url,
        method,
        bbox=bbox,
        datetime="2024-01-02T00:00:00Z/2024-01-20T00:00:00Z",
        collections="pleiades,spot" if method == "GET" else ["pleiades", "spot"],
        limit=100,
    )
    expected = products(
        lambda p: (
            p["footprint"]["coordinates"][0][0][1] < 49
            and p["acquisition_date"].day in range(2, 20)
            and p["mission"] in ("PHR1A", "PHR1B", "SPOT6", "SPOT7")
        )
    )
    assert set(ids(response)) == expected


@pytest.mark.parametrize("limit", [1, 3, 7])
def test_paging_visits_every_item_once(stac_url, method, limit):
    seen, pages = [], 0
    response = search(stac_url, method, limit=limit, collections=_all(method))
    while True:
        pages += 1
        body = response.json()
        assert len(body["features"]) <= limit
        seen += ids(response)
        following = [link for link in body["links"] if link["rel"] == "next"]
        if not following:
            break
        link = following[0]
        if method == "POST":
            assert link["method"] == "POST"
            response = post(link["href"], link["body"])
        else:
            response = get(link["href"])
    assert sorted(seen) == sorted(products(lambda p: True) | {"p1"})
    assert pages == -(-(COUNT + 1) // limit)


def _all(method):
    everything = ["pleiades", "pleiades-neo", "spot"]
    return ",".join(everything) if method == "GET" else everything


def test_prev_link_returns_to_the_previous_page(stac_url, method):
    first = search(stac_url, method, limit=4)
    following = next(link for link in first.json()["links"] if link["rel"] == "next")
    second = (
        post(following["href"], following["body"])
        if method == "POST"
        else get(following["href"])
    )
    back = next(link for link in second.json()["links"] if link["rel"] == "prev")
    again = post(back["href"], back["body"]) if method == "POST" else get(back["href"])
    assert ids(again) == ids(first)
    assert not any(link["rel"] == "prev" for link in first.json()["links"])


def test_numbers_matched_and_returned(stac_url):
    body = get(f"{stac_url}/search", params={"limit": 5}).json()
    assert body["numberMatched"] == COUNT + 1
    assert body["numberReturned"] == 5


def test_default_order_is_newest_first(stac_url):
    found = ids(get(f"{stac_url}/search", params={"limit": 3}))
    assert found == ["p1", "prod-023", "prod-022"]


@pytest.mark.parametrize(
    "field,key",
    [
        ("datetime", lambda p: p["acquisition_date"]),
        ("id", lambda p: p["id"]),
        ("eo:cloud_cover", lambda p: p["cloud_cover"]),
        ("view:incidence_angle", lambda p: p["incidence_angle"]),
    ],
)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sortby(stac_url, method, field, key, direction):
    sign = "+" if direction == "asc" else "-"
    if method == "GET":
        sortby = f"{sign}{field},+id"
        response = get(
            f"{stac_url}/search",
            params={"sortby": sortby, "limit": 100, "collections": _all("GET")},
        )
    else:
        sortby = [{"field": field, "direction": direction}, {"field": "id"}]
        response = post(
            f"{stac_url}/search",
            {"sortby": sortby, "limit": 100, "ids": sorted(products(lambda p: 1))},
        )
    found = [i for i in ids(response) if i != "p1"]
    # By the field, then ascending ids among equal values (a stable sort).
    specs = sorted((spec(i) for i in range(COUNT)), key=lambda p: p["id"])
    specs.sort(key=key, reverse=direction == "desc")
    assert found == [p["id"] for p in specs]


def test_items_of_a_collection_with_bbox_datetime_and_paging(stac_url):
    url = f"{stac_url}/collections/pleiades-neo/items"
    response = get(url, params={"limit": 2, "bbox": "-5,43,11,52"})
    expected = products(lambda p: p["mission"] in ("PNEO3", "PNEO4"))
    seen = ids(response)
    while nxt := [link for link in response.json()["links"] if link["rel"] == "next"]:
        response = get(nxt[0]["href"])
        seen += ids(response)
    assert sorted(seen) == sorted(expected)
    dated = get(url, params={"datetime": "2024-01-03T00:00:00Z/2024-01-04T00:00:00Z"})
    assert ids(dated) == ["prod-002"]
