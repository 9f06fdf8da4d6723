"""Product: one delivered, archived product (a DIMAP v2 delivery)."""

from belspo.pleiades import _
from plone.app.vocabularies.catalog import StaticCatalogVocabulary
from plone.autoform import directives
from plone.dexterity.content import Item
from plone.namedfile.field import NamedBlobFile
from plone.namedfile.field import NamedBlobImage
from plone.schema import JSONField
from plone.supermodel import model
from z3c.relationfield.schema import RelationChoice
from zope import schema
from zope.interface import implementer
from zope.interface import Invalid
from zope.interface import invariant

import json


DOWNLOAD_PERMISSION = "belspo.pleiades.DownloadProduct"

JSON_LIST = json.dumps({"type": "array"})


def _percent(**kw) -> schema.Float:
    return schema.Float(min=0.0, max=100.0, required=False, **kw)


def _angle(low: float, high: float, **kw) -> schema.Float:
    return schema.Float(min=low, max=high, required=False, **kw)


class IProduct(model.Schema):
    """The metadata of an archived product, as read from its DIMAP document."""

    dataset_name = schema.TextLine(
        title=_("Dataset name"),
        description=_("DIMAP DATASET_NAME, or the document's file name."),
    )
    mission = schema.Choice(title=_("Mission"), vocabulary="belspo.pleiades.Missions")
    acquisition_date = schema.Datetime(
        title=_("Acquisition date and time (UTC)"),
    )
    processing_level = schema.Choice(
        title=_("Processing level"), vocabulary="belspo.pleiades.ProcessingLevels"
    )
    spectral_mode = schema.Choice(
        title=_("Spectral processing"), vocabulary="belspo.pleiades.SpectralModes"
    )
    radiometric_processing = schema.TextLine(
        title=_("Radiometric processing"), required=False
    )
    ground_sample_distance = schema.Float(
        title=_("Ground sample distance (m)"), min=0.0, required=False
    )
    incidence_angle = _angle(0.0, 90.0, title=_("Incidence angle (°)"))
    viewing_angle = _angle(0.0, 90.0, title=_("Viewing angle (°)"))
    azimuth_angle = _angle(0.0, 360.0, title=_("Azimuth angle (°)"))
    sun_elevation = _angle(-90.0, 90.0, title=_("Sun elevation (°)"))
    sun_azimuth = _angle(0.0, 360.0, title=_("Sun azimuth (°)"))
    cloud_cover = _percent(title=_("Cloud cover (%)"))
    snow_cover = _percent(title=_("Snow cover (%)"))
    surface_area = schema.Float(title=_("Surface area (km²)"), min=0.0, required=False)

    model.fieldset(
        "raster",
        label=_("Raster"),
        fields=["crs", "raster_width", "raster_height", "bands", "bit_depth"],
    )
    crs = schema.TextLine(title=_("Coordinate reference system"), required=False)
    raster_width = schema.Int(title=_("Columns"), min=1, required=False)
    raster_height = schema.Int(title=_("Rows"), min=1, required=False)
    bands = schema.Int(title=_("Bands"), min=1, required=False)
    bit_depth = schema.Int(title=_("Bits per sample"), min=1, max=64, required=False)

    model.fieldset(
        "delivery",
        label=_("Delivery"),
        fields=[
            "producer",
            "job_id",
            "product_code",
            "customer_reference",
            "production_date",
            "request",
        ],
    )
    producer = schema.TextLine(title=_("Producer"), required=False)
    job_id = schema.TextLine(title=_("Job id"), required=False)
    product_code = schema.TextLine(title=_("Product code"), required=False)
    customer_reference = schema.TextLine(title=_("Customer reference"), required=False)
    production_date = schema.Datetime(title=_("Production date"), required=False)
    request = RelationChoice(
        title=_("Acquisition request"),
        description=_("The request this product was delivered for."),
        vocabulary=StaticCatalogVocabulary({"portal_type": "AcquisitionRequest"}),
        required=False,
    )

    model.fieldset(
        "archive",
        label=_("Archive"),
        fields=[
            "quicklook",
            "thumbnail",
            "package",
            "package_sha256",
            "manifest",
            "fixity_history",
            "ingest_warnings",
        ],
    )
    quicklook = NamedBlobImage(title=_("Quicklook"), required=False)
    thumbnail = NamedBlobImage(title=_("Thumbnail"), required=False)
    # plone.namedfile's @@download ignores read permissions: browser/download.py
    # checks this one for the package.
    directives.read_permission(package=DOWNLOAD_PERMISSION)
    package = NamedBlobFile(title=_("Package"), required=False)
    package_sha256 = schema.ASCIILine(title=_("SHA-256 of the package"), required=False)
    manifest = JSONField(
        title=_("Manifest"),
        description=_("Every file of the package: path, size and SHA-256."),
        schema=JSON_LIST,
        default=[],
        required=False,
    )
    fixity_history = JSONField(
        title=_("Fixity history"),
        description=_("Every verification of the package's checksums."),
        schema=JSON_LIST,
        default=[],
        required=False,
    )
    directives.mode(fixity_history="display")
    ingest_warnings = schema.List(
        title=_("Ingest warnings"),
        description=_("What the operator should look at, noted by the ingest."),
        value_type=schema.TextLine(),
        default=[],
        required=False,
    )

    @invariant
    def checksum_is_sha256(data):
        value = getattr(data, "package_sha256", None)
        if value and (len(value) != 64 or set(value) - set("0123456789abcdef")):
            raise Invalid(_("A SHA-256 is 64 lowercase hexadecimal digits."))


@implementer(IProduct)
class Product(Item):
    """An archived product."""
