"""The catalogue search page: a map, filters and the products found.

``<portal>/@@search-catalogue`` is a GET form, so the address of a search is the
search: it can be bookmarked and shared. Its parameters:

``bbox``
    ``west, south, east, north`` in degrees (drawn on the map, or typed);
    ``west > east`` crosses the antimeridian.
``start``, ``end``
    the acquisition dates, ``YYYY-MM-DD``, both days included (UTC).
``cloud_cover_max``, ``incidence_angle_max``
    in % and degrees.
``mission``, ``processing_level``, ``spectral_mode``
    vocabulary codes; each may be repeated (any of them).
``b_start``
    the first result of the page (50 a page).

Everything shown comes from the catalog's brains and metadata (the footprint,
the acquisition date, the image scales of the thumbnail...): a page of results
never loads a product. The map, the box drawn on it and the highlighting of
results are pleiades-search.js: without it, the form and the listing are the same.
"""

from belspo.pleiades import _
from belspo.pleiades.vocabularies import MISSIONS
from belspo.pleiades.vocabularies import PROCESSING_LEVELS
from belspo.pleiades.vocabularies import SPECTRAL_MODES
from dataclasses import dataclass
from dataclasses import field
from DateTime import DateTime
from datetime import date
from plone import api
from plone.app.layout.viewlets import ViewletBase
from Products.Five import BrowserView
from urllib.parse import urlencode
from zope.component import getMultiAdapter
from zope.i18n import translate
from zope.i18nmessageid import Message
from zope.schema.vocabulary import SimpleVocabulary

import json
import math
import re


PAGE_SIZE = 50
VIEW_NAME = "search-catalogue"
CHOICES: dict[str, SimpleVocabulary] = {
    "mission": MISSIONS,
    "processing_level": PROCESSING_LEVELS,
    "spectral_mode": SPECTRAL_MODES,
}
FILTER_LABELS = {
    "mission": _("Mission"),
    "processing_level": _("Processing level"),
    "spectral_mode": _("Spectral processing"),
}
# The map's buttons and help (pleiades-search.js reads them from the page).
MAP_LABELS = {
    "draw_box": _("Draw a box"),
    "clear_box": _("Clear the box"),
    "fit_results": _("Show all results"),
    "help": _("Press, drag and release on the map to draw the box; Escape cancels."),
}
# Parameter -> (catalog index, largest value, message when out of range).
MAXIMA = {
    "cloud_cover_max": (
        "cloud_cover",
        100.0,
        _("The cloud cover is a percentage, between 0 and 100."),
    ),
    "incidence_angle_max": (
        "incidence_angle",
        90.0,
        _("The incidence angle is between 0 and 90 degrees."),
    ),
}
# Numbers of a box may be separated by commas, semicolons or spaces.
SEPARATORS = re.compile(r"[\s,;]+")
# Pages linked around the current one in the pager.
PAGER_REACH = 2


@dataclass
class Criteria:
    """What a search asks for, once read and checked."""

    bbox: tuple[float, float, float, float] | None = None
    start: date | None = None
    end: date | None = None
    maxima: dict[str, float] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    b_start: int = 0

    def params(self) -> list[tuple[str, str]]:
        """The query string of this search (without the page), in a fixed order."""
        params = []
        if self.bbox is not None:
            params.append(("bbox", ",".join(number_text(v) for v in self.bbox)))
        if self.start is not None:
            params.append(("start", self.start.isoformat()))
        if self.end is not None:
            params.append(("end", self.end.isoformat()))
        for name in MAXIMA:
            if name in self.maxima:
                params.append((name, number_text(self.maxima[name])))
        for name in CHOICES:
            params.extend((name, value) for value in self.choices.get(name, ()))
        return params

    def catalog_query(self) -> dict:
        """The catalog query of this search, for its page of results."""
        query = {
            "portal_type": "Product",
            "sort_on": "acquisition_date",
            "sort_order": "descending",
            "sort_limit": self.b_start + PAGE_SIZE,
            "b_start": self.b_start,
            "b_size": PAGE_SIZE,
        }
        if self.bbox is not None:
            query["footprint"] = self.bbox
        if self.start is not None or self.end is not None:
            query["acquisition_date"] = date_range(self.start, self.end)
        for name, value in self.maxima.items():
            # ZCatalog reads an upper bound of 0 as no bound; covers and angles
            # are never negative, so "at most 0" is "exactly 0".
            query[MAXIMA[name][0]] = {"query": value, "range": "max"} if value else 0.0
        for name, values in self.choices.items():
            query[name] = values
        return query


def number_text(value: float) -> str:
    """A number as short as it reads: ``4``, ``50.25``, at most six decimals."""
    shown = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown


def date_range(start: date | None, end: date | None) -> dict:
    """The acquisition_date query from the first to the last day, both included."""
    low = DateTime(f"{start.isoformat()} 00:00:00 UTC") if start else None
    high = DateTime(f"{end.isoformat()} 23:59:59 UTC") if end else None
    if low is not None and high is not None:
        return {"query": [low, high], "range": "min:max"}
    if low is not None:
        return {"query": low, "range": "min"}
    return {"query": high, "range": "max"}


def text(form: dict, name: str) -> str:
    """A form value as one stripped string ('' when absent)."""
    value = form.get(name, "")
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return str(value).strip()


def texts(form: dict, name: str) -> list[str]:
    """A form value that may be repeated, as a list of non-empty strings."""
    value = form.get(name, [])
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """A box typed or drawn as ``west, south, east, north``.

    :raises ValueError: with a message for people, when it is no box.
    """
    parts = [p for p in SEPARATORS.split(value) if p]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise ValueError(
            _(
                "The box must be four numbers: west, south, east, north "
                "(for example 3.0, 50.0, 6.5, 51.6); got “${value}”.",
                mapping={"value": value},
            )
        )
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ValueError(_("The box's longitudes must be between -180 and 180."))
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ValueError(_("The box's latitudes must be between -90 and 90."))
    if south > north:
        raise ValueError(
            _(
                "The box's south (${south}) is north of its north (${north}): "
                "the second number is the south, the fourth the north.",
                mapping={"south": number_text(south), "north": number_text(north)},
            )
        )
    return west, south, east, north


def parse_date(value: str) -> date:
    """A day written ``YYYY-MM-DD``.

    :raises ValueError: with a message for people, when it is no such day.
    """
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            _(
                "“${value}” is not a date: write it as YYYY-MM-DD, "
                "for example 2024-05-17.",
                mapping={"value": value},
            )
        ) from None


def parse_maximum(value: str, largest: float, out_of_range: Message) -> float:
    """A maximum between 0 and ``largest``.

    :raises ValueError: with a message for people, when it is not one.
    """
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise ValueError(
            _("“${value}” is not a number.", mapping={"value": value})
        ) from None
    if not 0 <= number <= largest:
        raise ValueError(out_of_range)
    return number


def parse_b_start(value: str) -> int:
    """The first result of the page: a multiple of the page size, 0 if none."""
    start = int(value) if value.isdigit() else 0
    return start - start % PAGE_SIZE


def parse_form(form: dict) -> tuple[Criteria, dict[str, Message]]:
    """The search a form asks for, and a message per parameter it got wrong."""
    criteria, errors = Criteria(), {}

    def read(name, parse, *args):
        value = text(form, name)
        if not value:
            return None
        try:
            return parse(value, *args)
        except ValueError as error:
            errors[name] = error.args[0]
            return None

    criteria.bbox = read("bbox", parse_bbox)
    criteria.start = read("start", parse_date)
    criteria.end = read("end", parse_date)
    if criteria.start and criteria.end and criteria.start > criteria.end:
        errors["end"] = _("The end date is before the start date.")
    for name, (_index, largest, out_of_range) in MAXIMA.items():
        value = read(name, parse_maximum, largest, out_of_range)
        if value is not None:
            criteria.maxima[name] = value
    for name, vocabulary in CHOICES.items():
        values = list(dict.fromkeys(texts(form, name)))
        unknown = [v for v in values if v not in vocabulary]
        if unknown:
            errors[name] = _(
                "Unknown value: ${values}.", mapping={"values": ", ".join(unknown)}
            )
        elif values:
            criteria.choices[name] = values
    criteria.b_start = parse_b_start(text(form, "b_start"))
    return criteria, errors


def thumbnail(brain, url: str) -> dict | None:
    """The thumbnail's address and size, from the catalog's image scales."""
    scales = getattr(brain, "image_scales", None) or {}
    found = scales.get("thumbnail") or ()
    if not found:
        return None
    image = found[0]
    return {
        "src": f"{url}/{image['download']}",
        "width": image.get("width"),
        "height": image.get("height"),
    }


def acquired_text(value) -> str:
    """A catalog acquisition date as ``2024-05-17 10:31 UTC``."""
    if not isinstance(value, DateTime):
        return ""
    return value.toZone("UTC").strftime("%Y-%m-%d %H:%M UTC")


class CatalogueSearch(BrowserView):
    """``<portal>/@@search-catalogue``: see the module."""

    criteria: Criteria
    errors: dict[str, Message]
    results = None

    def __call__(self):
        self._titles = {}
        self.criteria, self.errors = parse_form(self.request.form)
        if self.errors:
            # The page explains what to correct; the address itself is no search.
            self.request.response.setStatus(400)
        else:
            catalog = api.portal.get_tool("portal_catalog")
            self.results = catalog.searchResults(**self.criteria.catalog_query())
        return self.index()

    # The form

    def value(self, name: str) -> str:
        """What the form shows in a field: what was typed, to correct it."""
        return text(self.request.form, name)

    def error(self, name: str) -> str | None:
        message = self.errors.get(name)
        return translate(message, context=self.request) if message else None

    def error_messages(self) -> list[dict]:
        """Every message, with the field it is about (for the summary's links)."""
        return [
            {"field": name, "message": translate(message, context=self.request)}
            for name, message in self.errors.items()
        ]

    def map_labels(self) -> dict[str, str]:
        return {
            key: translate(label, context=self.request)
            for key, label in MAP_LABELS.items()
        }

    def filters(self) -> list[dict]:
        """The filters offered as check boxes, with their terms."""
        return [
            {
                "name": name,
                "label": translate(FILTER_LABELS[name], context=self.request),
                "choices": self.choices(name),
            }
            for name in CHOICES
        ]

    def choices(self, name: str) -> list[dict]:
        """The terms of a filter, with those asked for checked."""
        wanted = set(texts(self.request.form, name))
        return [
            {
                "value": term.value,
                "title": self.term_title(name, term.value),
                "checked": term.value in wanted,
                "id": f"{name}-{term.token}",
            }
            for term in CHOICES[name]
        ]

    def term_title(self, name: str, value: str) -> str:
        """A code's title in the reader's language (the code if unknown)."""
        key = (name, value)
        if key not in self._titles:
            vocabulary = CHOICES[name]
            title = vocabulary.getTerm(value).title if value in vocabulary else value
            self._titles[key] = translate(title, context=self.request)
        return self._titles[key]

    # The results

    @property
    def total(self) -> int:
        if self.results is None:
            return 0
        return getattr(self.results, "actual_result_count", len(self.results))

    def rows(self) -> list[dict]:
        """The page of results, from the brains' metadata only."""
        rows = []
        for brain in self.results or ():
            url = brain.getURL()
            rows.append(
                {
                    "id": brain.getId,
                    "url": url,
                    "title": brain.Title or brain.getId,
                    "dataset_name": brain.dataset_name or "",
                    "acquired": acquired_text(brain.acquisition_date),
                    "mission": self.term_title("mission", brain.mission),
                    "processing_level": self.term_title(
                        "processing_level", brain.processing_level
                    ),
                    "spectral_mode": self.term_title(
                        "spectral_mode", brain.spectral_mode
                    ),
                    "cloud_cover": self.number(brain.cloud_cover),
                    "incidence_angle": self.number(brain.incidence_angle),
                    "thumbnail": thumbnail(brain, url),
                }
            )
        return rows

    @staticmethod
    def number(value) -> str | None:
        return f"{value:.1f}" if isinstance(value, int | float) else None

    def footprints(self) -> str:
        """The footprints of the page's results, a GeoJSON FeatureCollection."""
        features = []
        for brain in self.results or ():
            geometry = brain.footprint
            if not isinstance(geometry, dict):
                continue
            features.append(
                {
                    "type": "Feature",
                    "id": brain.getId,
                    "geometry": geometry,
                    "properties": {
                        "url": brain.getURL(),
                        "title": brain.Title or brain.getId,
                    },
                }
            )
        return json.dumps({"type": "FeatureCollection", "features": features})

    # Addresses

    def base_url(self) -> str:
        return f"{api.portal.get().absolute_url()}/@@{VIEW_NAME}"

    def url(self, b_start: int = 0) -> str:
        """The address of this search, at the page starting with ``b_start``."""
        params = self.criteria.params()
        if b_start:
            params.append(("b_start", str(b_start)))
        return f"{self.base_url()}?{urlencode(params)}" if params else self.base_url()

    def share_url(self) -> str:
        return self.url()

    def pages(self) -> dict | None:
        """The pager: previous, next, and the pages around the current one."""
        count = math.ceil(self.total / PAGE_SIZE)
        if count <= 1:
            return None
        current = self.criteria.b_start // PAGE_SIZE
        shown = sorted(
            {0, count - 1}
            | set(
                range(
                    max(current - PAGER_REACH, 0),
                    min(current + PAGER_REACH, count - 1) + 1,
                )
            )
        )
        links, previous = [], None
        for index in shown:
            if previous is not None and index > previous + 1:
                links.append({"gap": True})
            links.append(
                {
                    "gap": False,
                    "number": index + 1,
                    "url": self.url(index * PAGE_SIZE),
                    "current": index == current,
                }
            )
            previous = index
        return {
            "links": links,
            "previous": self.url((current - 1) * PAGE_SIZE) if current > 0 else None,
            "next": self.url((current + 1) * PAGE_SIZE)
            if current < count - 1
            else None,
        }

    def first_shown(self) -> int:
        return min(self.criteria.b_start + 1, self.total)

    def last_shown(self) -> int:
        return min(self.criteria.b_start + PAGE_SIZE, self.total)


class CatalogueSearchLink(ViewletBase):
    """A link to the search page on the home page and the catalogue folder.

    The catalogue folder lists its products as any folder; the search page is
    where people look for them.
    """

    def update(self):
        super().update()
        self.search_url = f"{self.portal_state.portal_url()}/@@{VIEW_NAME}"

    def available(self) -> bool:
        portal = self.portal_state.portal()
        context_state = getMultiAdapter(
            (self.context, self.request), name="plone_context_state"
        )
        if not context_state.is_view_template():
            return False
        if self.context is portal or context_state.is_portal_root():
            return True
        folder = portal._getOb("catalogue", None)
        return folder is not None and self.context.aq_base is folder.aq_base
