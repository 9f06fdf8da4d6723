"""The footprint's form widget: the GeoJSON textarea, with a map to draw on.

The widget renders the same textarea as the default one for a JSONField, so its
value goes through the same data converter (plone.schema's ``JSONDataConverter``,
registered for any JSONField and widget): the GeoJSON text in and out is unchanged.
The map is browser/static/pleiades-map.js's work; without it, the textarea is all
there is, and people paste GeoJSON in it.
"""

from belspo.pleiades.geo.behavior import FootprintField
from belspo.pleiades.interfaces import IBrowserLayer
from plone import api
from z3c.form.browser.textarea import TextAreaWidget
from z3c.form.interfaces import IFieldWidget
from z3c.form.interfaces import ITextAreaWidget
from z3c.form.widget import FieldWidget
from zope.component import adapter
from zope.interface import implementer
from zope.interface import implementer_only

import json


# The add-on's static directory (browser/configure.zcml), below the portal.
STATIC = "++plone++belspo.pleiades"


class IFootprintWidget(ITextAreaWidget):
    """A GeoJSON textarea that pleiades-map.js gives a map."""


@implementer_only(IFootprintWidget)
class FootprintWidget(TextAreaWidget):
    """The footprint as GeoJSON text; a map to draw it on, in browsers."""

    def update(self) -> None:
        super().update()
        if self.mode == "input":
            self.addClass("form-control")  # as Plone's own textareas look

    @property
    def geojson(self) -> str:
        """The value on one line, for the display map's data-geojson attribute."""
        try:
            return json.dumps(json.loads(self.value), separators=(",", ":"))
        except (TypeError, ValueError):
            return ""

    @property
    def static_url(self) -> str:
        """The URL of the add-on's static resources, below the portal."""
        return f"{api.portal.get().absolute_url()}/{STATIC}"


@adapter(FootprintField, IBrowserLayer)
@implementer(IFieldWidget)
def FootprintFieldWidget(field, request) -> FootprintWidget:
    """The footprint widget, bound to its field."""
    return FieldWidget(field, FootprintWidget(request))
