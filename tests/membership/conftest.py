"""The world on the functional layer's server, mailing to a real SMTP listener."""

from dataclasses import dataclass
from lxml import html
from tests.browser.conftest import chromium  # noqa: F401 (fixtures)
from tests.browser.conftest import page  # noqa: F401
from tests.browser.conftest import screenshots  # noqa: F401
from tests.browser.conftest import shoot  # noqa: F401
from tests.content import world
from tests.notifications.conftest import smtp_server  # noqa: F401 (a fixture)
from tests.notifications.test_mail import configure_mail

import pytest
import requests
import transaction


@dataclass
class Community:
    """The portal, its product and the inbox of every address of its users."""

    portal: object
    product: object
    inbox: object

    @property
    def url(self) -> str:
        return self.portal.absolute_url()

    @property
    def download_url(self) -> str:
        return f"{self.product.absolute_url()}/@@download/package"


@pytest.fixture
def community(functional_portal, smtp_server) -> Community:  # noqa: F811
    """Users, the approved group ULB, the pending group KU Leuven, a published
    product; the MailHost sends to ``smtp_server``; committed."""
    content = world.build(functional_portal)
    configure_mail(smtp_server.port)
    transaction.commit()
    smtp_server.clear()
    return Community(functional_portal, content["product"], smtp_server)


def session(
    user: str = "anonymous", password: str = world.PASSWORD
) -> requests.Session:
    http = requests.Session()
    if user != "anonymous":
        http.auth = (user, password)
    return http


def tree(response: requests.Response):
    return html.fromstring(response.text)


def token(http: requests.Session, url: str) -> str:
    """plone.protect's authenticator of the form at ``url``, for this user."""
    response = http.get(url, timeout=60)
    assert response.status_code == 200, response.status_code
    (value,) = {
        field.get("value")
        for field in tree(response).cssselect("input[name=_authenticator]")
    }
    return value


def refused(response: requests.Response) -> bool:
    """Plone's answer to Unauthorized: 401/403, or the login page for members."""
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and "require_login" in location
