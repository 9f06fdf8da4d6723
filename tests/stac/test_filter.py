"""The filter extension: CQL2 text and JSON on every queryable, over HTTP."""

from datetime import datetime
from tests.stac.conftest import COUNT
from tests.stac.conftest import get
from tests.stac.conftest import ids
from tests.stac.conftest import post
from tests.stac.conftest import spec

import pytest


def products(condition) -> set[str]:
    return {spec(i)["id"] for i in range(COUNT) if condition(spec(i))}


PLATFORMS = {"PHR1A": "pleiades-1a", "SPOT6": "spot-6", "SPOT7": "spot-7"}

# (cql2-text, cql2-json, which conftest products match; p1 is left out by "id").
CASES = [
    (
        # The catalog reads a maximum of 0 as none: the search must not.
        "eo:cloud_cover <= 0",
        {"op": "<=", "args": [{"property": "eo:cloud_cover"}, 0]},
        lambda p: p["cloud_cover"] <= 0,
    ),
    (
        "eo:cloud_cover = 0",
        {"op": "=", "args": [{"property": "eo:cloud_cover"}, 0]},
        lambda p: p["cloud_cover"] == 0,
    ),
    (
        "eo:cloud_cover < 20",
        {"op": "<", "args": [{"property": "eo:cloud_cover"}, 20]},
        lambda p: p["cloud_cover"] < 20,
    ),
    (
        "eo:cloud_cover <= 20 AND view:incidence_angle >= 10",
        {
            "op": "and",
            "args": [
                {"op": "<=", "args": [{"property": "eo:cloud_cover"}, 20]},
                {"op": ">=", "args": [{"property": "view:incidence_angle"}, 10]},
            ],
        },
        lambda p: p["cloud_cover"] <= 20 and p["incidence_angle"] >= 10,
    ),
    (
        "eo:cloud_cover = 8 OR view:off_nadir > 20",
        {
            "op": "or",
            "args": [
                {"op": "=", "args": [{"property": "eo:cloud_cover"}, 8]},
                {"op": ">", "args": [{"property": "view:off_nadir"}, 20]},
            ],
        },
        lambda p: p["cloud_cover"] == 8 or p["viewing_angle"] > 20,
    ),
    (
        "NOT (view:incidence_angle BETWEEN 8 AND 20)",
        {
            "op": "not",
            "args": [
                {
                    "op": "between",
                    "args": [{"property": "view:incidence_angle"}, 8, 20],
                }
            ],
        },
        lambda p: not 8 <= p["incidence_angle"] <= 20,
    ),
    (
        "platform IN ('pleiades-1a', 'spot-6', 'spot-7')",
        {
            "op": "in",
            "args": [{"property": "platform"}, ["pleiades-1a", "spot-6", "spot-7"]],
        },
        lambda p: p["mission"] in PLATFORMS,
    ),
    (
        "mission = 'PNEO4'",
        {"op": "=", "args": [{"property": "mission"}, "PNEO4"]},
        lambda p: p["mission"] == "PNEO4",
    ),
    (
        "processing:level = 'SENSOR' AND pleiades:spectral_mode <> 'P'",
        {
            "op": "and",
            "args": [
                {"op": "=", "args": [{"property": "processing:level"}, "SENSOR"]},
                {"op": "<>", "args": [{"property": "pleiades:spectral_mode"}, "P"]},
            ],
        },
        lambda p: p["processing_level"] == "SENSOR" and p["spectral_mode"] != "P",
    ),
    (
        "view:azimuth > 180 AND view:sun_elevation < 40",
        {
            "op": "and",
            "args": [
                {"op": ">", "args": [{"property": "view:azimuth"}, 180]},
                {"op": "<", "args": [{"property": "view:sun_elevation"}, 40]},
            ],
        },
        lambda p: p["azimuth_angle"] > 180 and p["sun_elevation"] < 40,
    ),
    (
        "view:sun_azimuth >= 150 AND eo:snow_cover = 0",
        {
            "op": "and",
            "args": [
                {"op": ">=", "args": [{"property": "view:sun_azimuth"}, 150]},
                {"op": "=", "args": [{"property": "eo:snow_cover"}, 0]},
            ],
        },
        lambda p: p["sun_azimuth"] >= 150 and p["snow_cover"] == 0,
    ),
    (
        "id LIKE 'prod-01%'",
        {"op": "like", "args": [{"property": "id"}, "prod-01%"]},
        lambda p: p["id"].startswith("prod-01"),
    ),
    (
        "S_INTERSECTS(geometry, "
        "POLYGON((1.9 46.9, 4.3 46.9, 4.3 47.1, 1.9 47.1, 1.9 46.9)))",
        {
            "op": "s_intersects",
            "args": [
                {"property": "geometry"},
                {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [1.9, 46.9],
                            [4.3, 46.9],
                            [4.3, 47.1],
                            [1.9, 47.1],
                            [1.9, 46.9],
                        ]
                    ],
                },
            ],
        },
        lambda p: p["id"] in ("prod-011", "prod-012"),
    ),
    (
        "T_INTERSECTS(datetime, "
        "INTERVAL('2024-01-03T10:14:00Z', '2024-01-05T10:28:00Z'))",
        {
            "op": "t_intersects",
            "args": [
                {"property": "datetime"},
                {"interval": ["2024-01-03T10:14:00Z", "2024-01-05T10:28:00Z"]},
            ],
        },
        lambda p: p["id"] in ("prod-002", "prod-003", "prod-004"),
    ),
    (
        "ANYINTERACTS(datetime, DATE('2024-01-10'))",
        {
            "op": "anyinteracts",
            "args": [{"property": "datetime"}, {"date": "2024-01-10"}],
        },
        lambda p: p["id"] == "prod-009",
    ),
    (
        "datetime > TIMESTAMP('2024-01-20T12:00:00Z') AND id <> 'p1'",
        {
            "op": "and",
            "args": [
                {
                    "op": ">",
                    "args": [
                        {"property": "datetime"},
                        {"timestamp": "2024-01-20T12:00:00Z"},
                    ],
                },
                {"op": "<>", "args": [{"property": "id"}, "p1"]},
            ],
        },
        lambda p: p["acquisition_date"] > datetime(2024, 1, 20, 12, 0),
    ),
    (
        "collection = 'spot' AND gsd = 0.5 AND proj:code = 'EPSG:32631'",
        {
            "op": "and",
            "args": [
                {"op": "=", "args": [{"property": "collection"}, "spot"]},
                {"op": "=", "args": [{"property": "gsd"}, 0.5]},
                {"op": "=", "args": [{"property": "proj:code"}, "EPSG:32631"]},
            ],
        },
        lambda p: p["mission"].startswith("SPOT"),
    ),
    (
        "eo:snow_cover IS NULL",
        {"op": "isNull", "args": [{"property": "eo:snow_cover"}]},
        lambda p: False,  # only p1, which has no snow cover
    ),
]


def matching(condition) -> set[str]:
    return products(condition)


@pytest.mark.parametrize("text,tree,condition", CASES, ids=[c[0][:40] for c in CASES])
def test_filter_text_and_json_agree_with_the_products(stac_url, text, tree, condition):
    expected = matching(condition)
    by_text = get(f"{stac_url}/search", params={"filter": text, "limit": 100})
    by_json_post = post(
        f"{stac_url}/search", {"filter": tree, "filter-lang": "cql2-json", "limit": 100}
    )
    by_text_post = post(
        f"{stac_url}/search", {"filter": text, "filter-lang": "cql2-text", "limit": 100}
    )
    results = [set(ids(r)) - {"p1"} for r in (by_text, by_json_post, by_text_post)]
    assert results == [expected] * 3


def test_is_null_finds_what_lacks_a_value(stac_url):
    found = ids(get(f"{stac_url}/search", params={"filter": "eo:snow_cover IS NULL"}))
    assert found == ["p1"]


def test_filter_on_collection_items(stac_url):
    response = get(
        f"{stac_url}/collections/spot/items",
        params={"filter": "eo:cloud_cover < 50", "limit": 100},
    )
    expected = matching(
        lambda p: p["mission"].startswith("SPOT") and p["cloud_cover"] < 50
    )
    assert set(ids(response)) == expected


def test_filtered_search_pages_through_every_match(stac_url):
    expected = matching(lambda p: p["sun_elevation"] > 25)  # metadata only
    response = get(
        f"{stac_url}/search", params={"filter": "view:sun_elevation > 25", "limit": 4}
    )
    seen = ids(response)
    assert "numberMatched" not in response.json()  # not counted by the catalog
    while nxt := [link for link in response.json()["links"] if link["rel"] == "next"]:
        response = get(nxt[0]["href"])
        seen += ids(response)
    assert sorted(seen) == sorted(expected)


def test_queryables_name_every_filterable_property(stac_url):
    properties = get(f"{stac_url}/queryables").json()["properties"]
    for name in (
        "id",
        "datetime",
        "geometry",
        "platform",
        "mission",
        "eo:cloud_cover",
        "view:incidence_angle",
        "view:azimuth",
        "view:off_nadir",
        "view:sun_elevation",
        "view:sun_azimuth",
        "processing:level",
    ):
        assert name in properties
