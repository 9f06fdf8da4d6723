"""The permission matrix over HTTP (plone.restapi and the download view)."""

from tests.content import matrix
from tests.content import world

import pytest
import requests
import transaction


def session_for(user: str) -> requests.Session:
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    if user != "anonymous":
        session.auth = (user, world.PASSWORD)
    return session


def allowed_actions(url: str, portal_type: str, user: str) -> dict[str, bool]:
    """What this user may do on the content at url, asked over HTTP."""
    http = session_for(user)
    can = {"view": http.get(url, timeout=30).status_code == 200}
    can["edit"] = (
        http.patch(url, json={"title": f"Edited by {user}"}, timeout=30).status_code
        == 204
    )
    workflow = http.get(f"{url}/@workflow", timeout=30)
    available = (
        {t["@id"].rsplit("/", 1)[-1] for t in workflow.json()["transitions"]}
        if workflow.status_code == 200
        else set()
    )
    for transition in matrix.TRANSITIONS[portal_type]:
        can[transition] = transition in available
    if portal_type == "Product":
        download = http.get(
            f"{url}/@@download/package", timeout=30, allow_redirects=False
        )
        can["download"] = download.status_code == 200
        if can["download"]:
            assert download.content == b"archived package"
    if portal_type == "UserGroup":
        members = http.get(f"{url}/@@members", timeout=30, allow_redirects=False)
        can["membership"] = members.status_code == 200
    return can


STATES = [(t, s) for t, states in matrix.MATRIX.items() for s in states]


@pytest.mark.parametrize("portal_type,state", STATES)
def test_matrix_over_http(functional_portal, portal_type, state):
    obj = world.build_in_state(functional_portal, portal_type, state)
    url = obj.absolute_url()
    transaction.commit()
    found = {user: allowed_actions(url, portal_type, user) for user in world.USERS}
    wanted = {user: matrix.expected(portal_type, state, user) for user in world.USERS}
    assert found == wanted
