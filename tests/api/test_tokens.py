"""Token authentication: ``@login``, a script downloading with Bearer, ``@logout``."""

from belspo.pleiades.rest.tokens import drop_expired_tokens
from belspo.pleiades.rest.tokens import token_plugin
from plone import api
from Products.PlonePAS.events import UserLoggedInEvent
from Products.PluggableAuthService.interfaces.plugins import IAuthenticationPlugin
from Products.PluggableAuthService.interfaces.plugins import IExtractionPlugin
from tests.api.client import login
from tests.api.client import session
from tests.api.client import token_session
from tests.content import world

import jwt
import pytest
import time
import transaction


@pytest.fixture
def product_url(functional_portal) -> str:
    url = world.build(functional_portal)["product"].absolute_url()
    transaction.commit()
    return url


@pytest.fixture
def portal_url(functional_portal, product_url) -> str:
    return functional_portal.absolute_url()


def token_for(portal_url: str, user: str) -> str:
    response = login(portal_url, user)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def download(http, product_url: str):
    """What a script does: read the product, then fetch the package it links."""
    product = http.get(product_url, timeout=30)
    assert product.status_code == 200, product.text
    link = product.json().get("package", {}).get("download")
    return http.get(link or f"{product_url}/@@download/package", timeout=30)


def test_login_returns_a_token_for_the_user(portal_url):
    token = token_for(portal_url, "owner")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "owner"
    assert claims["exp"] > time.time()


def test_wrong_credentials_get_no_token(portal_url):
    response = session().post(
        f"{portal_url}/@login",
        json={"login": "owner", "password": "guessed"},
        timeout=30,
    )
    assert response.status_code == 401
    assert "token" not in response.json()


def test_a_member_of_an_approved_group_downloads_with_the_token(
    portal_url, product_url
):
    http = token_session(token_for(portal_url, "owner"))
    response = download(http, product_url)
    assert response.status_code == 200, response.text
    assert response.content == b"archived package"


@pytest.mark.parametrize("user", ["member", "outsider"])
def test_a_member_without_an_approved_group_is_refused(portal_url, product_url, user):
    http = token_session(token_for(portal_url, user))
    assert "package" not in http.get(product_url, timeout=30).json()
    response = http.get(f"{product_url}/@@download/package", timeout=30)
    assert response.status_code in (401, 403), response.status_code
    assert b"archived package" not in response.content


def test_a_forged_token_is_not_accepted(portal_url, product_url):
    forged = jwt.encode({"sub": "owner"}, "not the secret " * 4, algorithm="HS256")
    response = token_session(forged).get(
        f"{product_url}/@@download/package", timeout=30
    )
    assert response.status_code in (401, 403)


def test_logout_ends_the_token(portal_url, product_url):
    other = token_for(portal_url, "owner")  # e.g. another script's session
    time.sleep(1.1)  # a token is its user and expiry: one per user and second
    token = token_for(portal_url, "owner")
    http = token_session(token)
    assert download(http, product_url).status_code == 200
    logged_out = http.post(f"{portal_url}/@logout", timeout=30)
    assert logged_out.status_code == 204, logged_out.text
    response = http.get(f"{product_url}/@@download/package", timeout=30)
    assert response.status_code in (401, 403)
    assert b"archived package" not in response.content
    assert http.get(f"{portal_url}/@users/owner", timeout=30).status_code == 401
    assert download(token_session(other), product_url).status_code == 200


def test_the_site_keeps_tokens_for_logout(portal):
    plugin = token_plugin(portal)
    assert plugin is not None
    assert plugin.store_tokens
    registry = portal.acl_users.plugins
    assert "jwt_auth" in registry.listPluginIds(IAuthenticationPlugin)
    assert "jwt_auth" in registry.listPluginIds(IExtractionPlugin)


def test_a_login_drops_the_users_expired_tokens(portal):
    plugin = token_plugin(portal)
    api.user.create(username="scripted", email="s@example.org", password="x" * 12)
    stale = plugin.create_token("scripted")
    plugin._tokens["scripted"][stale] = int(time.time()) - plugin.token_timeout - 1
    fresh = plugin.create_token("scripted", data={"n": 2})
    drop_expired_tokens(UserLoggedInEvent(api.user.get(username="scripted")))
    assert list(plugin._tokens["scripted"]) == [fresh]
