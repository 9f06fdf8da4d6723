"""The OpenAPI 3.0 description of ``@stac`` (``@stac/api``), written by hand.

Schemas say what clients may rely on; the item schema is kept loose (STAC items
carry extension fields) but its required members are listed.
"""

from belspo.pleiades.stac.records import PROPERTIES
from belspo.pleiades.stac.search import DEFAULT_LIMIT
from belspo.pleiades.stac.search import MAX_LIMIT
from belspo.pleiades.stac.search import SORTABLE
from html import escape


GEOJSON = "application/geo+json"
JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(description: str, schema: str, media: str = JSON) -> dict:
    return {"description": description, "content": {media: {"schema": _ref(schema)}}}


ERRORS = {
    "400": _response("Malformed parameters or body", "Error"),
    "404": _response("Unknown collection or item", "Error"),
}

PARAMETERS = {
    "bbox": {
        "name": "bbox",
        "in": "query",
        "description": "west,south,east,north in WGS 84 (west > east across 180°)",
        "style": "form",
        "explode": False,
        "schema": {
            "type": "array",
            "minItems": 4,
            "maxItems": 6,
            "items": {"type": "number"},
        },
    },
    "intersects": {
        "name": "intersects",
        "in": "query",
        "description": "A GeoJSON geometry, as JSON text",
        "schema": {"type": "string"},
    },
    "datetime": {
        "name": "datetime",
        "in": "query",
        "description": "An RFC 3339 instant, or an interval start/end with .. open",
        "schema": {"type": "string"},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "description": f"Items per page; more than {MAX_LIMIT} gives {MAX_LIMIT}",
        "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
    },
    "ids": {
        "name": "ids",
        "in": "query",
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "string"}},
    },
    "collections": {
        "name": "collections",
        "in": "query",
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "string"}},
    },
    "sortby": {
        "name": "sortby",
        "in": "query",
        "description": f"Comma-separated, each +/- prefixed: {', '.join(SORTABLE)}",
        "schema": {"type": "string"},
    },
    "filter": {
        "name": "filter",
        "in": "query",
        "description": "A CQL2 filter on the queryables",
        "schema": {"type": "string"},
    },
    "filter-lang": {
        "name": "filter-lang",
        "in": "query",
        "schema": {
            "type": "string",
            "enum": ["cql2-text", "cql2-json"],
            "default": "cql2-text",
        },
    },
    "token": {
        "name": "token",
        "in": "query",
        "description": "The paging token of a next or prev link",
        "schema": {"type": "string"},
    },
    "collectionId": {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    },
    "itemId": {
        "name": "itemId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    },
}


def _params(*names: str) -> list[dict]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
        "method": {"type": "string"},
        "body": {"type": "object"},
        "merge": {"type": "boolean"},
    },
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    },
    "Link": LINK,
    "Links": {"type": "array", "items": _ref("Link")},
    "LandingPage": {
        "type": "object",
        "required": [
            "type",
            "stac_version",
            "id",
            "description",
            "links",
            "conformsTo",
        ],
        "properties": {
            "type": {"type": "string", "enum": ["Catalog"]},
            "stac_version": {"type": "string"},
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "conformsTo": {"type": "array", "items": {"type": "string"}},
            "links": _ref("Links"),
        },
    },
    "Conformance": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    },
    "Collection": {
        "type": "object",
        "required": [
            "type",
            "stac_version",
            "id",
            "description",
            "license",
            "extent",
            "links",
        ],
        "properties": {
            "type": {"type": "string", "enum": ["Collection"]},
            "stac_version": {"type": "string"},
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "license": {"type": "string"},
            "extent": {"type": "object"},
            "summaries": {"type": "object"},
            "item_assets": {"type": "object"},
            "providers": {"type": "array", "items": {"type": "object"}},
            "links": _ref("Links"),
        },
    },
    "Collections": {
        "type": "object",
        "required": ["collections", "links"],
        "properties": {
            "collections": {"type": "array", "items": _ref("Collection")},
            "links": _ref("Links"),
        },
    },
    "Item": {
        "type": "object",
        "required": [
            "type",
            "stac_version",
            "id",
            "geometry",
            "properties",
            "links",
            "assets",
        ],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "stac_version": {"type": "string"},
            "stac_extensions": {"type": "array", "items": {"type": "string"}},
            "id": {"type": "string"},
            "collection": {"type": "string"},
            "geometry": {"type": "object", "nullable": True},
            "bbox": {"type": "array", "items": {"type": "number"}},
            "properties": {
                "type": "object",
                "required": ["datetime"],
                "properties": {"datetime": {"type": "string", "format": "date-time"}},
            },
            "assets": {"type": "object"},
            "links": _ref("Links"),
        },
    },
    "ItemCollection": {
        "type": "object",
        "required": ["type", "features", "links"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": _ref("Item")},
            "links": _ref("Links"),
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
        },
    },
    "Queryables": {
        "type": "object",
        "required": ["properties"],
        "properties": {
            "$schema": {"type": "string"},
            "$id": {"type": "string"},
            "type": {"type": "string"},
            "properties": {"type": "object"},
        },
    },
    "SearchBody": {
        "type": "object",
        "properties": {
            "bbox": {
                "type": "array",
                "minItems": 4,
                "maxItems": 6,
                "items": {"type": "number"},
            },
            "intersects": {"type": "object"},
            "datetime": {"type": "string"},
            "ids": {"type": "array", "items": {"type": "string"}},
            "collections": {"type": "array", "items": {"type": "string"}},
            "limit": {"type": "integer", "minimum": 1},
            "token": {"type": "string"},
            "sortby": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field"],
                    "properties": {
                        "field": {"type": "string", "enum": list(SORTABLE)},
                        "direction": {"type": "string", "enum": ["asc", "desc"]},
                    },
                },
            },
            "filter": {"oneOf": [{"type": "object"}, {"type": "string"}]},
            "filter-lang": {"type": "string", "enum": ["cql2-text", "cql2-json"]},
        },
    },
}

SEARCH_PARAMETERS = _params(
    "bbox",
    "intersects",
    "datetime",
    "limit",
    "ids",
    "collections",
    "sortby",
    "filter",
    "filter-lang",
    "token",
)


def _get(summary: str, response: dict, parameters=(), errors=("400",)) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": list(parameters),
            "responses": {"200": response, **{code: ERRORS[code] for code in errors}},
        }
    }


def openapi(root: str) -> dict:
    """The OpenAPI document of the API rooted at ``root``."""
    queryables = _response("The queryables", "Queryables", "application/schema+json")
    items = _response("A page of items", "ItemCollection", GEOJSON)
    search = _get("Search items", items, SEARCH_PARAMETERS)
    search["post"] = {
        "summary": "Search items (JSON body)",
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": _ref("SearchBody")}},
        },
        "responses": {"200": items, "400": ERRORS["400"]},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Pleiades National Data Portal: STAC API",
            "version": "1.0.0",
            "description": (
                "STAC API 1.0 over the portal's archive: collections per mission "
                "family, item search with CQL2 filters, sorting and paging. "
                f"Queryables: {', '.join(PROPERTIES)}."
            ),
        },
        "servers": [{"url": root}],
        "paths": {
            "/": _get(
                "Landing page", _response("The landing page", "LandingPage"), errors=()
            ),
            "/conformance": _get(
                "Conformance classes",
                _response("The conformance classes", "Conformance"),
                errors=(),
            ),
            "/api": _get(
                "This OpenAPI document",
                {
                    "description": "The OpenAPI document",
                    "content": {"application/vnd.oai.openapi+json;version=3.0": {}},
                },
                errors=(),
            ),
            "/queryables": _get("Queryables of the search", queryables, errors=()),
            "/search": search,
            "/collections": _get(
                "Collections", _response("The collections", "Collections"), errors=()
            ),
            "/collections/{collectionId}": _get(
                "A collection",
                _response("The collection", "Collection"),
                _params("collectionId"),
                errors=("404",),
            ),
            "/collections/{collectionId}/queryables": _get(
                "Queryables of a collection",
                queryables,
                _params("collectionId"),
                errors=("404",),
            ),
            "/collections/{collectionId}/items": _get(
                "Items of a collection",
                items,
                _params(
                    "collectionId",
                    "bbox",
                    "datetime",
                    "limit",
                    "sortby",
                    "filter",
                    "filter-lang",
                    "token",
                ),
                errors=("400", "404"),
            ),
            "/collections/{collectionId}/items/{itemId}": _get(
                "An item",
                _response("The item", "Item", GEOJSON),
                _params("collectionId", "itemId"),
                errors=("404",),
            ),
        },
        "components": {"parameters": PARAMETERS, "schemas": SCHEMAS},
    }


def service_doc(root: str) -> str:
    """A short HTML page listing the endpoints, for people (``service-doc``)."""
    document = openapi(root)
    rows = "".join(
        f"<li><code>{method.upper()} {escape(root + path.rstrip('/'))}</code> "
        f"{escape(operation['summary'])}</li>"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    )
    title = escape(document["info"]["title"])
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><h1>{title}</h1><p>{escape(document['info']['description'])}"
        f"</p><ul>{rows}</ul><p>The machine-readable description: "
        f"<a href='{escape(root)}/api'>{escape(root)}/api</a>.</p></body></html>"
    )
