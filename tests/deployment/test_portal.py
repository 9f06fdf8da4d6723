"""`make run` on the embedded default: RelStorage on SQLite, in a real process."""

from .conftest import Portal

import pytest
import re
import requests
import signal
import socket
import stat


pytestmark = pytest.mark.slow


def create_document(portal: Portal, doc_id: str) -> None:
    response = portal.session().post(
        portal.url,
        json={"@type": "Document", "id": doc_id, "title": "Kept across restarts"},
        timeout=30,
    )
    assert response.status_code == 201, response.text


class TestEmbeddedPortal:
    """One portal started, used, stopped and started again."""

    @pytest.fixture(autouse=True)
    def _setup(self, make_portal):
        self.portal = make_portal("development")
        self.portal.start()

    def test_classic_ui_and_rest_api(self):
        response = requests.get(self.portal.url, timeout=30)
        assert response.status_code == 200
        page = response.text
        assert "<title>Pleiades National Data Portal</title>" in page
        assert "pleiades-colophon" in page
        data = self.portal.session().get(self.portal.url, timeout=30).json()
        assert data["@id"] == self.portal.url
        assert data["title"] == "Pleiades National Data Portal"

    def test_demo_content_loaded(self):
        response = self.portal.session().get(f"{self.portal.url}/about", timeout=30)
        assert response.json()["review_state"] == "published"

    def test_demo_products_in_the_catalogue(self):
        response = requests.get(
            f"{self.portal.url}/@search?portal_type=Product&review_state=published",
            headers={"Accept": "application/json"},
            timeout=30,
        )
        assert response.json()["items_total"] >= 30

    def test_generated_admin_password(self):
        path = self.portal.instance / "admin-password"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert self.portal.password not in ("admin", "")
        assert len(self.portal.password) >= 16
        output = self.portal.read_output()
        assert f"login:   admin / {self.portal.password}" in output
        assert f"http://127.0.0.1:{self.portal.port}/Plone" in output
        users = self.portal.session().get(f"{self.portal.url}/@users", timeout=30)
        assert users.status_code == 200
        wrong = self.portal.session()
        wrong.auth = ("admin", "admin")
        assert wrong.get(f"{self.portal.url}/@users", timeout=30).status_code == 401

    def test_stop_and_start_keeps_the_data(self):
        create_document(self.portal, "persisted")
        assert self.portal.stop() == 0
        assert "data kept" in self.portal.read_output()
        password = self.portal.password
        self.portal.start()
        assert self.portal.password == password
        assert "reused site 'Plone'" in self.portal.read_output()
        response = self.portal.session().get(f"{self.portal.url}/persisted", timeout=30)
        assert response.status_code == 200
        assert response.json()["title"] == "Kept across restarts"
        assert self.portal.stop(signal.SIGTERM) == 0

    def test_second_portal_on_a_taken_port_says_how_to_fix_it(self, make_portal):
        other = make_portal("development")
        other.port = self.portal.port
        result = other.run()
        assert result.returncode == 2
        assert f"port {other.port} on 127.0.0.1 is already in use" in result.stderr
        assert "make run PORT=" in result.stderr
        assert "Traceback" not in result.stderr


def test_unknown_profile(make_portal):
    result = make_portal("staging").run()
    assert result.returncode == 2
    assert re.search(r"no deployment profile 'staging'.*known profiles", result.stderr)


def test_port_taken_by_another_program(make_portal):
    portal = make_portal("development")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", portal.port))
        squatter.listen()
        result = portal.run()
    assert result.returncode == 2
    assert "already in use" in result.stderr
