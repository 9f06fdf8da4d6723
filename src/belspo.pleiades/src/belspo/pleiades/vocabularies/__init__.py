"""The fixed vocabularies of the model: missions, levels, modes, request kinds.

Stored values are the DIMAP v2 codes (``PHR1A``, ``ORTHO``, ``PMS``...), so that
ingest, search, the REST API and STAC all speak the same terms; titles are
translated for people.
"""

from belspo.pleiades import _
from belspo.pleiades.content.user_group import GROUP_PREFIX
from plone import api
from zope.interface import provider
from zope.schema.interfaces import IVocabularyFactory
from zope.schema.vocabulary import SimpleTerm
from zope.schema.vocabulary import SimpleVocabulary


def _vocabulary(terms: list[tuple[str, str]]) -> SimpleVocabulary:
    return SimpleVocabulary(
        [SimpleTerm(value, token=value, title=title) for value, title in terms]
    )


# Mission code as the reader builds it from DIMAP MISSION + MISSION_INDEX.
MISSIONS = _vocabulary(
    [
        ("PHR1A", _("Pléiades 1A")),
        ("PHR1B", _("Pléiades 1B")),
        ("PNEO3", _("Pléiades Neo 3")),
        ("PNEO4", _("Pléiades Neo 4")),
        ("SPOT6", _("SPOT 6")),
        ("SPOT7", _("SPOT 7")),
    ]
)

# DIMAP GEOMETRIC_PROCESSING.
PROCESSING_LEVELS = _vocabulary(
    [
        ("SENSOR", _("Primary (sensor geometry)")),
        ("ORTHO", _("Ortho")),
        ("MOSAIC", _("Mosaic")),
    ]
)

# DIMAP SPECTRAL_PROCESSING; the reader maps "PAN" to "P".
SPECTRAL_MODES = _vocabulary(
    [
        ("P", _("Panchromatic")),
        ("MS", _("Multispectral")),
        ("PMS", _("Pan-sharpened")),
        ("MS-N", _("Multispectral, natural colour")),
        ("MS-X", _("Multispectral, false colour")),
        ("PMS-N", _("Pan-sharpened, natural colour")),
        ("PMS-X", _("Pan-sharpened, false colour")),
        ("MS-FS", _("Multispectral, full spectrum")),
        ("PMS-FS", _("Pan-sharpened, full spectrum")),
    ]
)

REQUEST_KINDS = _vocabulary(
    [
        ("programming", _("Programming request (new acquisition)")),
        ("extraction", _("Catalogue extraction (archive scenes)")),
    ]
)

PRIORITY_MODES = _vocabulary(
    [
        ("standard", _("Standard")),
        ("priority", _("Priority")),
    ]
)

INSTITUTION_TYPES = _vocabulary(
    [
        ("university", _("University")),
        ("federal", _("Federal scientific institute")),
        ("defence", _("Defence")),
        ("region", _("Region or community")),
        ("other", _("Other public body")),
    ]
)


def _factory(vocabulary: SimpleVocabulary):
    @provider(IVocabularyFactory)
    def factory(context=None) -> SimpleVocabulary:
        return vocabulary

    return factory


missions = _factory(MISSIONS)
processing_levels = _factory(PROCESSING_LEVELS)
spectral_modes = _factory(SPECTRAL_MODES)
request_kinds = _factory(REQUEST_KINDS)
priority_modes = _factory(PRIORITY_MODES)
institution_types = _factory(INSTITUTION_TYPES)


# Who may file a request for any group (on a member's behalf).
ANY_GROUP_PERMISSION = "belspo.pleiades: Record outcome"


@provider(IVocabularyFactory)
def user_groups(context=None) -> SimpleVocabulary:
    """The approved user groups the current user may make a request for.

    Members choose among the groups they belong to or lead; operators and
    administrators among all approved groups. The group a request already names
    stays in the list, so that it still displays when that group is suspended.
    """
    catalog = api.portal.get_tool("portal_catalog")
    brains = catalog.unrestrictedSearchResults(
        portal_type="UserGroup", review_state="approved", sort_on="sortable_title"
    )
    current = getattr(context, "user_group", None)
    if api.user.is_anonymous():
        brains = []
    elif not api.user.has_permission(ANY_GROUP_PERMISSION, obj=api.portal.get()):
        user = api.user.get_current()
        mine = set(user.getGroups())
        brains = [
            b
            for b in brains
            if GROUP_PREFIX + b.getId in mine
            or b.getId == current
            or user.getId() in (b._unrestrictedGetObject().leaders or ())
        ]
    terms = [SimpleTerm(b.getId, token=b.getId, title=b.Title) for b in brains]
    if current and current not in {t.value for t in terms}:
        terms.append(SimpleTerm(current, token=current, title=current))
    return SimpleVocabulary(terms)
