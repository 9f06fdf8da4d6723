"""The portal speaks English, French and Dutch."""

from pathlib import Path
from plone.testing.zope import Browser
from zope.i18n import translate

import belspo.pleiades
import pytest
import re


@pytest.mark.parametrize(
    "language,expected",
    [
        ("en", "operated by B.USOC"),
        ("fr", "exploité par le B.USOC"),
        ("nl", "uitgebaat door B.USOC"),
    ],
)
def test_colophon_translated(functional_portal, language, expected):
    browser = Browser(functional_portal.aq_parent)
    browser.addHeader("Accept-Language", language)
    browser.open(functional_portal.absolute_url())
    assert expected in browser.contents


@pytest.mark.parametrize(
    "language,expected",
    [
        ("en", "About the portal"),
        ("fr", "À propos du portail"),
        ("nl", "Over het portaal"),
    ],
)
def test_catalogues_complete(language, expected):
    assert (
        translate("demo_about_title", "belspo.pleiades", target_language=language)
        == expected
    )


@pytest.mark.parametrize("language", ["en", "fr", "nl"])
def test_every_message_translated(language):
    locales = Path(belspo.pleiades.__file__).parent / "locales"
    pot = locales / "belspo.pleiades.pot"
    catalogue = (locales / language / "LC_MESSAGES" / "belspo.pleiades.po").read_text()
    msgids = set(re.findall(r'^msgid "(.+)"$', pot.read_text(), re.M))
    untranslated = set(re.findall(r'^msgid "(.+)"\nmsgstr ""\n', catalogue, re.M))
    assert msgids <= set(re.findall(r'^msgid "(.+)"$', catalogue, re.M))
    assert untranslated == set()
