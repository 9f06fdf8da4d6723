"""Writes through the API that another site could have made the browser send.

plone.restapi turns plone.protect's CSRF check off in its services: it relies on
the body being JSON, which a browser only sends to another origin after a CORS
preflight (and ours answers only the configured origins). But a service reads
the body whatever its Content-Type, and ``++api++`` makes any request an API
request: an HTML form posting ``text/plain`` to ``<portal>/++api++/requests``,
or a script's ``fetch`` with a safelisted Content-Type, carries the user's
cookie and valid JSON without a preflight. So, before any API service runs, a
request with another method than GET, HEAD or OPTIONS is refused (403) when:

- its ``Origin`` (or, without one, its ``Referer``) is neither the portal's own
  origin nor one of the configured CORS origins; or
- it has no ``Authorization`` header (so its credentials, if any, are the
  cookie the browser adds by itself) and its Content-Type is not
  ``application/json``.

Clients that authenticate with a token or basic credentials, and browsers on
the portal's own pages sending JSON, are not affected.
"""

from belspo.pleiades import _
from belspo.pleiades.interfaces import IBrowserLayer
from belspo.pleiades.rest.cors import ConfiguredCORSPolicy
from plone.rest.interfaces import IAPIRequest
from urllib.parse import urlsplit
from zExceptions import Forbidden
from zope.i18n import translate


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON = "application/json"


def origin_of(url: str) -> str:
    """The scheme://host[:port] of a URL, in lower case ("" if it has none)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "null"
    if not parts.scheme or not parts.netloc:
        return "null"
    return f"{parts.scheme}://{parts.netloc}".lower()


def sender_origin(request) -> str | None:
    """Where the browser says the request comes from, or None if it does not."""
    origin = request.getHeader("Origin")
    if origin:
        return origin.strip().lower()
    referer = request.getHeader("Referer")
    return origin_of(referer) if referer else None


def foreign_origin(request) -> str | None:
    """The sender's origin if it is neither ours nor an allowed one."""
    origin = sender_origin(request)
    if origin is None:
        return None
    own = origin_of(request["SERVER_URL"])
    if origin == own or origin in ConfiguredCORSPolicy.allow_origin:
        return None
    return origin


def media_type(request) -> str:
    """The request's Content-Type without its parameters, in lower case."""
    return (request.getHeader("Content-Type") or "").split(";")[0].strip().lower()


def refuse(request, message) -> None:
    raise Forbidden(translate(message, context=request))


def refuse_cross_site_writes(event) -> None:
    """Refuse an API write another site could have sent with the user's cookie."""
    request = event.request
    if not (IAPIRequest.providedBy(request) and IBrowserLayer.providedBy(request)):
        return
    if request.get("REQUEST_METHOD", "GET").upper() in SAFE_METHODS:
        return
    origin = foreign_origin(request)
    if origin is not None:
        refuse(
            request,
            _(
                "A request from ${origin} may not change anything here: that "
                "origin is not allowed to use the API.",
                mapping={"origin": origin},
            ),
        )
    if request._auth is None and media_type(request) != JSON:
        refuse(
            request,
            _(
                "Send the body of a change as application/json, or authenticate "
                "with an Authorization header (a token or basic credentials)."
            ),
        )
