"""Deliveries into the archive: one delivery, one transaction, once."""

from belspo.pleiades.ingest.pipeline import Ingester
from belspo.pleiades.ingest.synthetic import random_spec
from belspo.pleiades.ingest.synthetic import write_delivery
from plone import api
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID
from tests.content import world

import hashlib
import json
import pytest
import random
import transaction
import zipfile


def products(portal) -> list:
    catalog = api.portal.get_tool("portal_catalog")
    return [
        b._unrestrictedGetObject()
        for b in catalog.unrestrictedSearchResults(portal_type="Product")
    ]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class TestIngest:
    @pytest.fixture(autouse=True)
    def _setup(self, functional_portal, tmp_path):
        setRoles(functional_portal, TEST_USER_ID, ["Manager"])
        transaction.commit()
        self.portal = functional_portal
        self.inbox = tmp_path / "inbox"
        self.inbox.mkdir()
        self.quarantine = tmp_path / "quarantine"
        self.ingester = Ingester(functional_portal, self.quarantine)

    def test_folder_delivery_becomes_products(self):
        delivery = write_delivery(self.inbox, count=2, seed=1)
        outcome = self.ingester.ingest(delivery.path)
        assert outcome.status == "ingested", outcome.message
        assert len(outcome.products) == 2
        assert not delivery.path.exists()  # moved into the archive
        by_name = {p.dataset_name: p for p in products(self.portal)}
        for spec in delivery.specs:
            product = by_name[spec.dataset_name]
            assert product.mission == spec.mission
            assert product.cloud_cover == pytest.approx(spec.cloud_cover)
            assert product.incidence_angle == pytest.approx(spec.incidence_angle)
            assert product.footprint["type"] == "Polygon"
            assert api.content.get_state(obj=product) == "ingested"
            with product.package.open() as package:
                assert hashlib.sha256(package.read()).hexdigest() == (
                    product.package_sha256
                )
            paths = {entry["path"] for entry in product.manifest}
            assert any(path.endswith(".XML") for path in paths)
            assert product.quicklook.getImageSize()[0] > 0
            assert product.thumbnail.getImageSize()[0] <= 256

    def test_zip_delivery_is_its_own_package(self):
        delivery = write_delivery(self.inbox, count=1, seed=2, as_zip=True)
        expected = sha256(delivery.path)
        with zipfile.ZipFile(delivery.path) as archive:
            members = {
                info.filename: hashlib.sha256(archive.read(info)).hexdigest()
                for info in archive.infolist()
                if not info.is_dir()
            }
        outcome = self.ingester.ingest(delivery.path)
        assert outcome.status == "ingested", outcome.message
        (product,) = products(self.portal)
        assert product.package_sha256 == expected
        assert {e["path"]: e["sha256"] for e in product.manifest} == members

    def test_previews_made_from_the_image_when_missing(self):
        delivery = write_delivery(self.inbox, count=1, seed=3, with_preview=False)
        outcome = self.ingester.ingest(delivery.path)
        assert outcome.status == "ingested", outcome.message
        (product,) = products(self.portal)
        assert product.quicklook.getImageSize()[0] > 0

    def test_same_delivery_twice_creates_nothing_new(self):
        delivery = write_delivery(self.inbox, count=2, seed=4, as_zip=True)
        self.ingester.remove_delivered = False
        assert self.ingester.ingest(delivery.path).status == "ingested"
        again = self.ingester.ingest(delivery.path)
        assert again.status == "unchanged"
        assert len(products(self.portal)) == 2

    def test_linked_to_its_request_which_is_acquired(self):
        world.create_users()
        world.user_group(self.portal)
        api.group.add_user(groupname="usergroup-ulb", username="owner")
        request = world.request(self.portal, "req-2026-001")
        request.distributor_reference = "SO26-000123"
        request.reindexObject()
        world.set_state(request, "programmed")
        transaction.commit()
        spec = random_spec(random.Random(5), customer_reference="req-2026-001")
        delivery = write_delivery(self.inbox, [spec])
        outcome = self.ingester.ingest(delivery.path)
        assert outcome.status == "ingested", outcome.message
        (product,) = products(self.portal)
        assert product.request.to_object == request
        assert api.content.get_state(obj=request) == "acquired"
        assert not product.ingest_warnings

    def test_unknown_request_is_flagged_not_lost(self):
        spec = random_spec(random.Random(6), customer_reference="nobody-knows")
        delivery = write_delivery(self.inbox, [spec])
        outcome = self.ingester.ingest(delivery.path)
        assert outcome.status == "ingested"
        assert "nobody-knows" in outcome.warnings[0]
        catalog = api.portal.get_tool("portal_catalog")
        assert len(catalog.unrestrictedSearchResults(needs_attention=True)) == 1


def test_quarantine_report_is_json(functional_portal, tmp_path):
    setRoles(functional_portal, TEST_USER_ID, ["Manager"])
    bad = tmp_path / "DELIVERY_empty"
    bad.mkdir()
    (bad / "README.txt").write_text("nothing here")
    ingester = Ingester(functional_portal, tmp_path / "quarantine")
    outcome = ingester.ingest(bad)
    assert outcome.status == "quarantined"
    assert "no DIMAP product document" in outcome.message
    (report,) = (tmp_path / "quarantine").glob("*.report.json")
    assert json.loads(report.read_text())["error"] == outcome.message
    assert not bad.exists()
    assert products(functional_portal) == []
