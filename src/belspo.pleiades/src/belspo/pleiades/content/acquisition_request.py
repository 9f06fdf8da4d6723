"""AcquisitionRequest: a programming request or a catalogue extraction."""

from belspo.pleiades import _
from plone.autoform import directives
from plone.dexterity.content import Item
from plone.schema import JSONField
from plone.supermodel import model
from zope import schema
from zope.interface import implementer
from zope.interface import Invalid
from zope.interface import invariant


# Set by operators when they forward the request to the distributor.
OPERATOR_PERMISSION = "belspo.pleiades.RecordOutcome"


class IAcquisitionRequest(model.Schema):
    """What a user group asks for; the area of interest is the footprint."""

    kind = schema.Choice(
        title=_("Kind of request"),
        vocabulary="belspo.pleiades.RequestKinds",
        default="programming",
    )
    user_group = schema.Choice(
        title=_("User group"),
        description=_("The institution or team the request is made for."),
        vocabulary="belspo.pleiades.UserGroups",
    )
    purpose = schema.Text(
        title=_("Purpose"),
        description=_("What the images are for; the validator reads it."),
    )

    model.fieldset(
        "programming",
        label=_("Programming"),
        fields=[
            "window_start",
            "window_end",
            "priority_mode",
            "processing_level",
            "spectral_mode",
            "max_cloud_cover",
            "max_incidence_angle",
            "estimated_attempts",
        ],
    )
    window_start = schema.Date(title=_("Acquisition window: from"), required=False)
    window_end = schema.Date(title=_("Acquisition window: until"), required=False)
    priority_mode = schema.Choice(
        title=_("Programming mode"),
        vocabulary="belspo.pleiades.PriorityModes",
        default="standard",
    )
    processing_level = schema.Choice(
        title=_("Processing level wanted"),
        vocabulary="belspo.pleiades.ProcessingLevels",
        default="ORTHO",
    )
    spectral_mode = schema.Choice(
        title=_("Spectral processing wanted"),
        vocabulary="belspo.pleiades.SpectralModes",
        default="PMS",
    )
    max_cloud_cover = schema.Int(
        title=_("Maximum cloud cover (%)"), min=0, max=100, default=20
    )
    max_incidence_angle = schema.Float(
        title=_("Maximum incidence angle (°)"), min=0.0, max=60.0, default=30.0
    )
    estimated_attempts = schema.Int(
        title=_("Estimated acquisition attempts"), min=1, default=1, required=False
    )

    model.fieldset("extraction", label=_("Extraction"), fields=["scenes"])
    scenes = schema.List(
        title=_("Archive scenes"),
        description=_("Dataset names of the archive scenes wanted, one per line."),
        value_type=schema.TextLine(),
        default=[],
        required=False,
    )

    model.fieldset("outcome", label=_("Outcome"), fields=["distributor_reference"])
    directives.write_permission(distributor_reference=OPERATOR_PERMISSION)
    distributor_reference = schema.TextLine(
        title=_("Distributor's reference"),
        description=_("The order number the distributor gave the request."),
        required=False,
    )

    # Recorded once, by the validation (quota/service.py); never edited.
    directives.omitted("quota_decision")
    quota_decision = JSONField(
        title=_("Validation decision"),
        description=_(
            "The quota rules applied, the pricing category and price, who "
            "decided, when and why."
        ),
        required=False,
        readonly=True,
        default=None,
    )

    @invariant
    def window_is_ordered(data):
        start = getattr(data, "window_start", None)
        end = getattr(data, "window_end", None)
        if start and end and end < start:
            raise Invalid(_("The acquisition window ends before it starts."))

    @invariant
    def kind_has_its_fields(data):
        kind = getattr(data, "kind", None)
        if kind == "programming" and not (
            getattr(data, "window_start", None) and getattr(data, "window_end", None)
        ):
            raise Invalid(_("A programming request needs an acquisition window."))
        if kind == "extraction" and not getattr(data, "scenes", None):
            raise Invalid(_("A catalogue extraction needs the scenes it asks for."))


@implementer(IAcquisitionRequest)
class AcquisitionRequest(Item):
    """A request to the distributor, validated against the agreement's quotas."""
