"""Installing and uninstalling the add-on."""

from belspo.pleiades.interfaces import IBrowserLayer
from pathlib import Path
from plone.base.interfaces import INonInstallable
from zope.component import getAllUtilitiesRegisteredFor

import belspo.pleiades
import plone.api
import pytest
import re


BUNDLE = "plone.bundles/belspo-pleiades.csscompilation"
METADATA = Path(belspo.pleiades.__file__).parent / "profiles/default/metadata.xml"


def metadata_version() -> str:
    return re.search(r"<version>(\d+)</version>", METADATA.read_text()).group(1)


class TestSetupInstall:
    def test_addon_installed(self, installer, package_name):
        assert installer.is_product_installed(package_name) is True

    def test_browserlayer(self, browser_layers):
        assert IBrowserLayer in browser_layers

    def test_restapi_installed(self, installer):
        assert installer.is_product_installed("plone.restapi") is True

    def test_profile_version_is_the_metadata_version(self, profile_last_version):
        assert profile_last_version("belspo.pleiades:default") == metadata_version()

    @pytest.mark.parametrize(
        "profile",
        ["belspo.pleiades:uninstall", "belspo.pleiades:demo"],
    )
    def test_profiles_hidden_from_the_addons_panel(self, portal, profile):
        hidden = set()
        for utility in getAllUtilitiesRegisteredFor(INonInstallable):
            hidden.update(utility.getNonInstallableProfiles())
        assert profile in hidden

    def test_our_stylesheet_on_every_page(self, portal):
        css = plone.api.portal.get_registry_record(BUNDLE)
        assert css == "++plone++belspo.pleiades/pleiades-site.css"
        assert "pleiades-site.css" in portal.restrictedTraverse("@@search")()

    def test_addon_offered_in_the_addons_panel(self, installer, package_name):
        assert installer.is_product_installable(package_name) is True

    def test_uninstall_profile_registered(self, installer, package_name):
        profile = installer.get_uninstall_profile(package_name)
        assert profile["id"] == "belspo.pleiades:uninstall"


class TestSetupUninstall:
    @pytest.fixture(autouse=True)
    def _uninstalled(self, uninstalled):
        """Every test of this class sees the add-on uninstalled."""

    def test_addon_uninstalled(self, installer, package_name):
        assert installer.is_product_installed(package_name) is False

    def test_browserlayer_removed(self, browser_layers):
        assert IBrowserLayer not in browser_layers

    def test_stylesheet_removed(self):
        assert plone.api.portal.get_registry_record(BUNDLE, default=None) is None

    def test_reinstall(self, installer, package_name, browser_layers):
        installer.install_product(package_name)
        assert installer.is_product_installed(package_name) is True
