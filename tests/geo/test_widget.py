"""The footprint widget: the GeoJSON textarea, with the map scripts of the add-on."""

from belspo.pleiades.geo.behavior import IFootprint
from belspo.pleiades.geo.widget import FootprintWidget
from belspo.pleiades.interfaces import IBrowserLayer
from lxml import html
from plone import api
from plone.app.z3cform.interfaces import IPloneFormLayer
from plone.schema.browser.jsonfield import JSONDataConverter
from tests.content import world
from urllib.parse import urlencode
from z3c.form.interfaces import IDataConverter
from z3c.form.interfaces import IFieldWidget
from zope.component import getMultiAdapter
from zope.interface import noLongerProvides

import io
import json
import pytest


FIELD = "form.widgets.IFootprint.footprint"
STATIC = "++plone++belspo.pleiades"
LABELS = {
    "data-label-rectangle": "Rectangle",
    "data-label-polygon": "Polygon",
    "data-label-clear": "Clear",
    "data-label-area": "Area",
}


@pytest.fixture
def site(portal):
    """The world of the content tests; the request has the add-on's layers."""
    world.build(portal)
    assert IBrowserLayer.providedBy(portal.REQUEST)
    return portal


def add_form(portal) -> html.HtmlElement:
    """The add form of a request, as a member of ULB gets it."""
    with api.env.adopt_user(username="colleague"):
        page = portal.requests.restrictedTraverse("++add++AcquisitionRequest")()
    return html.fromstring(page)


def submit(portal, page: html.HtmlElement, **values) -> html.HtmlElement:
    """Post the add form as a browser does: its values, some changed, and Save."""
    (form,) = page.xpath('//form[@id="form"]')
    fields = [(k, v) for k, v in form.form_values() if k not in values]
    fields += [*values.items(), ("form.buttons.save", "Save")]
    body = urlencode(fields).encode()
    request = portal.REQUEST
    request.environ.update(
        REQUEST_METHOD="POST",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(len(body)),
    )
    request.stdin = io.BytesIO(body)
    request.processInputs()  # the form as the publisher gives it: :list and all
    with api.env.adopt_user(username="colleague"):
        page = portal.requests.restrictedTraverse("++add++AcquisitionRequest")()
    return html.fromstring(page or "<html/>")


def test_the_textarea_carries_the_map_editor(site):
    page = add_form(site)
    (textarea,) = page.xpath(f'//textarea[@name="{FIELD}"]')
    assert "data-pleiades-area" in textarea.attrib
    assert {name: textarea.get(name) for name in LABELS} == LABELS
    assert "form-control" in textarea.get("class").split()


def test_the_map_resources_come_from_the_add_on(site):
    page = add_form(site)
    base = f"{site.absolute_url()}/{STATIC}"
    scripts = page.xpath("//script/@src")
    styles = page.xpath('//link[@rel="stylesheet"]/@href')
    assert f"{base}/leaflet/leaflet.js" in scripts
    assert f"{base}/pleiades-map.js" in scripts
    assert f"{base}/leaflet/leaflet.css" in styles
    assert f"{base}/pleiades-map.css" in styles
    # Leaflet before the script that uses it, both deferred in that order.
    leaflet = scripts.index(f"{base}/leaflet/leaflet.js")
    assert scripts.index(f"{base}/pleiades-map.js") > leaflet
    for url in (*scripts, *styles):
        if url.startswith(base):
            assert site.unrestrictedTraverse(url[len(site.absolute_url()) + 1 :])


def test_the_land_outline_is_served(site):
    land = site.unrestrictedTraverse(f"{STATIC}/land-110m.geojson")
    assert land is not None


REQUEST = {
    "form.widgets.IBasic.title": "Sonian forest",
    "form.widgets.purpose": "Canopy gaps",
    "form.widgets.user_group:list": "ulb",
    "form.widgets.window_start": "2099-06-01",
    "form.widgets.window_end": "2099-08-31",
}


def test_geojson_text_submitted_is_stored(site):
    # As the map script writes it: one line, a counter-clockwise closed ring.
    drawn = {
        "type": "Polygon",
        "coordinates": [
            [[4.3, 50.8], [4.5, 50.8], [4.5, 50.9], [4.3, 50.9], [4.3, 50.8]]
        ],
    }
    submit(site, add_form(site), **REQUEST, **{FIELD: json.dumps(drawn)})
    assert site.requests["sonian-forest"].footprint == drawn


def test_a_bad_footprint_comes_back_in_the_textarea(site):
    page = submit(site, add_form(site), **REQUEST, **{FIELD: "{not json"})
    (textarea,) = page.xpath(f'//textarea[@name="{FIELD}"]')
    assert textarea.text == "{not json"
    assert "The footprint is not valid JSON." in page.text_content()


def test_the_view_shows_the_footprint_on_a_map(site):
    obj = site.requests.r1
    with api.env.adopt_user(username="owner"):
        page = html.fromstring(obj.restrictedTraverse("@@view")())
    (div,) = page.xpath("//div[@data-pleiades-map]")
    assert json.loads(div.get("data-geojson")) == obj.footprint
    assert f"{site.absolute_url()}/{STATIC}/pleiades-map.js" in page.xpath(
        "//script/@src"
    )


def test_the_json_data_converter_is_kept(site):
    field = IFootprint["footprint"]
    widget = getMultiAdapter((field, site.REQUEST), IFieldWidget)
    assert isinstance(widget, FootprintWidget)
    converter = getMultiAdapter((field, widget), IDataConverter)
    assert type(converter) is JSONDataConverter
    text = converter.toWidgetValue(world.SQUARE)
    assert converter.toFieldValue(text) == world.SQUARE
    assert converter.toFieldValue("") is None


def test_without_the_add_on_layer_the_default_widget_stays(portal):
    request = portal.REQUEST
    noLongerProvides(request, IBrowserLayer)
    assert IPloneFormLayer.providedBy(request)
    widget = getMultiAdapter((IFootprint["footprint"], request), IFieldWidget)
    assert not isinstance(widget, FootprintWidget)
