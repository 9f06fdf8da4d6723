"""``GET/POST <portal>/@products``: the product search of the portal's REST API.

The same search as ``@stac/search`` with the portal's field names (``mission``,
``start``, ``end``, ``cloud_cover_max``, ``b_start``, ``b_size``...), answered as
a GeoJSON FeatureCollection whose features are the products (``id`` is the
product's URL) with their catalog metadata.
"""

from belspo.pleiades.stac.items import antimeridian_bbox
from belspo.pleiades.stac.items import rfc3339
from belspo.pleiades.stac.params import portal_search
from belspo.pleiades.stac.records import as_datetime
from belspo.pleiades.stac.records import column
from belspo.pleiades.stac.records import Record
from belspo.pleiades.stac.search import SearchError
from plone import api
from plone.restapi.deserializer import json_body
from plone.restapi.exceptions import DeserializationError
from plone.restapi.services import Service
from urllib.parse import urlencode


# Metadata columns copied into a feature's properties.
COLUMNS = (
    "dataset_name",
    "mission",
    "processing_level",
    "spectral_mode",
    "cloud_cover",
    "snow_cover",
    "incidence_angle",
    "viewing_angle",
    "azimuth_angle",
    "sun_elevation",
    "sun_azimuth",
    "ground_sample_distance",
    "crs",
    "review_state",
)


def feature(record: Record) -> dict:
    """A product as a GeoJSON feature, from its brain."""
    brain = record.brain
    url = brain.getURL()
    properties = {
        "title": column(brain, "Title"),
        "acquisition_date": rfc3339(record.get("datetime")),
        **{name: column(brain, name) for name in COLUMNS},
        "thumbnail": f"{url}/@@images/thumbnail"
        if (column(brain, "image_scales") or {}).get("thumbnail")
        else None,
        "modified": rfc3339(as_datetime(column(brain, "modified"))),
    }
    geometry = column(brain, "footprint")
    body = {
        "type": "Feature",
        "id": url,
        "geometry": geometry,
        "properties": properties,
    }
    if geometry:
        body["bbox"] = antimeridian_bbox(geometry)
    return body


class ProductSearch(Service):
    """Search products: the query string (GET) or a JSON body (POST)."""

    def reply(self):
        post = self.request.method == "POST"
        try:
            params = self.params(post)
            search = portal_search(params, post)
        except SearchError as error:
            self.request.response.setStatus(400)
            return {"error": {"type": "BadRequest", "message": str(error)}}
        page = search.run(api.portal.get_tool("portal_catalog"))
        url = f"{self.context.absolute_url()}/@products"
        links = []
        for rel, start in (("next", page.next_start), ("prev", page.previous_start)):
            if start is not None:
                links.append(self.link(rel, url, params, post, start))
        body = {
            "@id": url,
            "type": "FeatureCollection",
            "features": [feature(record) for record in page.records],
            "links": links,
            "numberReturned": len(page.records),
        }
        if page.matched is not None:
            body["numberMatched"] = page.matched
        return body

    def params(self, post: bool) -> dict:
        if not post:
            return dict(self.request.form)
        try:
            return json_body(self.request)
        except DeserializationError:
            raise SearchError("the request body is not a JSON object") from None

    def link(self, rel: str, url: str, params: dict, post: bool, start: int) -> dict:
        params = {**params, "b_start": start}
        if post:
            return {"rel": rel, "href": url, "method": "POST", "body": params}
        return {"rel": rel, "href": f"{url}?{urlencode(params, doseq=True)}"}
