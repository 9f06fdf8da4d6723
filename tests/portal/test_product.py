"""The product page over HTTP: what each reader is shown, and what each may do."""

from belspo.pleiades.membership import api as membership
from datetime import date
from datetime import timedelta
from plone import api
from plone.namedfile.file import NamedBlobImage
from tests.content import world
from tests.portal.conftest import expire
from tests.portal.conftest import get_page
from tests.portal.conftest import MANIFEST
from tests.portal.conftest import PACKAGE
from tests.portal.conftest import Page
from tests.portal.conftest import PRODUCTS
from tests.portal.conftest import session
from ZODB.blob import Blob
from ZODB.Connection import Connection

import hashlib
import json
import pytest
import threading
import transaction


PACKAGE_SHA256 = hashlib.sha256(PACKAGE).hexdigest()
STAFF = ["operator", "validator", "stereo", "siteadmin"]


def product_url(portal, name: str = "brussels") -> str:
    return f"{portal.catalogue[name].absolute_url()}"


def product_page(portal, user: str = "anonymous", name: str = "brussels") -> Page:
    return get_page(product_url(portal, name), user=user)


def as_a_browser(url: str, user: str = "anonymous"):
    """The answer a browser gets: HTML asked for, redirects followed."""
    return session(user).get(url, headers={"Accept": "text/html"}, timeout=60)


class TestWhoMayDownload:
    def test_a_visitor_is_asked_to_log_in(self, catalogue):
        url = product_url(catalogue)
        page = product_page(catalogue)
        assert page.one(".pleiades-access").get("data-reason") == "anonymous"
        assert "Log in to download this product" in page.text(".pleiades-access")
        login = page.one("#access-login")
        assert login.get("href") == f"{catalogue.absolute_url()}/login?came_from={url}"
        assert page.css("#download-package") == []
        assert "@@download/package" not in page.response.text
        register = page.one("#access-register")
        assert register.get("href") == f"{catalogue.absolute_url()}/@@register"
        assert "Register, then ask to join your institution's user group" in (
            page.text(".pleiades-access")
        )
        assert as_a_browser(register.get("href")).status_code == 200

    def test_where_visitors_may_not_register_the_team_gives_accounts(self, catalogue):
        api.portal.set_registry_record("plone.enable_self_reg", False)
        transaction.commit()
        page = product_page(catalogue)
        assert page.css("#access-register") == []
        (contact,) = page.tree.xpath(
            "//*[contains(@class, 'pleiades-access')]//a[contains(., 'for an account')]"
        )
        assert contact.get("href") == f"{catalogue.absolute_url()}/contact-info"

    def test_a_member_without_a_group_is_told_to_join_one(self, catalogue):
        page = product_page(catalogue, "member")
        assert page.one(".pleiades-access").get("data-reason") == "no-group"
        assert "You are not a member of a user group yet" in page.text(
            ".pleiades-access"
        )
        groups = page.one("#access-groups").get("href")
        assert groups == f"{catalogue.absolute_url()}/@@join-group"
        assert as_a_browser(groups, "member").status_code == 200
        assert page.css("#download-package") == []

    @pytest.mark.parametrize(
        "change,reason,message,shown",
        [
            (
                lambda ulb: world.set_state(ulb, "suspended"),
                "suspended",
                "Your user group is suspended",
                "ULB: suspended",
            ),
            (
                lambda ulb: world.set_state(ulb, "expired"),
                "expired",
                "The approval of your user group has ended",
                "ULB: approval expired",
            ),
            (
                lambda ulb: expire(ulb, days_ago=3),
                "expired",
                "The approval of your user group has ended",
                "ULB: approval ended on {end}",
            ),
        ],
        ids=["suspended", "expired", "end-date-passed"],
    )
    def test_a_member_of_an_inactive_group_is_told_why(
        self, catalogue, change, reason, message, shown
    ):
        ulb = catalogue.groups.ulb
        change(ulb)
        transaction.commit()
        page = product_page(catalogue, "owner")
        assert page.one(".pleiades-access").get("data-reason") == reason
        text = page.text(".pleiades-access")
        assert message in text
        assert shown.format(end=ulb.approval_end.isoformat()) in text
        (group,) = page.css(".pleiades-access-groups a")
        assert group.get("href") == ulb.absolute_url()
        assert "Contact the portal's team" in text
        assert page.css("#download-package") == []

    def test_a_member_whose_membership_ended_is_asked_to_join_again(self, catalogue):
        ulb = catalogue.groups.ulb
        ended = date.today() - timedelta(days=2)
        membership.set_membership_end(ulb, "owner", ended)
        transaction.commit()
        page = product_page(catalogue, "owner")
        assert page.one(".pleiades-access").get("data-reason") == "membership-ended"
        text = page.text(".pleiades-access")
        assert "Your membership of your user group has ended" in text
        assert f"ULB: membership ended on {ended.isoformat()}" in text
        join = page.one("#access-join").get("href")
        assert join == f"{catalogue.absolute_url()}/@@join-group"
        assert page.css("#download-package") == []

    def test_a_member_of_a_pending_group_waits_for_its_approval(self, catalogue):
        page = product_page(catalogue, "outsider")
        assert page.one(".pleiades-access").get("data-reason") == "pending"
        text = page.text(".pleiades-access")
        assert "Your user group is waiting for approval" in text
        assert "KU Leuven: waiting for approval" in text

    def test_a_member_of_an_approved_group_downloads(self, catalogue):
        url = product_url(catalogue)
        page = product_page(catalogue, "owner")
        assert page.css(".pleiades-access") == []
        button = page.one("#download-package")
        assert button.get("href") == f"{url}/@@download/package"
        assert f"({len(PACKAGE)} B)" in page.text("#download-package")
        assert page.text(".pleiades-download-file code") == "brussels.zip"
        assert f"{len(PACKAGE)} bytes" in page.text(".pleiades-download-file")
        owner = session("owner")
        package = owner.get(button.get("href"), timeout=60)
        assert package.status_code == 200 and package.content == PACKAGE
        sidecar = page.one("a.pleiades-sidecar").get("href")
        assert sidecar == f"{url}/@@download/package.sha256"
        assert (
            owner.get(sidecar, timeout=60).text == f"{PACKAGE_SHA256}  brussels.zip\n"
        )

    @pytest.mark.parametrize("user", STAFF)
    def test_staff_download(self, catalogue, user):
        page = product_page(catalogue, user)
        assert page.css(".pleiades-access") == []
        assert (
            page.one("#download-package")
            .get("href")
            .endswith("/brussels/@@download/package")
        )

    def test_without_a_package_there_is_nothing_to_download(self, catalogue):
        catalogue.catalogue.antwerp.package = None
        transaction.commit()
        for user in ("anonymous", "owner"):
            page = product_page(catalogue, user, "antwerp")
            assert "package is not in the archive" in page.text(".pleiades-no-package")
            assert page.css("#download-package") == []
            assert page.css(".pleiades-access") == []


class TestWhatIsShown:
    def test_the_metadata(self, catalogue):
        page = product_page(catalogue)
        captions = [c.text_content() for c in page.css(".pleiades-metadata caption")]
        assert captions == ["Acquisition", "Raster", "Delivery"]
        rows = {
            row.get("data-field"): " ".join(
                row.cssselect("td")[0].text_content().split()
            )
            for row in page.css(".pleiades-metadata-table tr")
        }
        assert {
            "dataset_name": "DS_BRUSSELS",
            "mission": "Pléiades 1A (PHR1A)",
            "acquisition_date": "2024-03-10 10:31:00 UTC",
            "processing_level": "Ortho (ORTHO)",
            "spectral_mode": "Pan-sharpened (PMS)",
            "cloud_cover": "5",
            "incidence_angle": "10",
            "sun_elevation": "not recorded",
            "producer": "not recorded",
        }.items() <= rows.items()
        # Shown in sections of their own, or not at all.
        hidden = {"manifest", "package", "package_sha256", "fixity_history"}
        assert hidden.isdisjoint(rows) and "ingest_warnings" not in rows
        label = page.one("tr[data-field=cloud_cover] th").text_content()
        assert label == "Cloud cover (%)"  # the unit once, in the label

    def test_the_files_with_their_sizes_and_sha256(self, catalogue):
        page = product_page(catalogue)
        rows = [
            [cell.text_content().strip() for cell in row.cssselect("td")]
            for row in page.css(".pleiades-files tbody tr")
        ]
        assert rows == [
            ["DIM_PHR1A_PMS_001.XML", "48.2 kB", "a" * 64],
            ["IMG_PHR1A_PMS_001_R1C1.JP2", "734 MB", "b" * 64],
        ]
        exact = [td.get("title") for td in page.css(".pleiades-files td.text-end")]
        assert exact == [f"{entry['size']} B" for entry in MANIFEST]
        assert "2 files, 734 MB" in page.text(".pleiades-files caption")
        assert page.text(".pleiades-package-checksum code") == PACKAGE_SHA256

    def test_the_last_fixity_check(self, catalogue):
        product = catalogue.catalogue.brussels
        product.fixity_history = [
            {"date": "2025-01-02T03:00:00+00:00", "event": "fixity", "ok": True},
            {"date": "2025-02-03T03:00:00+00:00", "event": "fixity", "ok": False},
        ]
        transaction.commit()
        page = product_page(catalogue)
        assert "Checksums last verified on 2025-02-03: damage found." in page.text(
            ".pleiades-fixity"
        )

    def test_the_zoomable_quicklook(self, catalogue):
        url = product_url(catalogue)
        page = product_page(catalogue)
        viewer = page.one("[data-pleiades-image]")
        assert viewer.get("hidden") is not None  # until the script shows it
        assert viewer.get("data-src") == f"{url}/@@images/quicklook"
        assert (viewer.get("data-width"), viewer.get("data-height")) == ("96", "64")
        # Without script: the image, linked to itself full size.
        link = page.one("a.pleiades-quicklook-link")
        assert link.get("href") == viewer.get("data-src")
        assert "(96 × 64 pixels)" in page.text(".pleiades-full-size")
        image = session().get(viewer.get("data-src"), timeout=60)
        assert image.headers["Content-Type"] == "image/jpeg"

    def test_without_a_quicklook_it_says_so(self, catalogue):
        catalogue.catalogue.antwerp.quicklook = None
        transaction.commit()
        page = product_page(catalogue, name="antwerp")
        assert page.text(".pleiades-no-quicklook") == "This product has no quicklook."
        assert page.css("[data-pleiades-image]") == []

    def test_the_footprint_on_a_map(self, catalogue):
        page = product_page(catalogue, name="fiji")
        feature = json.loads(page.one("[data-pleiades-map]").get("data-geojson"))
        assert feature["geometry"] == PRODUCTS["fiji"]["footprint"]
        assert feature["properties"]["title"] == "Scene Fiji"

    def test_the_request_it_came_from(self, catalogue):
        request = catalogue.requests.r1
        page = product_page(catalogue, "owner")
        link = page.one(".pleiades-request a")
        assert link.get("href") == request.absolute_url()
        assert "Delivered for the request Request r1 (Draft)." in page.text(
            ".pleiades-request"
        )

    def test_the_request_is_not_shown_to_who_may_not_see_it(self, catalogue):
        assert product_page(catalogue).css(".pleiades-request") == []
        assert product_page(catalogue, "member").css(".pleiades-request") == []

    def test_a_product_without_request_or_whose_request_is_gone(self, catalogue):
        assert (
            product_page(catalogue, "owner", "antwerp").css(".pleiades-request") == []
        )
        api.content.delete(obj=catalogue.requests.r1, check_linkintegrity=False)
        transaction.commit()
        assert product_page(catalogue, "owner").css(".pleiades-request") == []

    def test_what_the_ingest_noted_is_for_curators_only(self, catalogue):
        catalogue.catalogue.brussels.ingest_warnings = ["No request JOB-7."]
        transaction.commit()
        assert "No request JOB-7." in product_page(catalogue, "operator").text(
            ".pleiades-ingest-warnings"
        )
        for user in ("anonymous", "owner"):
            assert product_page(catalogue, user).css(".pleiades-ingest-warnings") == []

    @pytest.mark.parametrize(
        "language,expected",
        [
            ("fr", ["Aperçu", "Emprise", "Paquet", "Traitement spectral"]),
            ("nl", ["Voorvertoning", "Voetafdruk", "Pakket", "Spectrale verwerking"]),
        ],
    )
    def test_in_the_readers_language(self, catalogue, language, expected):
        http = session(language=language)
        page = Page(http.get(product_url(catalogue), timeout=60))
        headings = page.text(".pleiades-product h2, .pleiades-metadata th")
        for text in expected:
            assert text in headings


class TestBadInput:
    @pytest.mark.parametrize(
        "path", ["catalogue/nope", "catalogue/%3Cscript%3E", "catalogue/brussels/nope"]
    )
    def test_an_unknown_product_is_not_found(self, catalogue, path):
        response = as_a_browser(f"{catalogue.absolute_url()}/{path}")
        assert response.status_code == 404
        assert "This page does not seem to exist" in response.text
        assert "Traceback" not in response.text and "<script>" not in response.text

    def test_a_product_not_yet_published(self, catalogue):
        url = product_url(catalogue, "hidden")
        visitor = as_a_browser(url)
        assert visitor.status_code == 200
        assert visitor.url.startswith(f"{catalogue.absolute_url()}/login?came_from=")
        member = as_a_browser(url, "member")
        assert member.url == f"{catalogue.absolute_url()}/insufficient-privileges"
        assert "You do not have sufficient privileges" in member.text
        assert product_page(catalogue, "operator", "hidden").css("#download-package")


class WokenObjects:
    """The persistent objects the server's threads load, and the blobs they open."""

    def __init__(self, monkeypatch):
        self.objects: list = []
        self.blobs_opened: list = []
        test_thread = threading.get_ident()
        setstate, open_blob = Connection.setstate, Blob.open

        def recording_setstate(connection, obj):
            setstate(connection, obj)
            if threading.get_ident() != test_thread:
                self.objects.append(obj)

        def recording_open(blob, mode="r"):
            self.blobs_opened.append(blob)
            return open_blob(blob, mode)

        monkeypatch.setattr(Connection, "setstate", recording_setstate)
        monkeypatch.setattr(Blob, "open", recording_open)

    def of_type(self, portal_type: str) -> set[str]:
        return {
            o.getId()
            for o in self.objects
            if getattr(o, "portal_type", "") == portal_type
        }


@pytest.mark.parametrize("user", ["anonymous", "owner"])
def test_rendering_wakes_this_product_and_opens_no_file(catalogue, monkeypatch, user):
    """From cold caches, the page loads its product and the request it links,
    no other product, and opens no file: sizes and image dimensions are stored
    with them."""
    product = catalogue.catalogue.brussels
    woken = WokenObjects(monkeypatch)
    catalogue._p_jar.db().cacheMinimize()
    product_page(catalogue, user)
    assert woken.of_type("Product") == {"brussels"}
    assert woken.of_type("AcquisitionRequest") == {"r1"}
    images = {o._p_oid for o in woken.objects if isinstance(o, NamedBlobImage)}
    assert images == {product.quicklook._p_oid}  # not the thumbnail
    assert woken.blobs_opened == []
