"""Field (de)serializers where plone.restapi's defaults do not fit our types.

- Footprints: a GeoJSON object, or a JSON string of one, checked by the same
  parser as the web form, so that a list, a number or a string that is not JSON
  gets a message saying what is wrong instead of "Wrong contained type".
- Floats: JSON has one kind of number; ``12`` is a valid cloud cover.
- Product dates: stored naive in UTC, as the ingest stores them; written with
  their offset and their fraction of a second, so that a JavaScript client does
  not read them as local time and a round trip keeps the imaging time exact.
- Empty texts: plone.restapi reads "" as "no value" and then sees a change
  where "" is stored, as the change note of versioning always is: a GET sent
  back as a PATCH would mark the content modified.
- The fixity history is kept by the fixity audits: as in the web form, it is
  shown, never edited.
"""

from belspo.pleiades import _
from belspo.pleiades.content.product import IProduct
from belspo.pleiades.geo.behavior import InvalidFootprint
from belspo.pleiades.geo.footprint import FootprintError
from belspo.pleiades.geo.footprint import parse_footprint
from datetime import datetime
from datetime import UTC
from plone.restapi.deserializer.blocks import BlocksJSONFieldDeserializer
from plone.restapi.deserializer.dxfields import DatetimeFieldDeserializer
from plone.restapi.deserializer.dxfields import DefaultFieldDeserializer
from plone.restapi.deserializer.dxfields import TextLineFieldDeserializer
from plone.restapi.interfaces import IFieldDeserializer
from plone.restapi.interfaces import IFieldSerializer
from plone.restapi.serializer.dxfields import DateTimeFieldSerializer
from z3c.form.interfaces import IDataManager
from zope.component import getMultiAdapter
from zope.interface import implementer
from zope.schema.interfaces import ValidationError


# Product fields written by the archive itself, never through the API.
KEPT_BY_THE_ARCHIVE = frozenset({"fixity_history"})


class ReadOnlyField(ValidationError):
    """A field the archive keeps itself was given a new value."""

    def doc(self):
        return self.args[0]  # the message id, translated with its mapping


@implementer(IFieldDeserializer)
class FootprintDeserializer(DefaultFieldDeserializer):
    """A GeoJSON Polygon or MultiPolygon (object or JSON text), normalised."""

    def __call__(self, value) -> dict:
        if isinstance(value, str):
            # The web form's reading: its message for text that is not JSON.
            value = self.field.fromUnicode(value)
        try:
            footprint = parse_footprint(value)
        except FootprintError as error:
            raise InvalidFootprint(str(error), self.field.__name__) from None
        geometry = footprint.__geo_interface__
        self.field.validate(geometry)
        return geometry


@implementer(IFieldDeserializer)
class FloatDeserializer(DefaultFieldDeserializer):
    """A float field accepts a JSON integer (but not a boolean)."""

    def __call__(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        return super().__call__(value)


@implementer(IFieldDeserializer)
class TextLineDeserializer(TextLineFieldDeserializer):
    """A text line, where an empty text is no change from an empty text."""

    def __call__(self, value):
        result = super().__call__(value)
        if result is None and value == "":
            current = getMultiAdapter((self.context, self.field), IDataManager).get()
            if current == "":
                return current
        return result


def naive_utc(value: datetime | None) -> datetime | None:
    """A datetime as the archive stores it: in UTC, without tzinfo."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


@implementer(IFieldDeserializer)
class ProductDatetimeDeserializer(DatetimeFieldDeserializer):
    """Any ISO 8601 time (an offset, or none for UTC) stored naive in UTC."""

    def __call__(self, value):
        parsed = super().__call__(value)
        if self.field.interface is not IProduct:
            return parsed  # the publication dates keep Plone's own convention
        return naive_utc(parsed)


@implementer(IFieldSerializer)
class ProductDatetimeSerializer(DateTimeFieldSerializer):
    """A product's time in full: UTC offset and fraction of a second."""

    def __call__(self):
        value = self.get_value()
        if self.field.interface is not IProduct or value is None:
            return super().__call__()
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()


@implementer(IFieldDeserializer)
class ProductJSONDeserializer(BlocksJSONFieldDeserializer):
    """The manifest as plone.restapi takes it; the fixity history unchanged only."""

    def __call__(self, value):
        value = super().__call__(value)
        name = self.field.__name__
        if name in KEPT_BY_THE_ARCHIVE and value != getattr(self.context, name, None):
            raise ReadOnlyField(
                _(
                    "${field} is recorded by the archive and cannot be changed.",
                    mapping={"field": name},
                ),
                name,
            )
        return value
