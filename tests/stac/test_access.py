"""The web's access rules: what a user may not view, the API does not show."""

from plone import api
from tests.content import world
from tests.stac import conftest
from tests.stac.conftest import get

import pytest
import transaction


@pytest.fixture
def stac(functional_portal):
    world.build(functional_portal)
    conftest.create_product(functional_portal, conftest.spec(0))
    conftest.create_product(functional_portal, conftest.spec(1), publish=False)
    withdrawn = conftest.create_product(functional_portal, conftest.spec(2))
    with api.env.adopt_user(username="operator"):
        api.content.transition(obj=withdrawn, transition="withdraw", comment="Bad")
    transaction.commit()
    return f"{functional_portal.absolute_url()}/@stac"


def found(stac, auth=None) -> set[str]:
    response = get(f"{stac}/search", params={"limit": 100}, auth=auth)
    return {feature["id"] for feature in response.json()["features"]}


def test_a_visitor_sees_published_products_only(stac):
    assert found(stac) == {"p1", "prod-000"}
    assert get(f"{stac}/collections/pleiades/items/prod-000").status_code == 200
    hidden = get(f"{stac}/collections/pleiades/items/prod-001")
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "NotFound"


def test_a_member_of_a_group_sees_the_same(stac):
    assert found(stac, ("owner", world.PASSWORD)) == {"p1", "prod-000"}


def test_an_operator_sees_ingested_and_withdrawn_products(stac):
    auth = ("operator", world.PASSWORD)
    assert found(stac, auth) == {"p1", "prod-000", "prod-001", "prod-002"}
    item = get(f"{stac}/collections/pleiades/items/prod-001", auth=auth)
    assert item.status_code == 200


def test_extents_cover_what_the_user_sees(stac):
    spans = {
        c["id"]: c["extent"]["temporal"]["interval"][0]
        for c in get(f"{stac}/collections").json()["collections"]
    }
    # prod-000 (2024-01-01) and p1 (2024-05-17) only; prod-001 is unpublished.
    assert spans["pleiades"] == ["2024-01-01T10:00:00Z", "2024-05-17T10:31:00Z"]
    assert spans["pleiades-neo"] == [None, None]  # prod-002 is withdrawn
