"""HTTP clients of the API tests: basic credentials, a token, or a browser cookie."""

from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from tests.content import world

import requests


def session(user: str | None = None) -> requests.Session:
    """A JSON client with basic credentials (anonymous without a user)."""
    http = requests.Session()
    http.headers["Accept"] = "application/json"
    if user is not None:
        http.auth = (user, world.PASSWORD)
    return http


def login(portal_url: str, user: str) -> requests.Response:
    """``POST @login`` as a script does it."""
    return requests.post(
        f"{portal_url}/@login",
        json={"login": user, "password": world.PASSWORD},
        headers={"Accept": "application/json"},
        timeout=30,
    )


def token_session(token: str) -> requests.Session:
    """A client that authenticates with ``Authorization: Bearer``."""
    http = requests.Session()
    http.headers["Accept"] = "application/json"
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def browser_session(portal_url: str, user: str) -> requests.Session:
    """A browser's session: logged in through the login form, then the cookie only."""
    http = requests.Session()
    form = http.get(f"{portal_url}/login", timeout=30)
    assert form.status_code == 200, form.text
    logged_in = http.post(
        f"{portal_url}/login",
        data={
            "__ac_name": user,
            "__ac_password": world.PASSWORD,
            "buttons.login": "Log in",
            "came_from": portal_url,
        },
        timeout=30,
        allow_redirects=False,
    )
    assert logged_in.status_code in (200, 302), logged_in.text
    assert "__ac" in http.cookies, "the login form set no __ac cookie"
    return http


def manager() -> requests.Session:
    """The Zope manager, who sees everything: to look without being refused."""
    http = session()
    http.auth = (SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
    return http


def state_of(url: str) -> dict:
    """The content at url as the manager sees it, to compare before and after."""
    body = manager().get(url, timeout=30).json()
    for volatile in ("@components", "next_item", "previous_item", "lock"):
        body.pop(volatile, None)
    return body
