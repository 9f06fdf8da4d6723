"""``<portal>/@stac``: the STAC API, one browser view routing its sub-paths.

A plain view rather than plone.rest services: plone.rest finds a service only
when the request's ``Accept`` is exactly a type a service is registered for
(``application/json``), while STAC clients send ``application/geo+json``,
``*/*`` or several types. The view answers JSON whatever ``Accept`` says, and
is reached the same way when plone.rest takes the request for its own (its
traversal falls back to views).

Nothing here writes: the transaction is doomed, so that POST ``/search`` needs
no CSRF token (there is nothing to protect). ``Access-Control-Allow-Origin: *``
is set here, for these responses only, so STAC Browser can read a public
catalogue from another origin.
"""

from belspo.pleiades.stac import documents
from belspo.pleiades.stac import items
from belspo.pleiades.stac.collections import BY_ID
from belspo.pleiades.stac.collections import Family
from belspo.pleiades.stac.items import GEOJSON
from belspo.pleiades.stac.items import JSON
from belspo.pleiades.stac.items import Links
from belspo.pleiades.stac.openapi import openapi
from belspo.pleiades.stac.openapi import service_doc
from belspo.pleiades.stac.params import stac_search
from belspo.pleiades.stac.records import Record
from belspo.pleiades.stac.search import NotFound
from belspo.pleiades.stac.search import SearchError
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from urllib.parse import urlencode
from zope.interface import alsoProvides
from zope.interface import implementer
from zope.publisher.interfaces.browser import IBrowserPublisher

import json
import transaction


class MethodNotAllowed(Exception):
    """A method the resource does not answer: a 405."""


CORS_METHODS = "GET, POST, OPTIONS"


def error_body(code: str, description: str) -> dict:
    """A STAC API error: ``{"code": ..., "description": ...}``."""
    return {"code": code, "description": description}


@implementer(IBrowserPublisher)
class StacAPI(BrowserView):
    """The landing page, and every resource below it by its path."""

    def __init__(self, context, request):
        super().__init__(context, request)
        self.subpath: list[str] = []
        self._extents = None

    # Traversal: @stac/collections/x/items/y is this view with a sub-path.

    def publishTraverse(self, request, name):
        self.subpath.append(name)
        return self

    def browserDefault(self, request):
        return self, ()

    # Publishing

    def __call__(self) -> bytes:
        transaction.doom()
        alsoProvides(self.request, IDisableCSRFProtection)
        response = self.request.response
        response.setHeader("Access-Control-Allow-Origin", "*")
        method = self.request.method
        if method == "OPTIONS":
            return self.preflight()
        status = 200
        try:
            body, content_type = self.route("GET" if method == "HEAD" else method)
        except SearchError as error:
            status, body = 400, error_body("BadRequest", str(error))
        except NotFound as error:
            status, body = 404, error_body("NotFound", str(error))
        except MethodNotAllowed as error:
            status, body = 405, error_body("MethodNotAllowed", str(error))
            response.setHeader("Allow", "GET, POST" if self.is_search else "GET")
        if status != 200:
            content_type = JSON
        response.setStatus(status)
        response.setHeader("Content-Type", content_type)
        if isinstance(body, str):
            return body.encode("utf-8")
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def preflight(self) -> bytes:
        """A CORS preflight: any origin may GET, and POST searches."""
        response = self.request.response
        response.setHeader("Access-Control-Allow-Methods", CORS_METHODS)
        response.setHeader("Access-Control-Allow-Headers", "Accept, Content-Type")
        response.setHeader("Access-Control-Max-Age", "86400")
        response.setStatus(204)
        return b""

    @property
    def is_search(self) -> bool:
        return self.subpath == ["search"]

    def route(self, method: str) -> tuple[dict | str, str]:
        """The body and content type of the resource at the sub-path."""
        if method == "POST" and self.is_search:
            return self.search(self.json_body(), post=True), GEOJSON
        if method != "GET":
            raise MethodNotAllowed(f"{method} is not allowed here")
        match self.subpath:
            case []:
                portal = api.portal.get()
                body = documents.landing_page(
                    self.links, portal.absolute_url(), documents.portal_title()
                )
                return body, JSON
            case ["conformance"]:
                return documents.conformance(), JSON
            case ["api"]:
                return openapi(self.links.root), documents.OPENAPI
            case ["api.html"]:
                return service_doc(self.links.root), "text/html;charset=utf-8"
            case ["queryables"]:
                url = f"{self.links.root}/queryables"
                return documents.queryables(url), "application/schema+json"
            case ["search"]:
                return self.search(self.query_params(), post=False), GEOJSON
            case ["collections"]:
                body = documents.collections(self.links, self.extents, self.portal_url)
                return body, JSON
            case ["collections", collection_id]:
                family = self.family(collection_id)
                body = documents.collection(
                    family, self.links, self.extents, self.portal_url
                )
                return body, JSON
            case ["collections", collection_id, "queryables"]:
                family = self.family(collection_id)
                url = f"{self.links.collection(family.id)}/queryables"
                return documents.queryables(url, family), "application/schema+json"
            case ["collections", collection_id, "items"]:
                family = self.family(collection_id)
                params = self.query_params()
                return self.search(params, post=False, family=family), GEOJSON
            case ["collections", collection_id, "items", item_id]:
                return self.item(self.family(collection_id), item_id), GEOJSON
        raise NotFound(f"no resource at @stac/{'/'.join(self.subpath)}")

    # Resources

    def search(self, params: dict, post: bool, family: Family | None = None) -> dict:
        """A page of items: ``/search`` or a collection's ``/items``."""
        search = stac_search(params, post, family.id if family else None)
        page = search.run(self.catalog)
        features = [items.item(record, self.links) for record in page.records]
        url = (
            f"{self.links.collection(family.id)}/items"
            if family
            else f"{self.links.root}/search"
        )
        links = [
            {"rel": "root", "href": self.links.root, "type": JSON},
            self.page_link("self", url, params, post, None),
        ]
        if family is not None:
            links.append(
                {
                    "rel": "collection",
                    "href": self.links.collection(family.id),
                    "type": JSON,
                }
            )
        if page.next_start is not None:
            links.append(
                self.page_link("next", url, params, post, f"next:{page.next_start}")
            )
        if page.previous_start is not None:
            token = f"prev:{page.previous_start}"
            links.append(self.page_link("prev", url, params, post, token))
        body = {
            "type": "FeatureCollection",
            "features": features,
            "links": links,
            "numberReturned": len(features),
        }
        if page.matched is not None:
            body["numberMatched"] = page.matched
        return body

    def page_link(self, rel: str, url: str, params: dict, post: bool, token) -> dict:
        """A link to a page of these results (this one when token is None)."""
        if token is not None or rel != "self":
            params = {**params, "token": token}
        if post:
            return {
                "rel": rel,
                "href": url,
                "type": GEOJSON,
                "method": "POST",
                "body": params,
                "merge": False,
            }
        query = urlencode(params, doseq=True)
        return {"rel": rel, "href": f"{url}?{query}" if query else url, "type": GEOJSON}

    def item(self, family: Family, item_id: str) -> dict:
        brains = self.catalog.searchResults(
            portal_type="Product", id=item_id, mission=family.missions
        )
        if not brains:
            raise NotFound(f"no item {item_id!r} in collection {family.id!r}")
        return items.item(Record(brains[0]), self.links)

    # Helpers

    def family(self, collection_id: str) -> Family:
        if collection_id not in BY_ID:
            raise NotFound(
                f"no collection {collection_id!r}; collections are {', '.join(BY_ID)}"
            )
        return BY_ID[collection_id]

    def query_params(self) -> dict:
        """The query string's parameters; a repeated one is a 400."""
        params = dict(self.request.form)
        for name, value in params.items():
            if isinstance(value, list) and name not in ("ids", "collections"):
                raise SearchError(f"{name} is given more than once")
            if isinstance(value, list):
                params[name] = ",".join(value)
        return params

    def json_body(self) -> dict:
        """The POST body as a JSON object.

        :raises SearchError: when it is not one.
        """
        raw = self.request.get("BODY") or b"{}"
        try:
            body = json.loads(raw)
        except ValueError:
            raise SearchError("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise SearchError("the request body must be a JSON object")
        return body

    @property
    def catalog(self):
        return api.portal.get_tool("portal_catalog")

    @property
    def portal_url(self) -> str:
        return api.portal.get().absolute_url()

    @property
    def links(self) -> Links:
        return Links(f"{self.context.absolute_url()}/@stac")

    @property
    def extents(self) -> documents.Extents:
        """The collections' extents, computed once per request."""
        if self._extents is None:
            self._extents = documents.Extents(self.catalog)
        return self._extents
