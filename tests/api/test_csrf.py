"""Writes another site could make a logged-in browser send change nothing.

Each attack uses a browser's session (logged in through the login form, the
``__ac`` cookie only) and sends what a page on another origin can make the
browser send without a CORS preflight: an HTML form (urlencoded, multipart,
``text/plain``), or a script's ``fetch`` with safelisted headers only. The
controls at the end show the same cookie does write when the request is one
only the portal's own pages can send, so the refusals are not a lost cookie.
"""

from datetime import date
from datetime import timedelta
from tests.api.client import browser_session
from tests.api.client import login
from tests.api.client import manager
from tests.api.client import state_of
from tests.content import world
from urllib.parse import urlsplit

import json
import pytest
import transaction


EVIL = "https://evil.example"
# What a browser sends with a form it submits.
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def site(functional_portal) -> dict[str, str]:
    content = world.build(functional_portal)
    transaction.commit()
    return {
        "portal": functional_portal.absolute_url(),
        "requests": functional_portal.requests.absolute_url(),
        "request": content["request"].absolute_url(),
        "product": content["product"].absolute_url(),
    }


def request_fields() -> dict:
    return {
        "@type": "AcquisitionRequest",
        "title": "Forged",
        "kind": "programming",
        "user_group": "ulb",
        "purpose": "Forged",
        "window_start": (date.today() + timedelta(days=5)).isoformat(),
        "window_end": (date.today() + timedelta(days=40)).isoformat(),
        "footprint": world.SQUARE,
    }


def text_plain_form_body() -> str:
    """What ``<form enctype="text/plain">`` sends: ``name=value``, shaped as JSON."""
    body = json.dumps(request_fields())
    return body[:-1] + ', "x": "=1"}'  # the form's "=" hidden in a JSON string


def request_ids(site) -> list[str]:
    listing = manager().get(site["requests"], timeout=30).json()
    return sorted(item["@id"].rsplit("/", 1)[-1] for item in listing["items"])


def form_fields() -> dict:
    fields = request_fields()
    fields["footprint"] = json.dumps(fields["footprint"])
    return fields


@pytest.mark.parametrize("origin", [None, EVIL], ids=["no origin", "evil origin"])
@pytest.mark.parametrize("path", ["", "/++api++"], ids=["folder", "++api++"])
@pytest.mark.parametrize(
    "encoding", ["application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_an_html_form_creates_nothing(site, path, encoding, origin):
    http = browser_session(site["portal"], "owner")
    headers = {"Accept": HTML_ACCEPT, **({"Origin": origin} if origin else {})}
    url = site["portal"] + path + "/requests"
    if encoding == "multipart/form-data":
        files = {name: (None, value) for name, value in form_fields().items()}
        response = http.post(url, files=files, headers=headers, timeout=30)
    else:
        response = http.post(url, data=form_fields(), headers=headers, timeout=30)
    assert response.status_code != 201
    assert request_ids(site) == ["r1"]


@pytest.mark.parametrize("accept", [HTML_ACCEPT, "application/json"])
@pytest.mark.parametrize("path", ["", "/++api++"], ids=["folder", "++api++"])
def test_a_text_plain_body_with_json_creates_nothing(site, path, accept):
    http = browser_session(site["portal"], "owner")
    response = http.post(
        site["portal"] + path + "/requests",
        data=text_plain_form_body(),
        headers={"Accept": accept, "Content-Type": "text/plain"},
        timeout=30,
    )
    assert response.status_code != 201
    assert request_ids(site) == ["r1"]


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", "title=Forged"),
        ("text/plain", json.dumps({"title": "Forged"})),
    ],
    ids=["urlencoded", "text/plain"],
)
@pytest.mark.parametrize("path", ["", "/++api++"], ids=["item", "++api++"])
def test_patch_through_method_override_changes_nothing(site, path, content_type, body):
    http = browser_session(site["portal"], "operator")
    before = state_of(site["product"])
    response = http.post(
        site["product"] + path,
        data=body,
        headers={
            "Accept": "application/json",
            "Content-Type": content_type,
            "X-HTTP-Method-Override": "PATCH",
        },
        timeout=30,
    )
    assert response.status_code not in (200, 204)
    assert state_of(site["product"]) == before


@pytest.mark.parametrize(
    "user, item, name, state",
    [
        ("owner", "request", "submit", "draft"),
        ("operator", "product", "withdraw", "published"),
    ],
)
@pytest.mark.parametrize(
    "headers, data",
    [
        ({"Accept": HTML_ACCEPT}, {"comment": "Forged"}),
        ({"Accept": "application/json"}, None),  # fetch() without a body
        ({"Accept": "application/json"}, {"comment": "Forged"}),
        (
            {"Accept": "application/json", "Content-Type": "text/plain"},
            json.dumps({"comment": "Forged"}),
        ),
    ],
    ids=["html form", "no body", "urlencoded", "text/plain"],
)
def test_a_forged_transition_changes_nothing(
    site, user, item, name, state, headers, data
):
    http = browser_session(site["portal"], user)
    for path in ("", "/++api++"):
        response = http.post(
            f"{site[item]}{path}/@workflow/{name}",
            data=data,
            headers=headers,
            timeout=30,
        )
        assert response.status_code != 200
        assert state_of(site[item])["review_state"] == state


def test_a_write_from_a_foreign_origin_is_refused(site):
    http = browser_session(site["portal"], "operator")
    before = state_of(site["product"])
    response = http.patch(
        site["product"],
        json={"title": "Forged"},
        headers={"Accept": "application/json", "Origin": EVIL},
        timeout=30,
    )
    assert response.status_code == 403, response.text
    assert "https://evil.example" in response.json()["message"]
    assert state_of(site["product"]) == before


def test_a_referer_from_a_foreign_origin_is_refused(site):
    http = browser_session(site["portal"], "operator")
    before = state_of(site["product"])
    response = http.patch(
        site["product"],
        json={"title": "Forged"},
        headers={"Accept": "application/json", "Referer": f"{EVIL}/page.html"},
        timeout=30,
    )
    assert response.status_code == 403, response.text
    assert state_of(site["product"]) == before


def test_a_token_used_from_a_foreign_origin_is_refused(site):
    token = login(site["portal"], "owner").json()["token"]
    response = manager().post(
        f"{site['request']}/@workflow/submit",
        headers={"Authorization": f"Bearer {token}", "Origin": EVIL},
        timeout=30,
    )
    assert response.status_code == 403, response.text
    assert state_of(site["request"])["review_state"] == "draft"


@pytest.mark.parametrize("method", ["PATCH", "POST", "DELETE"])
def test_a_preflight_from_a_foreign_origin_is_not_allowed(site, method):
    response = manager().options(
        site["product"],
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    allowed = {h for h in response.headers if h.lower().startswith("access-control-")}
    assert allowed == set()


# Controls: the same cookie writes when only the portal's own pages could send it.


def own_origin(site) -> str:
    parts = urlsplit(site["portal"])
    return f"{parts.scheme}://{parts.netloc}"


def test_the_cookie_writes_json_from_the_portals_own_pages(site):
    http = browser_session(site["portal"], "operator")
    response = http.patch(
        site["product"],
        json={"title": "Renamed"},
        headers={"Accept": "application/json", "Origin": own_origin(site)},
        timeout=30,
    )
    assert response.status_code == 204, response.text
    assert state_of(site["product"])["title"] == "Renamed"


def test_the_cookie_of_the_login_service_writes_json(site):
    http = manager()
    http.auth = None
    logged_in = http.post(
        f"{site['portal']}/@login",
        json={"login": "owner", "password": world.PASSWORD},
        timeout=30,
    )
    assert logged_in.status_code == 200, logged_in.text
    assert "__ac" in http.cookies
    response = http.post(f"{site['request']}/@workflow/submit", json={}, timeout=30)
    assert response.status_code == 200, response.text
    assert state_of(site["request"])["review_state"] == "submitted"


def test_scripts_with_credentials_need_no_json(site):
    token = login(site["portal"], "owner").json()["token"]
    http = manager()
    http.auth = None
    http.headers["Authorization"] = f"Bearer {token}"
    response = http.post(f"{site['request']}/@workflow/submit", timeout=30)
    assert response.status_code == 200, response.text
    assert state_of(site["request"])["review_state"] == "submitted"
