"""Install, uninstall and demo-content handlers of the GenericSetup profiles."""

from belspo.pleiades import _
from belspo.pleiades import logger
from belspo.pleiades.content.metadata import use_small_metadata_buckets
from belspo.pleiades.content.ranges import use_filtering_indexes
from belspo.pleiades.demo import create_demo_model
from belspo.pleiades.geo.index import FootprintIndex
from belspo.pleiades.quota import config
from belspo.pleiades.quota import service
from belspo.pleiades.rest.tokens import keep_issued_tokens
from datetime import date
from plone import api
from plone.app.textfield.value import RichTextValue
from plone.base.interfaces import INonInstallable
from plone.base.interfaces.constrains import ENABLED
from plone.base.interfaces.constrains import ISelectableConstrainTypes
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


# The folders our types live in: id -> (title, type, who may add, in navigation).
FOLDERS = {
    "catalogue": ("Catalogue", "Product", ["Pleiades Operator"], True),
    "requests": (
        "Acquisition requests",
        "AcquisitionRequest",
        ["Pleiades Operator", "Pleiades User"],
        False,
    ),
    "groups": ("User groups", "UserGroup", ["Stereo Manager"], False),
}


def create_folders():
    """Create the folders of our types that are missing.

    They are unordered BTree folders: a million products in one keep no list of
    a million ids to reorder (plone.folder's ``unordered`` ordering).
    """
    portal = api.portal.get()
    for folder_id, (title, type_id, adders, in_navigation) in FOLDERS.items():
        if folder_id in portal:
            continue
        folder = api.content.create(
            container=portal, type="Folder", id=folder_id, title=title
        )
        folder.setOrdering("unordered")
        folder.exclude_from_nav = not in_navigation
        constraints = ISelectableConstrainTypes(folder)
        constraints.setConstrainTypesMode(ENABLED)
        constraints.setLocallyAllowedTypes([type_id])
        constraints.setImmediatelyAddableTypes([type_id])
        # Our roles add content here and nowhere else.
        folder.manage_permission("Add portal content", roles=adders, acquire=True)
        api.content.transition(obj=folder, transition="publish")
        folder.reindexObject()
        logger.info("created folder %s", folder_id)


def add_footprint_index():
    """Add the spatial index, which catalog.xml cannot declare."""
    catalog = api.portal.get_tool("portal_catalog")
    if "footprint" not in catalog.indexes():
        catalog.addIndex("footprint", FootprintIndex("footprint"))
        catalog.manage_reindexIndex(ids=["footprint"])
        logger.info("added the footprint index")


def post_install(context):
    """Run after the default profile is applied."""
    create_groups()
    add_footprint_index()
    catalog = api.portal.get_tool("portal_catalog")
    use_filtering_indexes(catalog)
    use_small_metadata_buckets(catalog)
    create_folders()
    open_agreement()
    keep_issued_tokens(api.portal.get())
    logger.info("belspo.pleiades installed")


def open_agreement(today: date | None = None):
    """Open the agreement year of today, with the defaults, if none covers it."""
    today = today or date.today()
    if config.year_of(today) is None and today.year not in config.years():
        config.open_year(today.year)
        logger.info("opened the agreement year %d", today.year)
    service.book()


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
    create_demo_model(portal)
