"""Downloads in a real browser: who logs in and gets the package, who is told why."""

from pathlib import Path
from playwright.sync_api import expect
from tests.browser.conftest import log_in
from tests.browser.conftest import PACKAGE
from tests.content import world

import hashlib
import pytest
import transaction


pytestmark = pytest.mark.slow


def test_a_member_of_an_approved_group_logs_in_and_downloads(
    portal, page, shoot, script_errors, tmp_path
):
    product_url = portal.catalogue.brussels.absolute_url()
    page.goto(product_url)
    expect(page.locator("#download-package")).to_have_count(0)
    with page.expect_navigation():
        page.click("#access-login")
    shoot("login-form")
    log_in(page, "owner")
    assert page.url == product_url  # back where the member was
    button = page.locator("#download-package")
    expect(button).to_be_visible()
    expect(button).to_contain_text("(1.0 MB)")
    shoot("may-download")

    with page.expect_download() as started:
        button.click()
    download = started.value
    assert download.suggested_filename == "brussels.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = Path(saved).read_bytes()
    assert data == PACKAGE

    # The checksum file, as `sha256sum -c` reads it beside the package.
    sidecar = page.request.get(page.locator("a.pleiades-sidecar").get_attribute("href"))
    assert sidecar.ok
    checksum, name = sidecar.text().split()
    assert (checksum, name) == (hashlib.sha256(data).hexdigest(), "brussels.zip")
    shown = page.locator(".pleiades-package-checksum code")
    expect(shown).to_have_text(checksum)
    assert script_errors == []


def test_a_member_without_a_group_is_refused_with_the_reason(
    portal, page, shoot, script_errors
):
    product_url = portal.catalogue.brussels.absolute_url()
    page.goto(f"{portal.absolute_url()}/login?came_from={product_url}")
    log_in(page, "member")
    assert page.url == product_url
    refusal = page.locator(".pleiades-access")
    expect(refusal).to_have_attribute("data-reason", "no-group")
    expect(refusal).to_contain_text("You are not a member of a user group yet")
    expect(page.locator("#download-package")).to_have_count(0)
    groups = page.locator("#access-groups")
    expect(groups).to_have_attribute("href", f"{portal.absolute_url()}/@@join-group")
    shoot("refused")
    # The package's address, typed, is refused as well.
    direct = page.request.get(f"{product_url}/@@download/package", max_redirects=0)
    assert direct.status in (302, 401, 403)
    assert direct.body() != PACKAGE
    with page.expect_navigation():
        groups.click()
    assert page.url.startswith(f"{portal.absolute_url()}/@@join-group")
    assert script_errors == []


def test_a_member_of_a_suspended_group_is_told_so(portal, page, shoot):
    world.set_state(portal.groups.ulb, "suspended")
    transaction.commit()
    product_url = portal.catalogue.brussels.absolute_url()
    page.goto(f"{portal.absolute_url()}/login?came_from={product_url}")
    log_in(page, "owner")
    refusal = page.locator(".pleiades-access")
    expect(refusal).to_have_attribute("data-reason", "suspended")
    expect(refusal).to_contain_text("Your user group is suspended")
    expect(refusal).to_contain_text("ULB: suspended")
    expect(page.locator("#download-package")).to_have_count(0)
    shoot("suspended")
