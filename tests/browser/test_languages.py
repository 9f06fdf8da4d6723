"""The search and product pages in English, French and Dutch, as Plone chooses.

The language comes from Plone's negotiation: the ``I18N_LANGUAGE`` cookie, or
``?set_language=`` (which sets that cookie), before the browser's own
preference. Some expectations are written here, as the translators wrote
them; the others are read from the portal's catalogues, so that the page is
seen to use them.
"""

from playwright.sync_api import expect
from zope.i18n import translate

import pytest


pytestmark = pytest.mark.slow

# Ours, and Plone's own "Log in".
WRITTEN = {
    "en": {
        "spectral": "Spectral processing",
        "quicklook": "Quicklook",
        "footprint": "Footprint",
        "login": "Log in",
    },
    "fr": {
        "spectral": "Traitement spectral",
        "quicklook": "Aperçu",
        "footprint": "Emprise",
        "login": "Se connecter",
    },
    "nl": {
        "spectral": "Spectrale verwerking",
        "quicklook": "Voorvertoning",
        "footprint": "Voetafdruk",
        "login": "Inloggen",
    },
}


def ours(msgid: str, language: str) -> str:
    return translate(msgid, domain="belspo.pleiades", target_language=language)


@pytest.mark.parametrize(
    "language,chosen_by", [("en", "browser"), ("fr", "cookie"), ("nl", "set_language")]
)
def test_search_and_product_pages_in_each_language(
    portal, page, shoot, script_errors, language, chosen_by
):
    portal_url = portal.absolute_url()
    search = f"{portal_url}/@@search-catalogue"
    if chosen_by == "cookie":
        page.context.add_cookies(
            [{"name": "I18N_LANGUAGE", "value": language, "url": portal_url}]
        )
        page.goto(search)
    elif chosen_by == "set_language":
        page.goto(f"{search}?set_language={language}")
    else:
        page.goto(search)
    written = WRITTEN[language]
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(ours("Search the catalogue", language))
    expect(page.locator("#search-spectral_mode legend")).to_have_text(
        written["spectral"]
    )
    # Made by the script, from the labels the page gives it.
    expect(page.locator("#search-draw-box")).to_have_text(ours("Draw a box", language))
    expect(page.locator("#personaltools-login")).to_contain_text(written["login"])
    shoot("search")

    # The language stays for the next page.
    page.goto(portal.catalogue.brussels.absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#quicklook-heading")).to_have_text(written["quicklook"])
    expect(page.locator("#footprint-heading")).to_have_text(written["footprint"])
    expect(page.locator("#access-login")).to_have_text(
        ours("Log in to download", language)
    )
    expect(page.locator("#download-heading")).to_have_text(ours("Download", language))
    shoot("product")
    assert script_errors == []
