"""Install, uninstall and demo-content handlers of the GenericSetup profiles."""

from belspo.pleiades import _
from belspo.pleiades import logger
from plone import api
from plone.app.textfield.value import RichTextValue
from plone.base.interfaces import INonInstallable
from zope.interface import implementer


@implementer(INonInstallable)
class HiddenProfiles:
    """Profiles and products that site administrators never pick by hand."""

    def getNonInstallableProfiles(self) -> list[str]:
        return ["belspo.pleiades:uninstall", "belspo.pleiades:demo"]

    def getNonInstallableProducts(self) -> list[str]:
        return []


# The portal's groups and the global role each gives (rolemap.xml defines the roles).
GROUPS = {
    "stereo-managers": ("STEREO management", "Stereo Manager"),
    "pleiades-validators": ("BELSPO validators", "Pleiades Validator"),
    "pleiades-operators": ("B.USOC operators", "Pleiades Operator"),
}


def create_groups():
    """Create the portal's groups that are missing, each with its role."""
    for group_id, (title, role) in GROUPS.items():
        if api.group.get(groupname=group_id) is None:
            api.group.create(groupname=group_id, title=title, roles=[role])
            logger.info("created group %s (%s)", group_id, role)


def post_install(context):
    """Run after the default profile is applied."""
    create_groups()
    logger.info("belspo.pleiades installed")


ABOUT_TEXT = """
<p>The Pleiades National Data Portal gives Belgian institutional users access to
very-high-resolution imagery (0.5 m) of the Pleiades satellites, acquired under the
agreement between the Belgian Science Policy Office (BELSPO) and the distributor.</p>
<p>Approved user groups browse the catalogue on a map, download archived products and
ask for new acquisitions. BELSPO validates every request against the agreement's
quotas; B.USOC archives the deliveries for the long term and keeps a verified backup
in step with the primary every night.</p>
"""


def create_demo_content(context):
    """Create the demo content that is missing; content already there is kept."""
    portal = api.portal.get()
    if "about" not in portal:
        about = api.content.create(
            container=portal,
            type="Document",
            id="about",
            title=api.portal.translate(
                _("demo_about_title", default="About the portal")
            ),
            description="What the Pleiades National Data Portal is and who runs it.",
        )
        about.text = RichTextValue(ABOUT_TEXT, "text/html", "text/x-html-safe")
        api.content.transition(obj=about, transition="publish")
        about.reindexObject()
        logger.info("demo content: created %s", about.absolute_url_path())
