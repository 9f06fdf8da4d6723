"""The footprint behavior and the collective.geo adapter built on it."""

from belspo.pleiades import _
from belspo.pleiades.geo.footprint import CRS
from belspo.pleiades.geo.footprint import FootprintError
from belspo.pleiades.geo.footprint import parse_footprint
from belspo.pleiades.geo.interfaces import IGeoreferenceable
from belspo.pleiades.geo.interfaces import IGeoreferenced
from plone.autoform.interfaces import IFormFieldProvider
from plone.indexer import indexer
from plone.schema import JSONField
from plone.supermodel import model
from zope.component import adapter
from zope.interface import implementer
from zope.interface import provider
from zope.schema.interfaces import ValidationError

import json


class InvalidFootprint(ValidationError):
    """The footprint is not a valid GeoJSON polygon."""

    def doc(self) -> str:
        return str(self.args[0])


class FootprintField(JSONField):
    """A GeoJSON Polygon or MultiPolygon in longitude/latitude (WGS 84)."""

    def __init__(self, **kw):
        super().__init__(schema=json.dumps({"type": "object"}), **kw)

    def fromUnicode(self, value: str) -> dict:
        # JSONField falls back to Python literals, whose errors are not ours.
        try:
            data = json.loads(value)
        except ValueError:
            raise InvalidFootprint(
                _("The footprint is not valid JSON."), self.__name__
            ) from None
        self.validate(data)
        return data

    def _validate(self, value):
        super()._validate(value)
        try:
            parse_footprint(value)
        except FootprintError as error:
            raise InvalidFootprint(str(error), self.__name__) from None


@provider(IFormFieldProvider)
class IFootprint(model.Schema):
    """A footprint: where a product lies, or the area a request asks for."""

    footprint = FootprintField(
        title=_("Footprint"),
        description=_(
            "A GeoJSON Polygon or MultiPolygon in longitude/latitude (WGS 84)."
        ),
        required=False,
    )


@implementer(IFootprint)
@adapter(IGeoreferenceable)
class FootprintBehavior:
    """Stores the footprint normalised: rings closed and oriented, split at 180°."""

    def __init__(self, context):
        self.context = context

    @property
    def footprint(self) -> dict | None:
        return getattr(self.context, "footprint", None)

    @footprint.setter
    def footprint(self, value: dict | str | None) -> None:
        self.context.footprint = (
            parse_footprint(value).__geo_interface__ if value else None
        )


@implementer(IGeoreferenced)
@adapter(IGeoreferenceable)
class Georeferenced:
    """The collective.geo view of content with a footprint."""

    crs = CRS

    def __init__(self, context):
        stored = getattr(context, "footprint", None)
        self.geometry = parse_footprint(stored) if stored else None

    @property
    def type(self) -> str | None:
        return self.geometry.type if self.geometry else None

    @property
    def coordinates(self) -> list | None:
        return self.geometry.coordinates if self.geometry else None

    @property
    def __geo_interface__(self) -> dict | None:
        return self.geometry.__geo_interface__ if self.geometry else None


@indexer(IGeoreferenceable)
def footprint_indexer(obj) -> dict:
    """The footprint as a GeoJSON geometry, for the spatial index and brains."""
    geometry = IGeoreferenced(obj).__geo_interface__
    if geometry is None:
        raise AttributeError("footprint")
    return geometry
