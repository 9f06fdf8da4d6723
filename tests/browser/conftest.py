"""A real Chromium (Debian's), driven by Playwright, on the functional layer's server.

Each test gets a fresh browser context (no cookies, no cache) over the catalogue
of tests/portal. Screenshots are kept as the run's artefacts in
``$PLEIADES_SCREENSHOTS``, by default ``var/screenshots/`` of the repository;
a failing test leaves one of the page it failed on.
"""

from collections.abc import Iterator
from pathlib import Path
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from plone.namedfile.file import NamedBlobFile
from plone.namedfile.file import NamedBlobImage
from tests.conftest import REPOSITORY
from tests.content import world
from tests.portal.conftest import catalogue  # noqa: F401 (a fixture)
from tests.portal.conftest import jpeg

import hashlib
import os
import pytest
import random
import re
import transaction


CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing the browser would fetch for itself: the machines reach
# no network but the package registries.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Milliseconds: a page of the test portal answers in well under a second.
TIMEOUT = 15_000
VIEWPORT = {"width": 1280, "height": 900}
# Brussels' package and quicklook in the browser tests: bytes of no pattern, and
# an image larger than the viewer, so that there is something to zoom into.
PACKAGE = random.Random(7).randbytes(1 << 20)
QUICKLOOK_SIZE = (1200, 800)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(
        os.environ.get("PLEIADES_SCREENSHOTS") or REPOSITORY / "var" / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class SharedChromium:
    """One Chromium for the whole run.

    Playwright's sync API runs one instance at a time, and the conftests of
    other folders import the ``chromium`` fixture, which makes each import a
    session fixture of its own: they all borrow this browser.
    """

    def __init__(self):
        self.borrowers = 0
        self.playwright = None
        self.browser: Browser | None = None

    def borrow(self) -> Browser:
        if self.borrowers == 0:
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
        self.borrowers += 1
        return self.browser

    def give_back(self) -> None:
        self.borrowers -= 1
        if self.borrowers == 0:
            self.browser.close()
            self.playwright.stop()


SHARED_CHROMIUM = SharedChromium()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs it")
    browser = SHARED_CHROMIUM.borrow()
    try:
        yield browser
    finally:
        SHARED_CHROMIUM.give_back()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, for the page fixture to see failures."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class Shooter:
    """Saves screenshots of a page, named after the test and the step."""

    def __init__(self, page: Page, folder: Path, test_name: str):
        self.page = page
        self.folder = folder
        self.prefix = re.sub(r"[^\w.-]+", "-", test_name).strip("-")

    def __call__(self, step: str) -> Path:
        path = self.folder / f"{self.prefix}--{step}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture
def page(chromium, screenshots, request) -> Iterator[Page]:
    """A new page in a context of its own: a visitor who has never come."""
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        Shooter(page, screenshots, request.node.name)("failed")
    context.close()


@pytest.fixture
def script_errors(page) -> list:
    """The errors the page's scripts raise, uncaught."""
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    return errors


@pytest.fixture
def fetched(page) -> list[str]:
    """The address of every request the page makes (documents, scripts, data)."""
    addresses = []
    page.on("request", lambda request: addresses.append(request.url))
    return addresses


@pytest.fixture
def shoot(page, screenshots, request) -> Shooter:
    return Shooter(page, screenshots, request.node.name)


@pytest.fixture
def portal(catalogue):  # noqa: F811 (the fixture imported above)
    """The catalogue of tests/portal; Brussels with a 1 MiB package and a
    1200 × 800 quicklook."""
    brussels = catalogue.catalogue.brussels
    brussels.package = NamedBlobFile(
        PACKAGE, contentType="application/zip", filename="brussels.zip"
    )
    brussels.package_sha256 = hashlib.sha256(PACKAGE).hexdigest()
    brussels.quicklook = NamedBlobImage(jpeg(QUICKLOOK_SIZE), filename="ql.jpg")
    transaction.commit()
    return catalogue


def log_in(page: Page, user: str) -> None:
    """Fill in and send the login form the page shows."""
    page.fill("#__ac_name", user)
    page.fill("#__ac_password", world.PASSWORD)
    with page.expect_navigation():
        page.click("#buttons-login")
