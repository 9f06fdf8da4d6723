"""The API's fixed documents: landing page, conformance, collections, queryables."""

from belspo.pleiades.stac.collections import FAMILIES
from belspo.pleiades.stac.collections import Family
from belspo.pleiades.stac.items import GEOJSON
from belspo.pleiades.stac.items import JSON
from belspo.pleiades.stac.items import Links
from belspo.pleiades.stac.items import rfc3339
from belspo.pleiades.stac.items import STAC_VERSION
from belspo.pleiades.stac.records import as_datetime
from belspo.pleiades.stac.records import column
from belspo.pleiades.stac.records import PROPERTIES
from BTrees.IIBTree import IITreeSet
from plone import api


OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
WORLD = [-180.0, -90.0, 180.0, 90.0]

CONFORMANCE = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/item-search#sort",
    "https://api.stacspec.org/v1.0.0/item-search#filter",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#sort",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#filter",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
]

PROVIDERS = [
    {
        "name": "Airbus Defence and Space",
        "roles": ["producer"],
        "url": "https://www.airbus.com/en/space/earth-observation",
    },
    {
        "name": "Belgian Science Policy Office (BELSPO)",
        "roles": ["licensor"],
        "url": "https://www.belspo.be",
    },
    {"name": "B.USOC", "roles": ["processor", "host"], "url": "https://www.busoc.be"},
]

ITEM_ASSETS = {
    "quicklook": {"type": "image/jpeg", "title": "Quicklook", "roles": ["overview"]},
    "thumbnail": {"type": "image/jpeg", "title": "Thumbnail", "roles": ["thumbnail"]},
    "data": {
        "type": "application/zip",
        "title": "Archived package (DIMAP delivery)",
        "roles": ["data"],
    },
}


def landing_page(links: Links, portal_url: str, title: str) -> dict:
    root = links.root
    return {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": "pleiades",
        "title": title,
        "description": (
            "The archive of the Pleiades National Data Portal: Pléiades, Pléiades "
            "Neo and SPOT 6/7 products, searchable by place, time and quality."
        ),
        "conformsTo": CONFORMANCE,
        "links": [
            {"rel": "self", "href": root, "type": JSON},
            {"rel": "root", "href": root, "type": JSON},
            {"rel": "conformance", "href": f"{root}/conformance", "type": JSON},
            {"rel": "data", "href": f"{root}/collections", "type": JSON},
            {
                "rel": "search",
                "href": f"{root}/search",
                "type": GEOJSON,
                "method": "GET",
            },
            {
                "rel": "search",
                "href": f"{root}/search",
                "type": GEOJSON,
                "method": "POST",
            },
            {"rel": "service-desc", "href": f"{root}/api", "type": OPENAPI},
            {"rel": "service-doc", "href": f"{root}/api.html", "type": "text/html"},
            {
                "rel": QUERYABLES_REL,
                "href": f"{root}/queryables",
                "type": "application/schema+json",
            },
            {"rel": "alternate", "href": portal_url, "type": "text/html"},
            *(
                {
                    "rel": "child",
                    "href": links.collection(family.id),
                    "type": JSON,
                    "title": family.title,
                }
                for family in FAMILIES
            ),
        ],
    }


def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


class Extents:
    """The extents of the collections, over the products the user may see.

    Made once per request (the view keeps one): two sorted catalog queries for
    the time span, and the footprint index's grid for the box.
    """

    def __init__(self, catalog):
        self.catalog = catalog
        self._known: dict[str, dict] = {}

    def __call__(self, family: Family) -> dict:
        if family.id not in self._known:
            self._known[family.id] = self._extent(family)
        return self._known[family.id]

    def _extent(self, family: Family) -> dict:
        query = {"portal_type": "Product", "mission": family.missions}
        first = self._ends(query, "ascending")
        if first is None:
            return {
                "spatial": {"bbox": [WORLD]},
                "temporal": {"interval": [[None, None]]},
            }
        last = self._ends(query, "descending")
        return {
            "spatial": {"bbox": [self._bbox(query)]},
            "temporal": {"interval": [[rfc3339(first), rfc3339(last)]]},
        }

    def _ends(self, query: dict, order: str):
        brains = self.catalog.searchResults(
            query, sort_on="acquisition_date", sort_order=order, sort_limit=1
        )[:1]
        if not brains:
            return None
        return as_datetime(column(brains[0], "acquisition_date"))

    def _bbox(self, query: dict) -> list[float]:
        results = self.catalog.searchResults(query)
        # The record ids of the results, as the catalog found them (no brains).
        docids = IITreeSet(results._seq)
        index = self.catalog._catalog.getIndex("footprint")
        bounds = index.cells_bounds(docids)
        return [float(v) for v in bounds] if bounds else WORLD


def collection(family: Family, links: Links, extents: Extents, portal_url) -> dict:
    """The STAC collection of a mission family."""
    href = links.collection(family.id)
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "stac_extensions": [],
        "id": family.id,
        "title": family.title,
        "description": family.description,
        "keywords": ["optical", "very high resolution", family.constellation],
        "license": "proprietary",
        "providers": PROVIDERS,
        "extent": extents(family),
        "summaries": {
            "constellation": [family.constellation],
            "platform": list(family.platforms.values()),
            "instruments": list(family.instruments),
            "gsd": list(family.gsd),
            "processing:level": PROPERTIES["processing:level"].schema["enum"],
            "pleiades:spectral_mode": PROPERTIES["pleiades:spectral_mode"].schema[
                "enum"
            ],
        },
        "item_assets": ITEM_ASSETS,
        "links": [
            {"rel": "self", "href": href, "type": JSON, "title": family.title},
            {"rel": "root", "href": links.root, "type": JSON, "title": "STAC API"},
            {"rel": "parent", "href": links.root, "type": JSON, "title": "STAC API"},
            {
                "rel": "items",
                "href": f"{href}/items",
                "type": GEOJSON,
                "title": "Items",
            },
            {
                "rel": QUERYABLES_REL,
                "href": f"{href}/queryables",
                "type": "application/schema+json",
                "title": "Queryables",
            },
            {
                "rel": "license",
                "href": portal_url,
                "type": "text/html",
                "title": "Category 1 licence: the portal's terms of use",
            },
        ],
    }


def collections(links: Links, extents: Extents, portal_url: str) -> dict:
    return {
        "collections": [
            collection(family, links, extents, portal_url) for family in FAMILIES
        ],
        "links": [
            {"rel": "self", "href": f"{links.root}/collections", "type": JSON},
            {"rel": "root", "href": links.root, "type": JSON},
            {"rel": "parent", "href": links.root, "type": JSON},
        ],
    }


def queryables(url: str, family: Family | None = None) -> dict:
    """The JSON schema of the properties filters may name."""
    properties = {name: dict(p.schema) for name, p in PROPERTIES.items()}
    if family is not None:
        properties["platform"]["enum"] = list(family.platforms.values())
        properties["collection"]["enum"] = [family.id]
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": f"Queryables of {family.title}" if family else "Queryables",
        "properties": properties,
        "additionalProperties": False,
    }


def portal_title() -> str:
    return api.portal.get().Title() or "Pleiades National Data Portal"
