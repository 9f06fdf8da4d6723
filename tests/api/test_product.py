"""Products through plone.restapi: every field, round trips, refusals, workflow."""

from datetime import datetime
from plone import api
from plone.dexterity.utils import iterSchemata
from tests.api.client import session
from tests.api.client import state_of
from tests.content import world
from zope.schema import getFields

import pytest
import transaction


SHA = "ab" * 32
MANIFEST = [
    {"path": "DIM_PHR1A.XML", "size": 2048, "sha256": "cd" * 32},
    {"path": "IMG_PHR1A_PMS_001.TIF", "size": 1 << 30, "sha256": "ef" * 32},
]
FIXITY = [{"date": "2025-01-02T03:04:05+00:00", "event": "fixity", "ok": True}]


@pytest.fixture
def product(functional_portal):
    """A published product with every kind of field filled, linked to a request."""
    content = world.build(functional_portal)
    obj = content["product"]
    obj.production_date = datetime(2024, 5, 18, 8, 0, 0, 123000)
    obj.acquisition_date = datetime(2024, 5, 17, 10, 31, 2, 500000)
    obj.package_sha256 = SHA
    obj.manifest = MANIFEST
    obj.fixity_history = FIXITY
    obj.ingest_warnings = ["no request with customer reference X"]
    world.set_state(content["request"], "submitted")  # operators see it
    api.relation.create(source=obj, target=content["request"], relationship="request")
    obj.reindexObject()
    transaction.commit()
    return obj


def field_names(obj) -> set[str]:
    return {name for schema in iterSchemata(obj) for name in getFields(schema)}


def test_get_serialises_every_field(product):
    body = session("operator").get(product.absolute_url(), timeout=30).json()
    assert field_names(product) <= set(body)
    assert body["footprint"] == world.SQUARE
    assert body["acquisition_date"] == "2024-05-17T10:31:02.500000+00:00"
    assert body["production_date"] == "2024-05-18T08:00:00.123000+00:00"
    assert body["mission"] == {"token": "PHR1A", "title": "Pléiades 1A"}
    assert body["cloud_cover"] == 12.34
    assert body["manifest"] == MANIFEST
    assert body["fixity_history"] == FIXITY
    assert body["package_sha256"] == SHA
    assert body["package"]["download"].endswith("/p1/@@download/package")
    assert body["package"]["size"] == len(b"archived package")
    assert body["request"]["@id"].endswith("/requests/r1")
    assert body["request"]["@type"] == "AcquisitionRequest"
    assert body["request"]["title"] == "Request r1"


def test_the_package_is_not_shown_to_who_may_not_download_it(product):
    body = session("member").get(product.absolute_url(), timeout=30).json()
    assert "package" not in body
    assert body["dataset_name"] == "DS_p1"


def test_a_round_trip_changes_nothing(product):
    url = product.absolute_url()
    before = state_of(url)
    written = session("operator").patch(url, json=before, timeout=30)
    assert written.status_code == 204, written.text
    assert state_of(url) == before
    transaction.begin()
    assert product.acquisition_date == datetime(2024, 5, 17, 10, 31, 2, 500000)
    assert product.package.data == b"archived package"


def test_the_api_writes_what_the_form_would(product):
    url = product.absolute_url()
    changes = {
        "cloud_cover": 7,  # a JSON integer for a float field
        "acquisition_date": "2024-05-17T12:31:02+02:00",
        "footprint": {  # clockwise, as a string: stored closed and oriented
            "type": "Polygon",
            "coordinates": [[[4, 50], [4, 51], [5, 51], [5, 50], [4, 50]]],
        },
        "manifest": MANIFEST[:1],
    }
    written = session("operator").patch(url, json=changes, timeout=30)
    assert written.status_code == 204, written.text
    body = state_of(url)
    assert body["cloud_cover"] == 7.0
    assert body["acquisition_date"] == "2024-05-17T10:31:02+00:00"
    assert body["footprint"] == world.SQUARE
    assert body["manifest"] == MANIFEST[:1]
    transaction.begin()
    assert product.acquisition_date == datetime(2024, 5, 17, 10, 31, 2)
    found = api.content.find(portal_type="Product", footprint=(4.5, 50.5, 4.6, 50.6))
    assert [brain.getId for brain in found] == ["p1"]


def polygon(*ring) -> dict:
    return {"type": "Polygon", "coordinates": [list(ring)]}


REFUSALS = [
    (
        "unclosed ring",
        {"footprint": polygon([4, 50], [5, 50], [5, 51], [4, 51])},
        "footprint",
        "the ring is not closed",
    ),
    (
        "self-intersection",
        {"footprint": polygon([4, 50], [5, 51], [5, 50], [4, 51], [4, 50])},
        "footprint",
        "Self-intersection",
    ),
    (
        "longitude out of range",
        {"footprint": polygon([4, 50], [200, 50], [5, 51], [4, 50])},
        "footprint",
        "longitude 200 is outside [-180, 180]",
    ),
    (
        "latitude out of range",
        {"footprint": polygon([4, 50], [5, 95], [5, 51], [4, 50])},
        "footprint",
        "latitude 95 is outside [-90, 90]",
    ),
    (
        "a point",
        {"footprint": {"type": "Point", "coordinates": [4, 50]}},
        "footprint",
        "a footprint is a Polygon or MultiPolygon, not 'Point'",
    ),
    ("a list", {"footprint": [4, 50, 5, 51]}, "footprint", "not GeoJSON"),
    ("a number", {"footprint": 42}, "footprint", "not GeoJSON"),
    ("not JSON", {"footprint": "POLYGON((4 50, 5 50))"}, "footprint", "not valid JSON"),
    ("cloud over 100", {"cloud_cover": 120}, "cloud_cover", "Value is too big"),
    (
        "a text angle",
        {"incidence_angle": "steep"},
        "incidence_angle",
        "could not convert string to float",
    ),
    ("unknown mission", {"mission": "PHR9"}, "mission", "Constraint not satisfied"),
    ("a bad date", {"acquisition_date": "yesterday"}, "acquisition_date", "Invalid"),
    ("a manifest object", {"manifest": {"a": 1}}, "manifest", "Wrong contained type"),
    (
        "a new fixity history",
        {"fixity_history": []},
        "fixity_history",
        "fixity_history is recorded by the archive and cannot be changed.",
    ),
    ("a short checksum", {"package_sha256": "abc"}, "", "A SHA-256 is 64"),
]


@pytest.mark.parametrize(
    "data, field, message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_bad_data_is_refused_and_nothing_changes(product, data, field, message):
    url = product.absolute_url()
    before = state_of(url)
    response = session("operator").patch(
        url, json={"title": "Changed", **data}, timeout=30
    )
    assert response.status_code == 400, response.text
    error = response.json()["message"]
    assert f"'field': '{field}'" in error or not field
    assert message in error
    assert state_of(url) == before


@pytest.mark.parametrize(
    "data, field, message",
    [r[1:] for r in REFUSALS[:8]],
    ids=[r[0] for r in REFUSALS[:8]],
)
def test_a_product_with_a_bad_footprint_is_not_created(product, data, field, message):
    catalogue = product.aq_parent.absolute_url()
    body = {
        "@type": "Product",
        "title": "New",
        "dataset_name": "DS_NEW",
        "mission": "PHR1B",
        "acquisition_date": "2024-06-01T10:00:00Z",
        "processing_level": "ORTHO",
        "spectral_mode": "PMS",
        **data,
    }
    response = session("operator").post(catalogue, json=body, timeout=30)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    listing = session("operator").get(catalogue, timeout=30).json()
    assert [item["@id"].rsplit("/", 1)[-1] for item in listing["items"]] == ["p1"]


def test_an_operator_creates_a_product(product):
    catalogue = product.aq_parent.absolute_url()
    body = {
        "@type": "Product",
        "id": "p2",
        "title": "New",
        "dataset_name": "DS_NEW",
        "mission": "PHR1B",
        "acquisition_date": "2024-06-01T10:00:00Z",
        "processing_level": "ORTHO",
        "spectral_mode": "PMS",
        "cloud_cover": 0,
        "footprint": world.SQUARE,
    }
    response = session("operator").post(catalogue, json=body, timeout=30)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["review_state"] == "ingested"
    assert created["acquisition_date"] == "2024-06-01T10:00:00+00:00"
    transaction.begin()
    assert product.aq_parent["p2"].acquisition_date == datetime(2024, 6, 1, 10)


def transition(user: str, url: str, name: str, comment: str | None = None):
    body = {} if comment is None else {"comment": comment}
    return session(user).post(f"{url}/@workflow/{name}", json=body, timeout=30)


def test_withdrawing_needs_a_reason_and_a_refusal_keeps_nothing(product):
    url = product.absolute_url()
    before = state_of(url)
    refused = transition("operator", url, "withdraw")
    assert refused.status_code == 400, refused.text
    assert "Give the reason" in refused.json()["error"]["message"]
    assert state_of(url) == before
    done = transition("operator", url, "withdraw", "Cloud mask was wrong")
    assert done.status_code == 200, done.text
    assert done.json()["review_state"] == "withdrawn"
    history = session("operator").get(f"{url}/@workflow", timeout=30).json()
    assert history["history"][-1]["comments"] == "Cloud mask was wrong"
    assert transition("operator", url, "publish").json()["review_state"] == (
        "published"
    )


@pytest.mark.parametrize("user", ["owner", "validator", "stereo"])
def test_only_operators_withdraw(product, user):
    response = transition(user, product.absolute_url(), "withdraw", "No reason")
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert message == "No workflow provides the 'withdraw' action."
    assert state_of(product.absolute_url())["review_state"] == "published"


def test_a_transition_with_a_body_that_is_not_json_is_refused(product):
    response = session("operator").post(
        f"{product.absolute_url()}/@workflow/withdraw",
        data="comment=Cloud mask",
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert "No JSON object could be decoded" in response.text
    assert state_of(product.absolute_url())["review_state"] == "published"


def test_an_ingested_product_is_published_by_an_operator(functional_portal):
    world.build(functional_portal)
    url = world.product(functional_portal, "p2", publish=False).absolute_url()
    transaction.commit()
    assert transition("owner", url, "publish").status_code == 401  # cannot see it
    done = transition("operator", url, "publish")
    assert done.status_code == 200, done.text
    assert session("owner").get(url, timeout=30).json()["review_state"] == ("published")
