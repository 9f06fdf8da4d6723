"""Every page of ours in English, French and Dutch, and the switcher between them.

The switcher is Plone's own language selector in the header of every page
(profiles/default/registry.xml); choosing a language sets Plone's
``I18N_LANGUAGE`` cookie, which then decides every page.
"""

from .conftest import session
from .conftest import tree
from playwright.sync_api import expect
from tests.content import world

import pytest
import transaction


LANGUAGES = ["en", "fr", "nl"]
NAMES = ["English", "Français", "Nederlands"]
# The footer's colophon, in our catalogues: proves the page's text follows.
COLOPHON = {
    "en": "operated by B.USOC",
    "fr": "exploité par le B.USOC",
    "nl": "uitgebaat door B.USOC",
}
# (user, path under the portal): the pages of the portal's add-on.
PAGES = [
    ("anonymous", ""),
    ("anonymous", "@@search-catalogue"),
    ("anonymous", "catalogue/p1"),
    ("member", "@@join-group"),
    ("member", "@@my-requests"),
    ("member", "@@my-downloads"),
    ("colleague", "catalogue/p1"),
    ("leader", "groups/ulb"),
    ("leader", "groups/ulb/@@members"),
    ("leader", "groups/ulb/@@join-requests"),
    ("stereo", "@@join-requests"),
    ("owner", "requests/r1"),
    ("validator", "requests/r1/@@validate"),
    ("validator", "@@quota-dashboard"),
    ("validator", "@@downloads-report"),
    ("operator", "@@preservation"),
    ("siteadmin", "@@agreement-controlpanel"),
]


@pytest.fixture
def portal(functional_portal):
    world.build(functional_portal)
    world.set_state(functional_portal.requests.r1, "submitted")
    transaction.commit()
    return functional_portal


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_of_ours_in_each_language(portal, language):
    for user, path in PAGES:
        http = session(user)
        http.cookies.set("I18N_LANGUAGE", language)
        response = http.get(f"{portal.absolute_url()}/{path}", timeout=60)
        assert response.status_code == 200, (user, path, response.status_code)
        page = tree(response)
        assert page.get("lang") == language, (user, path)
        assert COLOPHON[language] in response.text, (user, path)
        selector = page.cssselect("#portal-languageselector li")
        assert [li.text_content().strip() for li in selector] == NAMES, (user, path)
        (current,) = page.cssselect("#portal-languageselector li.currentLanguage")
        assert f"language-{language}" in current.get("class"), (user, path)


@pytest.mark.slow
def test_the_switcher_in_three_languages(portal, page, shoot):
    """A visitor switches from English to French to Dutch, and it stays."""
    page.goto(portal.absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switcher = page.locator("#portal-languageselector")
    expect(switcher.locator("li")).to_have_text(NAMES)
    expect(switcher.locator("li.currentLanguage")).to_have_text("English")
    expect(page.locator("#personaltools-login")).to_contain_text("Log in")
    shoot("en")

    switcher.get_by_text("Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(switcher.locator("li.currentLanguage")).to_have_text("Français")
    expect(page.locator("body")).to_contain_text(COLOPHON["fr"])
    expect(page.locator("#personaltools-login")).to_contain_text("Se connecter")
    shoot("fr")

    switcher.get_by_text("Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#personaltools-login")).to_contain_text("Inloggen")
    shoot("nl")
    # The choice holds on the next page.
    page.goto(f"{portal.absolute_url()}/@@search-catalogue")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(switcher.locator("li.currentLanguage")).to_have_text("Nederlands")
