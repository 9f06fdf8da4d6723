"""Requests through plone.restapi, with the web's rules; the ``@quota`` ledger."""

from belspo.pleiades.quota import config
from datetime import date
from datetime import timedelta
from tests.content import world

import pytest
import requests
import transaction


@pytest.fixture
def api_url(functional_portal):
    world.build(functional_portal)
    config.settings(config.year_of(date.today())).capacity = 2500  # 100 attempts
    transaction.commit()
    return functional_portal.absolute_url()


def session(user):
    http = requests.Session()
    http.auth = (user, world.PASSWORD)
    http.headers["Accept"] = "application/json"
    return http


def new_request(url, **fields):
    body = {
        "@type": "AcquisitionRequest",
        "title": "Port of Antwerp",
        "kind": "programming",
        "user_group": "ulb",
        "purpose": "Quay changes",
        "window_start": (date.today() + timedelta(days=5)).isoformat(),
        "window_end": (date.today() + timedelta(days=40)).isoformat(),
        "estimated_attempts": 3,
        "footprint": world.SQUARE,
        **fields,
    }
    return session("owner").post(f"{url}/requests", json=body, timeout=30)


def test_a_request_goes_the_whole_way_through_the_api(api_url):
    created = new_request(api_url)
    assert created.status_code == 201, created.text
    location = created.json()["@id"]
    assert created.json()["footprint"]["type"] == "Polygon"
    submitted = session("owner").post(f"{location}/@workflow/submit", timeout=30)
    assert submitted.status_code == 200, submitted.text
    validated = session("validator").post(
        f"{location}/@workflow/validate", json={"comment": "fine"}, timeout=30
    )
    assert validated.status_code == 200, validated.text
    decision = session("owner").get(location, timeout=30).json()["quota_decision"]
    assert decision["category"] == "within quota"
    assert decision["validator"] == "validator"
    assert decision["attempts"] == 3


def test_the_decision_cannot_be_written_through_the_api(api_url):
    location = new_request(api_url).json()["@id"]
    forged = {"category": "within quota", "price": 0}
    response = session("owner").patch(
        location, json={"quota_decision": forged}, timeout=30
    )
    assert response.status_code in (204, 400)
    assert session("owner").get(location, timeout=30).json()["quota_decision"] is None


def test_a_member_cannot_validate_through_the_api(api_url):
    location = new_request(api_url).json()["@id"]
    session("owner").post(f"{location}/@workflow/submit", timeout=30)
    forged = session("owner").post(f"{location}/@workflow/validate", timeout=30)
    assert forged.status_code == 400
    body = session("owner").get(location, timeout=30).json()
    assert body["review_state"] == "submitted"
    assert body["quota_decision"] is None


def test_pacing_needs_a_reason_through_the_api_too(api_url):
    location = new_request(api_url, estimated_attempts=20).json()["@id"]
    session("owner").post(f"{location}/@workflow/submit", timeout=30)
    refused = session("validator").post(f"{location}/@workflow/validate", timeout=30)
    assert refused.status_code == 400
    assert "monthly pacing cap" in refused.text
    accepted = session("validator").post(
        f"{location}/@workflow/validate", json={"comment": "Floods"}, timeout=30
    )
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"estimated_attempts": -3}, "estimated_attempts"),
        ({"footprint": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}, ""),
        ({"footprint": "not geojson"}, ""),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_created(api_url, fields, message):
    response = new_request(api_url, **fields)
    assert response.status_code == 400, response.text
    assert message in response.text
    listing = session("owner").get(f"{api_url}/requests", timeout=30).json()
    assert listing["items_total"] == 1  # world's own draft


def test_quota_endpoint_returns_the_ledger(api_url):
    location = new_request(api_url, estimated_attempts=7).json()["@id"]
    session("owner").post(f"{location}/@workflow/submit", timeout=30)
    session("validator").post(f"{location}/@workflow/validate", timeout=30)
    response = session("validator").get(f"{api_url}/@quota", timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agreement"]["rights"] == 100
    assert body["ledger"]["rights_used"] == 7
    assert body["ledger"]["rights_remaining"] == 93
    assert len(body["ledger"]["by_month"]) == 12
    assert [d["request_id"] for d in body["decisions"]] == ["port-of-antwerp"]


@pytest.mark.parametrize("year", ["1999", "next", "-1"])
def test_quota_endpoint_refuses_an_unknown_year(api_url, year):
    response = session("validator").get(f"{api_url}/@quota?year={year}", timeout=30)
    assert response.status_code == 400
    assert "no agreement year" in response.json()["error"]["message"]


@pytest.mark.parametrize("user", ["owner", "member"])
def test_quota_endpoint_is_for_validators_and_operators(api_url, user):
    response = session(user).get(f"{api_url}/@quota", timeout=30)
    assert response.status_code == 401
