"""Footprints: GeoJSON geometries of products and areas of interest.

``footprint`` is plain Python (shapely): parsing and validating GeoJSON, splitting
at the antimeridian. ``interfaces`` is the collective.geo contract
(``IGeoreferenceable``, ``IGeoreferenced``), provided here because collective.geo
does not import on Plone 6.
"""
