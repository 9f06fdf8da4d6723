"""The portal speaks English, French and Dutch."""

from zope.i18n import translate

import pytest


@pytest.fixture(scope="module", autouse=True)
def _mo_files(generate_mo):
    """Compile the catalogues, as a started portal does."""


@pytest.mark.parametrize(
    "language,expected",
    [
        ("en", "operated by B.USOC"),
        ("fr", "exploité par le B.USOC"),
        ("nl", "uitgebaat door B.USOC"),
    ],
)
def test_colophon_translated(functional_portal, language, expected):
    from plone.testing.zope import Browser

    import transaction

    browser = Browser(functional_portal.aq_parent)
    browser.addHeader("Accept-Language", language)
    transaction.commit()
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
