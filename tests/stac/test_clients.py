"""Real STAC clients against the test server: pystac-client, stac-api-validator."""

from belspo.pleiades.stac.items import EXTENSIONS
from pystac.validation import validate_dict
from pystac.validation.local_validator import get_local_schema_cache
from pystac_client import Client
from stac_api_validator.validations import QueryConfig
from stac_api_validator.validations import validate_api

import json
import pytest
import requests
import stac_validator.utilities


EUROPE = {
    "type": "Polygon",
    "coordinates": [[[-5, 40], [12, 40], [12, 55], [-5, 55], [-5, 40]]],
}


def test_pystac_client_searches_pages_and_reads_items(stac_url):
    client = Client.open(stac_url)
    assert {c.id for c in client.get_collections()} == {
        "pleiades",
        "pleiades-neo",
        "spot",
    }
    search = client.search(
        collections=["pleiades", "spot"],
        bbox=[-5, 43, 11, 52],
        datetime="2024-01-01/2024-01-31",
        max_items=100,
        limit=3,  # several pages
    )
    items = list(search.items())
    assert len(items) == len({i.id for i in items}) == 16  # 2/3 of 24 products
    with pytest.warns(UserWarning, match="numberMatched"):
        assert search.matched() is None  # checked on metadata, not counted
    item = items[0]
    assert item.collection_id in ("pleiades", "spot")
    assert item.assets["data"].media_type == "application/zip"
    assert item.assets["data"].extra_fields["file:checksum"].startswith("1220")
    assert item.properties["platform"].startswith(("pleiades-1", "spot-"))
    assert item.datetime.tzinfo is not None


def test_pystac_client_filters_and_sorts(stac_url):
    client = Client.open(stac_url)
    search = client.search(
        filter="eo:cloud_cover < 30 AND view:incidence_angle <= 15",
        sortby="-eo:cloud_cover",
        max_items=100,
    )
    clouds = [item.properties["eo:cloud_cover"] for item in search.items()]
    assert clouds and clouds == sorted(clouds, reverse=True)
    assert all(c < 30 for c in clouds)
    json_search = client.search(
        filter={"op": "=", "args": [{"property": "platform"}, "spot-7"]},
        filter_lang="cql2-json",
        method="POST",
    )
    assert {i.properties["platform"] for i in json_search.items()} == {"spot-7"}


def test_items_and_collections_are_valid_core_stac(stac_url):
    # pystac bundles the STAC 1.1 core schemas; extension schemas need a network.
    for item in requests.get(f"{stac_url}/search?limit=100", timeout=60).json()[
        "features"
    ]:
        validate_dict(item, extensions=[])
    for collection in requests.get(f"{stac_url}/collections", timeout=60).json()[
        "collections"
    ]:
        validate_dict(collection, extensions=[])


@pytest.fixture
def offline_schemas(monkeypatch):
    """Schemas for stac-validator without a network: core ones from pystac.

    The STAC 1.1 core and GeoJSON schemas are pystac's bundled copies; an
    extension's schema (eo, view...) cannot be fetched here and is taken as
    permissive, and noted. Anything else (the API's own URLs) is fetched.
    """
    local = get_local_schema_cache()
    fetch = stac_validator.utilities.fetch_and_parse_file
    skipped = set()

    def offline(url: str, headers=None):
        if url in local:
            return local[url]
        if url.startswith("https://stac-extensions.github.io/"):
            skipped.add(url)
            return {}
        return fetch(url, headers)

    monkeypatch.setattr(stac_validator.utilities, "fetch_and_parse_file", offline)
    stac_validator.utilities.fetch_and_parse_schema.cache_clear()
    yield skipped
    stac_validator.utilities.fetch_and_parse_schema.cache_clear()


@pytest.mark.timeout(600)
def test_stac_api_validator(stac_url, offline_schemas):
    warnings, errors = validate_api(
        root_url=stac_url,
        ccs_to_validate=[
            "core",
            "collections",
            "features",
            "item-search",
            "item-search#sort",
            "features#sort",
            "filter",
        ],
        collection="pleiades",
        geometry=json.dumps(EUROPE),
        auth_bearer_token=None,
        auth_query_parameter=None,
        fields_nested_property=None,
        validate_pagination=True,
        query_config=QueryConfig(*[None] * 13),
        transaction_collection=None,
        headers={},
        stac_check_config=None,
    )
    assert list(errors) == []
    assert offline_schemas <= set(EXTENSIONS)  # only these were not checked
    assert all("stac-check" in w or "0 results" in w for w in warnings), warnings
