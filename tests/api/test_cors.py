"""CORS: the API answers the origins of ``PLEIADES_CORS_ORIGINS``, and only them."""

from belspo.pleiades.rest import cors
from belspo.pleiades.rest.cors import ConfiguredCORSPolicy
from belspo.pleiades.rest.cors import origins_from_environment
from belspo.pleiades.rest.cors import parse_origins
from tests.api.client import browser_session
from tests.api.client import session
from tests.api.client import state_of
from tests.content import world

import os
import pytest
import subprocess
import sys
import transaction


MAPS = "https://maps.example.be"
OTHER = "https://other.example.be"


@pytest.fixture
def product_url(functional_portal) -> str:
    url = world.build(functional_portal)["product"].absolute_url()
    transaction.commit()
    return url


@pytest.fixture
def configured(monkeypatch):
    """The portal as started with PLEIADES_CORS_ORIGINS set."""
    monkeypatch.setenv(cors.ENVIRONMENT_VARIABLE, f"{MAPS}, http://localhost:3000")
    monkeypatch.setattr(
        ConfiguredCORSPolicy, "allow_origin", origins_from_environment()
    )


def access_control(response) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


def preflight(url: str, origin: str, method="PATCH", headers="content-type"):
    return session().options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
        timeout=30,
    )


def test_no_origin_is_answered_by_default(product_url):
    assert ConfiguredCORSPolicy.allow_origin == []
    response = session("owner").get(product_url, headers={"Origin": MAPS})
    assert response.status_code == 200
    assert access_control(response) == {}
    assert access_control(preflight(product_url, MAPS)) == {}


def test_an_allowed_origin_is_answered_for_itself_with_credentials(
    product_url, configured
):
    response = session("owner").get(product_url, headers={"Origin": MAPS})
    assert response.status_code == 200
    assert access_control(response)["access-control-allow-origin"] == MAPS
    assert access_control(response)["access-control-allow-credentials"] == "true"
    assert "Origin" in response.headers["Vary"]


def test_another_origin_gets_no_allow_header(product_url, configured):
    response = session("owner").get(product_url, headers={"Origin": OTHER})
    assert response.status_code == 200
    assert access_control(response) == {}
    assert "Origin" in response.headers["Vary"]  # no cache gives it MAPS's answer


def test_a_preflight_from_an_allowed_origin_is_allowed(product_url, configured):
    response = preflight(product_url, MAPS, "PATCH", "authorization, content-type")
    assert response.status_code == 200
    headers = access_control(response)
    assert headers["access-control-allow-origin"] == MAPS
    assert headers["access-control-allow-credentials"] == "true"
    assert headers["access-control-allow-methods"] == "PATCH"
    assert "Content-Type" in headers["access-control-allow-headers"]
    assert "Authorization" in headers["access-control-allow-headers"]


@pytest.mark.parametrize(
    "origin, headers",
    [
        (OTHER, "content-type"),
        ("https://maps.example.be.evil.example", "content-type"),
        ("null", "content-type"),
        (MAPS, "x-forwarded-user"),
    ],
)
def test_a_preflight_from_elsewhere_gets_no_allow_headers(
    product_url, configured, origin, headers
):
    assert access_control(preflight(product_url, origin, "PATCH", headers)) == {}


def test_an_allowed_origin_may_write_with_the_users_cookie(product_url, configured):
    http = browser_session(product_url.rsplit("/catalogue", 1)[0], "operator")
    response = http.patch(
        product_url,
        json={"title": "From the map application"},
        headers={"Accept": "application/json", "Origin": MAPS},
        timeout=30,
    )
    assert response.status_code == 204, response.text
    assert state_of(product_url)["title"] == "From the map application"


@pytest.mark.parametrize(
    "text, origins",
    [
        ("", []),
        ("  ", []),
        (MAPS, [MAPS]),
        (f"{MAPS},{OTHER}", [MAPS, OTHER]),
        (f" {MAPS}  {OTHER} ,{MAPS}", [MAPS, OTHER]),
        ("HTTPS://Maps.Example.BE", [MAPS]),
        (
            "http://localhost:3000 http://[::1]:8080",
            [
                "http://localhost:3000",
                "http://[::1]:8080",
            ],
        ),
    ],
)
def test_origins_are_read_from_a_list(text, origins):
    assert parse_origins(text) == origins


@pytest.mark.parametrize(
    "text", ["*", f"{MAPS}/", f"{MAPS}/app", "maps.example.be", "ftp://maps.example.be"]
)
def test_what_is_not_an_origin_is_refused_with_the_reason(text):
    with pytest.raises(ValueError, match="PLEIADES_CORS_ORIGINS: .* is not an origin"):
        parse_origins(text)


def test_a_bad_setting_stops_the_portal_from_starting():
    environment = {**os.environ, cors.ENVIRONMENT_VARIABLE: "*"}
    started = subprocess.run(
        [sys.executable, "-c", "import belspo.pleiades.rest.cors"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "PLEIADES_CORS_ORIGINS: '*' is not an origin" in started.stderr
