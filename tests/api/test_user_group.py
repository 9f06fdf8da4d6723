"""User groups through plone.restapi: fields, round trips, refusals, workflow."""

from datetime import date
from datetime import timedelta
from plone import api
from plone.dexterity.utils import iterSchemata
from tests.api.client import session
from tests.api.client import state_of
from tests.content import world
from zope.schema import getFields

import pytest
import transaction


NEXT_YEAR = date.today() + timedelta(days=365)


@pytest.fixture
def ulb(functional_portal):
    """The approved group ULB, led by ``leader``."""
    world.build(functional_portal)
    transaction.commit()
    return functional_portal.groups.ulb


@pytest.fixture
def kuleuven(ulb):
    """The pending group KU Leuven, without an approval end date."""
    group = ulb.aq_parent.kuleuven
    group.approval_end = None
    transaction.commit()
    return group


def test_get_serialises_every_field(ulb):
    body = session("leader").get(ulb.absolute_url(), timeout=30).json()
    fields = {name for schema in iterSchemata(ulb) for name in getFields(schema)}
    assert fields <= set(body)
    assert body["contact_email"] == "contact@ulb.example.org"
    assert body["institution_type"] == {"token": "university", "title": "University"}
    assert body["leaders"] == ["leader"]
    assert body["approval_end"] == NEXT_YEAR.isoformat()
    assert body["review_state"] == "approved"


@pytest.mark.parametrize("user", ["leader", "stereo"])
def test_a_round_trip_changes_nothing(ulb, user):
    url = ulb.absolute_url()
    before = state_of(url)
    written = session(user).patch(url, json=before, timeout=30)
    assert written.status_code == 204, written.text
    assert state_of(url) == before


def test_the_approval_end_is_written_by_stereo_management_only(ulb):
    url = ulb.absolute_url()
    later = (NEXT_YEAR + timedelta(days=30)).isoformat()
    ignored = session("leader").patch(url, json={"approval_end": later}, timeout=30)
    assert ignored.status_code == 204  # as in the form: the field is not theirs
    assert state_of(url)["approval_end"] == NEXT_YEAR.isoformat()
    written = session("stereo").patch(url, json={"approval_end": later}, timeout=30)
    assert written.status_code == 204, written.text
    assert state_of(url)["approval_end"] == later


REFUSALS = [
    ("an e-mail without @", {"contact_email": "ulb.example.org"}, "contact_email"),
    ("an unknown institution", {"institution_type": "club"}, "institution_type"),
    ("a date that is not one", {"approval_end": "soon"}, "approval_end"),
    ("leaders as a number", {"leaders": 7}, "leaders"),
]


@pytest.mark.parametrize(
    "fields, name", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_bad_change_is_refused_and_nothing_changes(ulb, fields, name):
    url = ulb.absolute_url()
    before = state_of(url)
    response = session("stereo").patch(
        url, json={"title": "Changed", **fields}, timeout=30
    )
    assert response.status_code == 400, response.text
    assert f"'field': '{name}'" in response.json()["message"]
    assert state_of(url) == before


def test_stereo_management_creates_a_group_with_its_pas_group(ulb):
    folder = ulb.aq_parent.absolute_url()
    body = {
        "@type": "UserGroup",
        "id": "vito",
        "title": "VITO Remote Sensing",
        "institution_type": "federal",
        "contact_email": "rs@vito.example.be",
        "leaders": ["leader"],
    }
    response = session("stereo").post(folder, json=body, timeout=30)
    assert response.status_code == 201, response.text
    assert response.json()["review_state"] == "pending"
    transaction.begin()
    assert api.group.get(groupname="usergroup-vito") is not None


def test_a_member_cannot_create_a_group(ulb):
    body = {"@type": "UserGroup", "title": "Mine", "contact_email": "me@x.be"}
    response = session("leader").post(ulb.aq_parent.absolute_url(), json=body)
    assert response.status_code in (401, 403), response.text
    assert "mine" not in ulb.aq_parent.objectIds()


def transition(user: str, url: str, name: str, comment: str | None = None):
    body = {} if comment is None else {"comment": comment}
    return session(user).post(f"{url}/@workflow/{name}", json=body, timeout=30)


def test_approval_needs_an_end_date_and_a_refusal_keeps_nothing(kuleuven):
    url = kuleuven.absolute_url()
    before = state_of(url)
    refused = transition("stereo", url, "approve")
    assert refused.status_code == 400, refused.text
    assert "Set an approval end date" in refused.json()["error"]["message"]
    assert state_of(url) == before
    transaction.begin()
    assert kuleuven.EffectiveDate() == "None"  # set before trying; not kept
    session("stereo").patch(url, json={"approval_end": NEXT_YEAR.isoformat()})
    approved = transition("stereo", url, "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["review_state"] == "approved"


def test_a_renewal_past_its_end_date_is_refused_not_taken_for_done(ulb):
    ulb.approval_end = date.today() - timedelta(days=1)
    transaction.commit()
    url = ulb.absolute_url()
    history = session("stereo").get(f"{url}/@workflow", timeout=30).json()["history"]
    refused = transition("stereo", url, "renew")
    assert refused.status_code == 400, refused.text
    assert "Set an approval end date" in refused.json()["error"]["message"]
    after = session("stereo").get(f"{url}/@workflow", timeout=30).json()["history"]
    assert after == history
    session("stereo").patch(url, json={"approval_end": NEXT_YEAR.isoformat()})
    renewed = transition("stereo", url, "renew", "Second year of the project")
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["action"] == "renew"


def test_suspension_needs_a_reason(ulb):
    url = ulb.absolute_url()
    refused = transition("stereo", url, "suspend")
    assert refused.status_code == 400, refused.text
    assert "Give the reason" in refused.json()["error"]["message"]
    assert state_of(url)["review_state"] == "approved"
    suspended = transition("stereo", url, "suspend", "Licence breach")
    assert suspended.status_code == 200, suspended.text
    assert state_of(url)["review_state"] == "suspended"


def test_stereo_management_lets_a_group_expire(ulb):
    expired = transition("stereo", ulb.absolute_url(), "expire")
    assert expired.status_code == 200, expired.text
    assert state_of(ulb.absolute_url())["review_state"] == "expired"


@pytest.mark.parametrize("user", ["leader", "validator", "operator"])
def test_only_stereo_management_decides_on_groups(kuleuven, user):
    kuleuven.approval_end = NEXT_YEAR
    transaction.commit()
    url = kuleuven.absolute_url()
    response = transition(user, url, "approve")
    assert response.status_code in (400, 401), response.text
    assert state_of(url)["review_state"] == "pending"
