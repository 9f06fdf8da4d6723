"""The three types: fields, folders, catalog data, footprints and bad input."""

from belspo.pleiades.geo.interfaces import IGeoreferenced
from DateTime import DateTime
from plone import api
from plone.app.testing import logout
from plone.dexterity.interfaces import IDexterityFTI
from tests.content import world
from zope.component import getUtility

import pytest
import requests
import transaction


ANTIMERIDIAN = {
    "type": "Polygon",
    "coordinates": [
        [
            [179.5, -17.0],
            [-179.5, -17.0],
            [-179.5, -16.0],
            [179.5, -16.0],
            [179.5, -17.0],
        ]
    ],
}


class TestModel:
    @pytest.fixture(autouse=True)
    def _setup(self, portal):
        self.portal = portal
        content = world.build(portal)
        self.product = content["product"]
        self.request = content["request"]

    @pytest.mark.parametrize(
        "type_id,permission",
        [
            ("Product", "belspo.pleiades.AddProduct"),
            ("AcquisitionRequest", "belspo.pleiades.AddAcquisitionRequest"),
            ("UserGroup", "belspo.pleiades.AddUserGroup"),
        ],
    )
    def test_each_type_has_its_add_permission(self, type_id, permission):
        assert getUtility(IDexterityFTI, name=type_id).add_permission == permission

    @pytest.mark.parametrize(
        "folder_id,type_id",
        [
            ("catalogue", "Product"),
            ("requests", "AcquisitionRequest"),
            ("groups", "UserGroup"),
        ],
    )
    def test_folders_hold_their_type_unordered(self, folder_id, type_id):
        folder = self.portal[folder_id]
        assert folder.getOrdering().__class__.__name__ == "UnorderedOrdering"
        assert [t.getId() for t in folder.allowedContentTypes()] == [type_id]

    def test_footprint_is_georeferenced(self):
        geo = IGeoreferenced(self.product)
        assert geo.type == "Polygon"
        assert geo.crs == "EPSG:4326"
        assert geo.coordinates[0][0] == [4.0, 50.0]
        assert geo.__geo_interface__ == {
            "type": "Polygon",
            "coordinates": geo.coordinates,
        }

    def test_footprint_crossing_the_antimeridian_is_split(self):
        self.product.footprint = None
        from belspo.pleiades.geo.behavior import IFootprint

        IFootprint(self.product).footprint = ANTIMERIDIAN
        assert IGeoreferenced(self.product).type == "MultiPolygon"

    def test_brains_carry_what_maps_and_listings_need(self):
        (brain,) = api.content.find(portal_type="Product")
        assert brain.footprint["type"] == "Polygon"
        assert brain.cloud_cover == 12.3
        assert brain.mission == "PHR1A"
        assert brain.acquisition_date.year() == 2024
        assert brain.processing_level == "ORTHO"

    def test_spatial_query_combines_with_the_other_indexes(self):
        world.product(self.portal, "p2")  # same square, same date
        far = world.product(self.portal, "p3")
        far.footprint = {
            "type": "Polygon",
            "coordinates": [[[20, 60], [21, 60], [21, 61], [20, 61], [20, 60]]],
        }
        far.reindexObject()
        self.portal.catalogue.p2.cloud_cover = 55.0
        self.portal.catalogue.p2.reindexObject()
        catalog = api.portal.get_tool("portal_catalog")
        ids = {
            b.getId
            for b in catalog(
                footprint=(4.5, 50.5, 6.0, 52.0),
                cloud_cover={"query": 20, "range": "max"},
                acquisition_date={
                    "query": [DateTime("2024-05-01"), DateTime("2024-06-01")],
                    "range": "min:max",
                },
                mission="PHR1A",
            )
        }
        assert ids == {"p1"}

    def test_visitors_find_only_what_they_may_see(self):
        world.product(self.portal, "hidden", publish=False)
        logout()
        found = api.portal.get_tool("portal_catalog")(footprint=(3, 49, 6, 52))
        assert {b.getId for b in found} == {"p1"}


class TestBadInputOverREST:
    """Invalid input is refused with a message; nothing is stored."""

    @pytest.fixture(autouse=True)
    def _setup(self, functional_portal):
        world.build(functional_portal)
        transaction.commit()
        self.portal = functional_portal
        self.url = f"{functional_portal.absolute_url()}/requests"

    def post(self, **data):
        body = {
            "@type": "AcquisitionRequest",
            "title": "Bad",
            "kind": "programming",
            "user_group": "ulb",
            "purpose": "Test",
            "window_start": "2099-01-01",
            "window_end": "2099-02-01",
            "footprint": world.SQUARE,
            **data,
        }
        return requests.post(
            self.url,
            json={k: v for k, v in body.items() if v is not None},
            headers={"Accept": "application/json"},
            auth=("owner", world.PASSWORD),
            timeout=30,
        )

    def stored(self) -> list[str]:
        response = requests.get(
            f"{self.url}/@search?portal_type=AcquisitionRequest",
            headers={"Accept": "application/json"},
            auth=("siteadmin", world.PASSWORD),
            timeout=30,
        )
        return [item["title"] for item in response.json()["items"]]

    def test_a_valid_request_is_stored(self):
        assert self.post(title="Good").status_code == 201
        assert "Good" in self.stored()

    @pytest.mark.parametrize(
        "footprint,message",
        [
            ({"type": "Point", "coordinates": [4, 50]}, "Polygon"),
            (
                {
                    "type": "Polygon",
                    "coordinates": [[[4, 50], [5, 50], [5, 51], [4, 51]]],
                },
                "closed",
            ),
            (
                {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]],
                },
                "Self-intersection",
            ),
            (
                {
                    "type": "Polygon",
                    "coordinates": [[[4, 50], [5, 50], [5, 95], [4, 50]]],
                },
                "latitude",
            ),
            ("not json at all", "not valid JSON"),
        ],
    )
    def test_invalid_footprints(self, footprint, message):
        response = self.post(footprint=footprint)
        assert response.status_code == 400
        assert message.lower() in response.text.lower()
        assert "Bad" not in self.stored()

    @pytest.mark.parametrize("missing", ["purpose", "user_group"])
    def test_missing_required_fields(self, missing):
        response = self.post(**{missing: None})
        assert response.status_code == 400
        assert missing in response.text
        assert "Bad" not in self.stored()

    def test_members_request_only_for_their_own_groups(self):
        world.user_group(self.portal, "vito", "VITO", leaders=())
        transaction.commit()
        response = self.post(user_group="vito")
        assert response.status_code == 400
        assert "user_group" in response.text
        assert "Bad" not in self.stored()

    def test_window_backwards(self):
        response = self.post(window_start="2099-03-01", window_end="2099-02-01")
        assert response.status_code == 400
        assert "ends before it starts" in response.text

    def test_visitor_cannot_create(self):
        response = requests.post(
            self.url,
            json={"@type": "AcquisitionRequest", "title": "Bad"},
            headers={"Accept": "application/json"},
            timeout=30,
        )
        assert response.status_code == 401
        assert "Bad" not in self.stored()
