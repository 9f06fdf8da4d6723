"""Acquisition requests through plone.restapi: fields, round trips, refusals.

The workflow through ``@workflow`` (submission checks, validation, the quota
decision) is tested in ``tests/requests/test_rest.py``.
"""

from datetime import date
from datetime import timedelta
from plone.dexterity.utils import iterSchemata
from tests.api.client import session
from tests.api.client import state_of
from tests.content import world
from zope.schema import getFields

import pytest
import transaction


@pytest.fixture
def draft(functional_portal):
    """The world's draft programming request of ULB, owned by ``owner``."""
    request = world.build(functional_portal)["request"]
    request.scenes = []
    transaction.commit()
    return request


def test_get_serialises_every_field(draft):
    body = session("owner").get(draft.absolute_url(), timeout=30).json()
    fields = {name for schema in iterSchemata(draft) for name in getFields(schema)}
    assert fields <= set(body)
    assert body["footprint"] == world.SQUARE
    assert body["window_start"] == (date.today() + timedelta(days=10)).isoformat()
    assert body["kind"] == {
        "token": "programming",
        "title": "Programming request (new acquisition)",
    }
    assert body["user_group"] == {"token": "ulb", "title": "ULB"}
    assert body["max_incidence_angle"] == 30.0
    assert body["quota_decision"] is None


@pytest.mark.parametrize("user", ["owner", "leader"])
def test_a_round_trip_changes_nothing(draft, user):
    url = draft.absolute_url()
    before = state_of(url)
    written = session(user).patch(url, json=before, timeout=30)
    assert written.status_code == 204, written.text
    assert state_of(url) == before


def test_the_owner_edits_the_draft(draft):
    url = draft.absolute_url()
    changes = {
        "max_incidence_angle": 25,  # a JSON integer for a float field
        "priority_mode": "priority",
        "footprint": {
            "type": "MultiPolygon",
            "coordinates": [
                [[[4, 50], [4.5, 50], [4.5, 50.5], [4, 50.5], [4, 50]]],
                [[[5, 51], [5.5, 51], [5.5, 51.5], [5, 51.5], [5, 51]]],
            ],
        },
    }
    written = session("owner").patch(url, json=changes, timeout=30)
    assert written.status_code == 204, written.text
    body = state_of(url)
    assert body["max_incidence_angle"] == 25.0
    assert body["priority_mode"]["token"] == "priority"
    assert body["footprint"]["type"] == "MultiPolygon"


def new_request(**fields) -> dict:
    return {
        "@type": "AcquisitionRequest",
        "title": "Port of Antwerp",
        "kind": "programming",
        "user_group": "ulb",
        "purpose": "Quay changes",
        "window_start": (date.today() + timedelta(days=5)).isoformat(),
        "window_end": (date.today() + timedelta(days=40)).isoformat(),
        "footprint": world.SQUARE,
        **fields,
    }


REFUSALS = [
    (
        "window ends first",
        {"window_end": date.today().isoformat()},
        "The acquisition window ends before it starts.",
    ),
    (
        "extraction without scenes",
        {"kind": "extraction", "scenes": []},
        "A catalogue extraction needs the scenes it asks for.",
    ),
    (
        "unclosed ring",
        {
            "footprint": {
                "type": "Polygon",
                "coordinates": [[[4, 50], [5, 50], [5, 51]]],
            }
        },
        "a ring needs at least 4 positions",
    ),
    (
        "footprint as text that is not JSON",
        {"footprint": "Brussels"},
        "not valid JSON",
    ),
    (
        "footprint of the wrong type",
        {"footprint": {"type": "LineString", "coordinates": [[4, 50], [5, 51]]}},
        "not 'LineString'",
    ),
    ("cloud over 100", {"max_cloud_cover": 101}, "Value is too big"),
    ("someone else's group", {"user_group": "kuleuven"}, "user_group"),
]


@pytest.mark.parametrize(
    "fields, message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_bad_request_is_not_created(draft, fields, message):
    folder = draft.aq_parent.absolute_url()
    response = session("owner").post(folder, json=new_request(**fields), timeout=30)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    listing = session("owner").get(folder, timeout=30).json()
    assert listing["items_total"] == 1  # the world's own draft


@pytest.mark.parametrize(
    "fields, message", [r[1:] for r in REFUSALS[:6]], ids=[r[0] for r in REFUSALS[:6]]
)
def test_a_bad_change_is_refused_and_nothing_changes(draft, fields, message):
    url = draft.absolute_url()
    before = state_of(url)
    response = session("owner").patch(
        url, json={"purpose": "Changed", **fields}, timeout=30
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert state_of(url) == before


def test_an_extraction_is_created_with_its_scenes(draft):
    body = new_request(
        kind="extraction", scenes=["DS_PHR1A_201805171031", "DS_PHR1B_201906021045"]
    )
    response = session("owner").post(draft.aq_parent.absolute_url(), json=body)
    assert response.status_code == 201, response.text
    assert response.json()["scenes"] == body["scenes"]
    assert response.json()["review_state"] == "draft"


def test_the_distributor_reference_is_written_by_operators_only(draft):
    url = draft.absolute_url()
    session("owner").patch(url, json={"distributor_reference": "F-1"}, timeout=30)
    assert state_of(url)["distributor_reference"] is None
    world.set_state(draft, "validated")
    transaction.commit()
    written = session("operator").patch(
        url, json={"distributor_reference": "ORD-2026-0042"}, timeout=30
    )
    assert written.status_code == 204, written.text
    assert state_of(url)["distributor_reference"] == "ORD-2026-0042"
