"""Test layers: a Plone site with the add-on installed."""

from plone.app.contenttypes.testing import PLONE_APP_CONTENTTYPES_FIXTURE
from plone.app.testing import applyProfile
from plone.app.testing import FunctionalTesting
from plone.app.testing import IntegrationTesting
from plone.app.testing import PloneSandboxLayer
from plone.testing.zope import WSGI_SERVER_FIXTURE


class Layer(PloneSandboxLayer):
    """Plone with plone.restapi and belspo.pleiades installed."""

    defaultBases = (PLONE_APP_CONTENTTYPES_FIXTURE,)

    def setUpZope(self, app, configurationContext):
        import belspo.pleiades
        import plone.restapi

        self.loadZCML(package=plone.restapi)
        self.loadZCML(package=belspo.pleiades)

    def setUpPloneSite(self, portal):
        applyProfile(portal, "belspo.pleiades:default")


FIXTURE = Layer()

INTEGRATION_TESTING = IntegrationTesting(
    bases=(FIXTURE,), name="Pleiades:IntegrationTesting"
)

FUNCTIONAL_TESTING = FunctionalTesting(
    bases=(FIXTURE, WSGI_SERVER_FIXTURE), name="Pleiades:FunctionalTesting"
)
