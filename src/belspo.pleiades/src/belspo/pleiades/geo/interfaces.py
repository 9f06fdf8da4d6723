"""The collective.geo contract, for Plone 6 (collective.geo does not import there)."""

from zope.interface import Attribute
from zope.interface import Interface


class IGeoreferenceable(Interface):
    """Marker: content that can be georeferenced (has a footprint)."""


class IGeoreferenced(Interface):
    """The geometry of georeferenced content, as GeoJSON."""

    type = Attribute("The GeoJSON geometry type, e.g. 'Polygon', or None")
    coordinates = Attribute("The GeoJSON coordinates, or None")
    crs = Attribute("The coordinate reference system, 'EPSG:4326'")
    __geo_interface__ = Attribute("{'type': ..., 'coordinates': ...}")
