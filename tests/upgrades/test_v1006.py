"""1005 -> 1006: catalog metadata for STAC items, filled in for existing products."""

from belspo.pleiades.stac.indexers import package_size
from belspo.pleiades.upgrades import PROFILE_ID
from belspo.pleiades.upgrades import upgrade_to_latest
from plone import api
from tests.content import world


NEW_COLUMNS = [
    "ground_sample_distance",
    "snow_cover",
    "viewing_angle",
    "azimuth_angle",
    "sun_elevation",
    "sun_azimuth",
    "crs",
    "raster_width",
    "raster_height",
    "package_size",
    "package_sha256",
]


def test_stac_columns_added_and_filled(portal, setup_tool):
    product = world.build(portal)["product"]
    product.sun_elevation = 41.5
    product.crs = "EPSG:32631"
    catalog = api.portal.get_tool("portal_catalog")
    for name in NEW_COLUMNS:
        catalog.delColumn(name)
    setup_tool.setLastVersionForProfile(PROFILE_ID, "1005")
    upgrade_to_latest(setup_tool)
    assert set(NEW_COLUMNS) <= set(catalog.schema())
    (brain,) = catalog.unrestrictedSearchResults(portal_type="Product")
    assert brain.sun_elevation == 41.5
    assert brain.crs == "EPSG:32631"
    assert brain.package_size == package_size(product)() == len(b"archived package")
    assert setup_tool.getLastVersionForProfile(PROFILE_ID) >= ("1006",)
